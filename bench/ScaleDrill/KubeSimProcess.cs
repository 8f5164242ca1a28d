using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Fleet.TestSupport;

namespace Fleet.Bench.ScaleDrill;

/// <summary>
/// KubeSim as a child process (so the silo's memory and CPU are Fleet's alone), with N clusters <c>sim-0001</c>...,
/// plain HTTP and a bearer token; killed when the drill ends (<see cref="ChildProcesses"/>).
/// </summary>
internal sealed class KubeSimProcess : IDisposable
{
    public const string Token = "drill-token";

    private readonly Process _process;
    private volatile bool _disposed;

    private KubeSimProcess(Process process, int port, int clusters)
    {
        _process = process;
        BaseUri = new Uri($"http://127.0.0.1:{port}/");
        Names = Enumerable.Range(1, clusters).Select(i => $"sim-{i:D4}").ToList();
        Http = new HttpClient { BaseAddress = BaseUri, Timeout = TimeSpan.FromSeconds(60) };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
    }

    public Uri BaseUri { get; }

    /// <summary>The names of its clusters.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>A client of KubeSim with its token.</summary>
    public HttpClient Http { get; }

    public int ProcessId => _process.Id;

    public Uri ClusterUri(string name) => new(BaseUri, $"clusters/{name}");

    public static async Task<KubeSimProcess> StartAsync(int clusters, TimeSpan readyDelay)
    {
        var port = SiloProcess.FreePort();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[]
                 {
                     Path.Combine(AppContext.BaseDirectory, "Fleet.KubeSim.dll"), "--urls", $"http://127.0.0.1:{port}",
                     "--clusters", clusters.ToString(CultureInfo.InvariantCulture), "--token", Token,
                     "--ready-delay", $"{(int)readyDelay.TotalMilliseconds}ms",
                 })
        {
            psi.ArgumentList.Add(a);
        }

        // Server GC would take a heap per core on a machine the silo shares; KubeSim is a stand-in, not the subject.
        psi.Environment["DOTNET_gcServer"] = "0";
        var p = ChildProcesses.Start(psi);
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line)
            {
                Console.Error.WriteLine($"kubesim: {line}");
            }
        };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        var sim = new KubeSimProcess(p, port, clusters);
        p.EnableRaisingEvents = true;
        p.Exited += (_, _) =>
        {
            if (!sim._disposed)
            {
                // Exit code 137 is SIGKILL (from outside: the drill never kills KubeSim before it ends).
                Console.Error.WriteLine($"kubesim: EXITED with code {p.ExitCode} while the drill was running; every cluster is gone");
            }
        };
        await Eventually.WaitAsync(
            async () =>
            {
                if (p.HasExited)
                {
                    throw new InvalidOperationException($"KubeSim exited with {p.ExitCode}");
                }

                try
                {
                    return (await sim.Http.GetAsync($"clusters/{sim.Names[0]}/version")).IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            },
            "KubeSim to answer",
            TimeSpan.FromSeconds(120));
        return sim;
    }

    /// <summary>Requests served so far, summed over every cluster, and KubeSim's own resident set.</summary>
    public async Task<(long Requests, long WorkingSet)> StatsAsync()
    {
        var stats = JsonNode.Parse(await Http.GetStringAsync("_sim/stats"))!;
        return (stats["total"]!.GetValue<long>(), stats["workingSetBytes"]!.GetValue<long>());
    }

    /// <summary>The clusters (of <paramref name="clusters"/>) whose Deployment does not run <paramref name="image"/> yet, asked 32 at a time.</summary>
    public async Task<List<string>> NotRunningAsync(IEnumerable<string> clusters, string ns, string name, string image) =>
        [.. (await RunningSinceAsync(clusters, ns, name, image)).Where(c => c.Since is null).Select(c => c.Cluster)];

    /// <summary>
    /// For each cluster, when its Deployment was last written with <paramref name="image"/> (the newest time in its
    /// managedFields, whole seconds as Kubernetes keeps them), or null while it does not run that image.
    /// </summary>
    public async Task<List<(string Cluster, DateTimeOffset? Since)>> RunningSinceAsync(IEnumerable<string> clusters, string ns, string name, string image)
    {
        var found = new System.Collections.Concurrent.ConcurrentBag<(string, DateTimeOffset?)>();
        await Parallel.ForEachAsync(clusters, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (cluster, _) =>
        {
            using var response = await Http.GetAsync($"clusters/{cluster}/apis/apps/v1/namespaces/{ns}/deployments/{name}");
            var body = response.IsSuccessStatusCode ? JsonNode.Parse(await response.Content.ReadAsStringAsync()) : null;
            var running = body?["spec"]?["template"]?["spec"]?["containers"]?[0]?["image"]?.GetValue<string>() == image;
            var since = running
                ? (body!["metadata"]?["managedFields"] as JsonArray ?? [])
                    .Select(f => f?["time"]?.GetValue<string>())
                    .Where(t => t is not null)
                    .Select(t => DateTimeOffset.Parse(t!, System.Globalization.CultureInfo.InvariantCulture))
                    .DefaultIfEmpty(DateTimeOffset.UtcNow)
                    .Max()
                : (DateTimeOffset?)null;
            found.Add((cluster, since));
        });
        return [.. found];
    }

    public void Dispose()
    {
        _disposed = true;
        Http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
    }
}
