using System.Diagnostics;
using System.Globalization;
using System.Text;
using Fleet.Rendering;

namespace Fleet.Bench.Rendering;

/// <summary>
/// Median per-build time of the in-process engine against `kubectl kustomize` run as a process (as Argo CD
/// renders), on the same conformance cases, and time and allocations for one 1,000-document overlay.
/// </summary>
internal static class RenderBenchmark
{
    private static readonly string[] Cases =
    [
        "resources-single-file", "resources-base-overlay", "order-legacy-default", "namespace-basic", "prefix-nameref-configmap-pod",
        "commonlabels-deployment", "labels-include-selectors", "annotations-templates", "smp-container-merge-by-name", "smp-replace-list",
        "json6902-add-remove", "images-newname-newtag", "replicas-deployment", "cmgen-nameref-deployment", "cmgen-merge-behavior",
        "secretgen-nameref-everywhere", "components-generator-merge", "replacements-basic", "vars-service-name", "full-overlay-prod",
        "full-multi-env", "full-generators-everywhere", "full-components-overlay",
    ];

    public static int Run(string[] args)
    {
        if (args.Length > 0 && args[0] == "process")
        {
            return args.Length > 1 ? Processes(args[1], args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 20) : Usage();
        }

        var inProcessRuns = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200;
        var kubectlRuns = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;
        var largeRuns = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 15;
        var casesDir = FindCases();
        Console.WriteLine($"fleet render benchmark: {Environment.ProcessorCount} cores, .NET {Environment.Version}, {inProcessRuns} in-process and {kubectlRuns} kubectl runs per case");
        Console.WriteLine();
        Console.WriteLine($"{"case",-34} {"fleet median",14} {"kubectl median",16} {"speed-up",10}");
        var ratios = new List<double>();
        var fleetAll = new List<double>();
        var kubectlAll = new List<double>();
        foreach (var name in inProcessRuns > 0 ? Cases : [])
        {
            var input = Path.Combine(casesDir, name, "input");
            var path = File.ReadAllText(Path.Combine(casesDir, name, "build-path")).Trim();
            for (var i = 0; i < 20; i++)
            {
                KustomizeEngine.Render(input, path);
            }

            var fleet = Median(Enumerable.Range(0, inProcessRuns).Select(_ => Time(() => KustomizeEngine.Render(input, path))));
            double? kubectl = null;
            if (kubectlRuns > 0 && File.Exists("/usr/bin/kubectl"))
            {
                kubectl = Median(Enumerable.Range(0, kubectlRuns).Select(_ => Time(() => Kubectl(Path.Combine(input, path)))));
                ratios.Add(kubectl.Value / fleet);
                kubectlAll.Add(kubectl.Value);
            }

            fleetAll.Add(fleet);
            Console.WriteLine($"{name,-34} {Ms(fleet),14} {(kubectl is { } k ? Ms(k) : "n/a"),16} {(kubectl is { } k2 ? (k2 / fleet).ToString("F0", CultureInfo.InvariantCulture) + "x" : "n/a"),10}");
        }

        Console.WriteLine();
        if (fleetAll.Count > 0)
        {
            Console.WriteLine($"median over cases: fleet {Ms(Median(fleetAll))}, kubectl kustomize {(kubectlAll.Count > 0 ? Ms(Median(kubectlAll)) : "n/a")}, speed-up median {(ratios.Count > 0 ? Median(ratios).ToString("F0", CultureInfo.InvariantCulture) + "x" : "n/a")} (min {(ratios.Count > 0 ? ratios.Min().ToString("F0", CultureInfo.InvariantCulture) + "x" : "n/a")})");
            Console.WriteLine();
        }

        LargeOverlay(kubectlRuns, largeRuns);
        return 0;
    }

    private static void LargeOverlay(int kubectlRuns, int runs)
    {
        var dir = Path.Combine(Path.GetTempPath(), "fleet-bench-" + Guid.NewGuid().ToString("N"));
        try
        {
            WriteLargeOverlay(dir);
            var result = KustomizeEngine.Render(dir, "overlay");
            for (var i = 0; i < 5; i++)
            {
                KustomizeEngine.Render(dir, "overlay");
            }

            var times = new List<double>();
            var allocations = new List<double>();
            for (var i = 0; i < runs; i++)
            {
                var before = GC.GetAllocatedBytesForCurrentThread();
                times.Add(Time(() => KustomizeEngine.Render(dir, "overlay").ToYaml()));
                allocations.Add(GC.GetAllocatedBytesForCurrentThread() - before);
            }

            Console.WriteLine($"1,000-document overlay ({result.Objects.Count} objects out, {Encoding.UTF8.GetByteCount(result.ToYaml()) / 1024} KiB YAML; namespace, prefix, labels, annotations, 3 patches, images, generator, name references):");
            Console.WriteLine($"  median {Ms(Median(times))}, min {Ms(times.Min())}, allocated {Median(allocations) / (1024 * 1024):F1} MiB per build");
            if (kubectlRuns > 0 && File.Exists("/usr/bin/kubectl"))
            {
                var k = Median(Enumerable.Range(0, 3).Select(_ => Time(() => Kubectl(Path.Combine(dir, "overlay")))));
                Console.WriteLine($"  kubectl kustomize on the same overlay: median {Ms(k)}");
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void WriteLargeOverlay(string dir, int apps = 250)
    {
        Directory.CreateDirectory(Path.Combine(dir, "base"));
        Directory.CreateDirectory(Path.Combine(dir, "overlay"));
        var sb = new StringBuilder();
        for (var i = 0; i < apps; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"""
                ---
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: app-{i}
                spec:
                  replicas: 1
                  selector:
                    matchLabels: {"{"}app: app-{i}{"}"}
                  template:
                    metadata:
                      labels: {"{"}app: app-{i}{"}"}
                    spec:
                      serviceAccountName: sa-{i}
                      containers:
                      - name: app
                        image: nginx:1.25
                        envFrom:
                        - configMapRef: {"{"}name: cfg-{i}{"}"}
                        - configMapRef: {"{"}name: shared{"}"}
                        ports:
                        - containerPort: 8080
                ---
                apiVersion: v1
                kind: Service
                metadata:
                  name: app-{i}
                spec:
                  selector: {"{"}app: app-{i}{"}"}
                  ports:
                  - port: 80
                    targetPort: 8080
                ---
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: cfg-{i}
                data:
                  index: "{i}"
                  mode: production
                ---
                apiVersion: v1
                kind: ServiceAccount
                metadata:
                  name: sa-{i}

                """);
        }

        File.WriteAllText(Path.Combine(dir, "base", "all.yaml"), sb.ToString());
        File.WriteAllText(Path.Combine(dir, "base", "kustomization.yaml"), "resources:\n- all.yaml\n");
        File.WriteAllText(Path.Combine(dir, "overlay", "kustomization.yaml"), """
            namespace: prod
            namePrefix: prod-
            resources:
            - ../base
            labels:
            - pairs:
                env: prod
              includeSelectors: true
            commonAnnotations:
              owner: platform
            images:
            - name: nginx
              newTag: "1.27"
            configMapGenerator:
            - name: shared
              literals: [LOG=info]
            patches:
            - target:
                kind: Deployment
              patch: |-
                - op: replace
                  path: /spec/replicas
                  value: 3
            - target:
                kind: Deployment
                name: app-1.*
              patch: |-
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: any
                spec:
                  template:
                    spec:
                      containers:
                      - name: app
                        resources:
                          limits: {cpu: 500m}
            - target:
                kind: Service
              patch: |-
                - op: add
                  path: /spec/type
                  value: ClusterIP

            """);
    }

    private static int Usage()
    {
        Console.Error.WriteLine("usage: RenderBench [IN_PROCESS_RUNS KUBECTL_RUNS LARGE_RUNS] | process FLEET_EXECUTABLE [RUNS]");
        return 2;
    }

    /// <summary>
    /// `fleet render` as a whole process (start-up included) against `kubectl kustomize` on the same trees,
    /// alternating the two, as a user or a CI job meets them.
    /// </summary>
    private static int Processes(string fleet, int runs)
    {
        var casesDir = FindCases();
        var dir = Path.Combine(Path.GetTempPath(), "fleet-bench-" + Guid.NewGuid().ToString("N"));
        try
        {
            var trees = new List<(string Name, string Root, string Path)>();
            foreach (var (name, apps) in new[] { ("overlay-80-apps", 80), ("overlay-250-apps", 250) })
            {
                WriteLargeOverlay(Path.Combine(dir, name), apps);
                trees.Add((name, Path.Combine(dir, name), Path.Combine(dir, name, "overlay")));
            }

            foreach (var name in new[] { "resources-single-file", "full-overlay-prod", "full-components-overlay" })
            {
                var input = Path.Combine(casesDir, name, "input");
                trees.Add((name, input, Path.Combine(input, File.ReadAllText(Path.Combine(casesDir, name, "build-path")).Trim())));
            }

            Console.WriteLine($"whole-process benchmark: {Environment.ProcessorCount} cores, {runs} runs each, alternating; {fleet}");
            Console.WriteLine();
            Console.WriteLine($"{"tree",-26} {"output",9} {"fleet median",14} {"fleet min",11} {"kubectl median",16} {"kubectl min",13}");
            foreach (var (name, root, path) in trees)
            {
                var size = Exec(fleet, ["render", path, "--root", root]);
                Exec("/usr/bin/kubectl", ["kustomize", path]);
                var fleetTimes = new List<double>();
                var kubectlTimes = new List<double>();
                for (var i = 0; i < runs; i++)
                {
                    fleetTimes.Add(Time(() => Exec(fleet, ["render", path, "--root", root])));
                    kubectlTimes.Add(Time(() => Exec("/usr/bin/kubectl", ["kustomize", path])));
                }

                Console.WriteLine($"{name,-26} {size / 1024 + " KiB",9} {Ms(Median(fleetTimes)),14} {Ms(fleetTimes.Min()),11} {Ms(Median(kubectlTimes)),16} {Ms(kubectlTimes.Min()),13}");
            }
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }

        return 0;
    }

    private static void Kubectl(string dir) => Exec("/usr/bin/kubectl", ["kustomize", dir]);

    /// <summary>Runs a process to completion and returns the length of its output; fails on a non-zero exit.</summary>
    private static int Exec(string file, string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {p.ExitCode}: {err.Result}");
        }

        return output.Length;
    }

    private static string FindCases()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "tests", "Rendering.Tests", "testdata", "cases");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("tests/Rendering.Tests/testdata/cases not found above " + AppContext.BaseDirectory);
    }

    private static double Time(Action action)
    {
        var sw = Stopwatch.StartNew();
        action();
        return sw.Elapsed.TotalMilliseconds;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Ms(double ms) => ms < 1 ? $"{ms * 1000:F0} µs" : $"{ms:F2} ms";
}
