using System.Diagnostics;
using System.Globalization;
using Fleet.Helm;

namespace Fleet.Bench.Helm;

/// <summary>
/// Median time to render real charts in-process against `helm template` run as a process (how tools without a
/// Helm library render), on the public charts of the Helm conformance cases.
/// </summary>
internal static class HelmBenchmark
{
    private sealed record Case(string Name, string Chart, string? Values, string Namespace);

    private static readonly Case[] Cases =
    [
        new("bitnami redis, replication + sentinel", "real/bitnami-redis/redis", "cases/real-redis-sentinel/values.yaml", "data"),
        new("bitnami redis, defaults", "real/bitnami-redis/redis", null, "data"),
        new("bitnami nginx, ingress + metrics", "real/bitnami-nginx/nginx", "cases/real-nginx-ingress/values.yaml", "web"),
        new("kube-state-metrics, defaults", "real/kube-state-metrics/kube-state-metrics", null, "monitoring"),
        new("node-exporter, kube-rbac-proxy", "real/prometheus-node-exporter/prometheus-node-exporter", "real/prometheus-node-exporter/prometheus-node-exporter/ci/kube-rbac-proxy-tlssecret-values.yaml", "monitoring"),
    ];

    public static int Run(string[] args)
    {
        var inProcessRuns = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 50;
        var helmRuns = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;
        var filter = args.Length > 2 ? args[2] : "";
        var testdata = FindTestData();
        var helm = Path.GetFullPath(Path.Combine(testdata, "..", "..", "..", "..", "shared", "tools", "helm", "helm"));
        var haveHelm = File.Exists(helm) && helmRuns > 0;
        Console.WriteLine($"fleet helm benchmark: {Environment.ProcessorCount} cores, .NET {Environment.Version}, {inProcessRuns} in-process and {(haveHelm ? helmRuns : 0)} `helm template` runs per chart");
        Console.WriteLine();
        Console.WriteLine($"{"chart",-40} {"docs",5} {"template lines",15} {"fleet median",13} {"alloc/render",13} {"helm median",12} {"speed-up",9}");
        var ratios = new List<double>();
        foreach (var c in Cases.Where(c => c.Name.Contains(filter, StringComparison.OrdinalIgnoreCase)))
        {
            var chart = Path.Combine(testdata, c.Chart);
            var valueFiles = c.Values is null ? Array.Empty<string>() : [Path.Combine(testdata, c.Values)];
            var options = new HelmRenderOptions { ReleaseName = "bench", Namespace = c.Namespace };
            HelmRenderResult Render() => HelmEngine.Render(chart, HelmValues.Build(valueFiles, [], []), options);
            var result = Render();
            for (var i = 0; i < 5; i++)
            {
                Render();
            }

            var before = GC.GetTotalAllocatedBytes(precise: true);
            var fleet = Median(Enumerable.Range(0, inProcessRuns).Select(_ => Time(() => Render())).ToList());
            var alloc = (GC.GetTotalAllocatedBytes(precise: true) - before) / Math.Max(1, inProcessRuns);
            double? helmMedian = null;
            if (haveHelm)
            {
                var helmArgs = new List<string> { "template", "bench", chart, "--namespace", c.Namespace };
                foreach (var v in valueFiles)
                {
                    helmArgs.AddRange(["-f", v]);
                }

                RunHelm(helm, helmArgs);
                helmMedian = Median(Enumerable.Range(0, helmRuns).Select(_ => Time(() => RunHelm(helm, helmArgs))).ToList());
                ratios.Add(helmMedian.Value / fleet);
            }

            var lines = Directory.EnumerateFiles(chart, "*", SearchOption.AllDirectories).Where(f => f.Contains($"{Path.DirectorySeparatorChar}templates{Path.DirectorySeparatorChar}", StringComparison.Ordinal)).Sum(f => File.ReadLines(f).Count());
            var docs = result.Objects.Count + result.Hooks.Count + result.Crds.Count;
            Console.WriteLine($"{c.Name,-40} {docs,5} {lines,15} {Ms(fleet),13} {Mib(alloc),13} {(helmMedian is { } h ? Ms(h) : "n/a"),12} {(helmMedian is { } h2 ? (h2 / fleet).ToString("F0", CultureInfo.InvariantCulture) + "x" : "n/a"),9}");
        }

        if (ratios.Count > 0)
        {
            Console.WriteLine();
            Console.WriteLine($"speed-up over `helm template` as a process: median {Median(ratios).ToString("F0", CultureInfo.InvariantCulture)}x, min {ratios.Min().ToString("F0", CultureInfo.InvariantCulture)}x");
        }

        return 0;
    }

    private static void RunHelm(string helm, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(helm) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"helm template failed: {err.Result}");
        }
    }

    private static double Time(Action action)
    {
        var sw = Stopwatch.StartNew();
        action();
        return sw.Elapsed.TotalMilliseconds;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values.Count % 2 == 1 ? values[values.Count / 2] : (values[(values.Count / 2) - 1] + values[values.Count / 2]) / 2;
    }

    private static string Ms(double ms) => ms < 1 ? $"{ms * 1000:F0} µs" : $"{ms:F1} ms";

    private static string Mib(long bytes) => $"{bytes / 1024.0 / 1024.0:F1} MiB";

    private static string FindTestData()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Fleet.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        return Path.Combine(dir ?? throw new InvalidOperationException("run from inside the repository"), "tests", "Helm.Tests", "testdata");
    }
}
