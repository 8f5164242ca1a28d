using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fleet.Abstractions;
using Fleet.Abstractions.Grains;
using Fleet.Abstractions.Resources;
using Fleet.Grains;
using Fleet.Store;
using Fleet.Store.Secrets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fleet.Bench;

/// <summary>
/// Reconciliation at scale: one Orleans silo (SQLite, as the README runs it) and a KubeSim process with N clusters.
/// 1. Cold start: N clusters x A applications, placements Ready per second, memory per placement grain.
/// 2. Commit to applied: a new commit, fetched at once (as a webhook does), until every cluster runs it:
///    p50/p95/p99 of the per-cluster time and the time until the application is Ready.
/// </summary>
internal static class ReconcileBenchmark
{
    private const string Ns = "bench";
    private const string Token = "bench-token";

    /// <summary>One silo as the README's first command runs it (SQLite, localhost clustering), without the HTTP gateway.</summary>
    internal static Task<WebApplication> StartSiloAsync(string directory) =>
        Fleet.Silo.EmbeddedSilo.StartAsync(
            ["--urls", "http://127.0.0.1:0", $"--Fleet:DataDirectory={directory}", "--Fleet:Gateway=false",
             $"--Fleet:SiloPort={FreePort()}", $"--Fleet:GatewayPort={FreePort()}"],
            logging => logging.ClearProviders());

    public static async Task<int> RunAsync(int clusterCount, int appCount)
    {
        var root = Path.Combine(Path.GetTempPath(), "fleet-reconcile-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        var port = FreePort();
        using var sim = StartKubeSim(port, clusterCount);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token);
        await WaitUntilAsync(async () => (await http.GetAsync("clusters/sim-0001/version")).IsSuccessStatusCode, TimeSpan.FromSeconds(60));

        var repo = Path.Combine(root, "repo");
        WriteRepo(repo, "nginx:1.25", appCount);
        Git(repo, "init", "-q", "-b", "main");
        Commit(repo, "first");

        await using var host = await StartSiloAsync(root);
        var store = host.Services.GetRequiredService<IResourceStore>();
        var grains = host.Services.GetRequiredService<IGrainFactory>();
        var cipher = host.Services.GetRequiredService<SecretCipher>();

        Console.WriteLine($"reconcile benchmark: {clusterCount} KubeSim clusters, {appCount} applications, one silo on SQLite, {Environment.ProcessorCount} cores");
        var secret = new JsonObject { ["encryptedData"] = cipher.Encrypt(JsonSerializer.Serialize(new Dictionary<string, string> { ["token"] = Token })), ["keys"] = new JsonArray("token") };
        await store.PutAsync("Secret", Ns, "sim", new Dictionary<string, string>(), new Dictionary<string, string>(), secret.ToJsonString());
        var names = Enumerable.Range(1, clusterCount).Select(i => $"sim-{i:0000}").ToList();
        foreach (var name in names)
        {
            var spec = new ClusterSpec { Server = $"http://127.0.0.1:{port}/clusters/{name}", CredentialsRef = new LocalObjectReference { Name = "sim" }, ProbeInterval = "10m" };
            await store.PutAsync("Cluster", Ns, name, new Dictionary<string, string> { ["env"] = "prod" }, new Dictionary<string, string>(), JsonSerializer.Serialize(spec, FleetJson.Options));
        }
        var source = new GitRepositorySpec { Url = new Uri(repo).AbsoluteUri, Interval = "1h", Ref = new GitRepositoryRef { Branch = "main" } };
        await store.PutAsync("GitRepository", Ns, "repo", new Dictionary<string, string>(), new Dictionary<string, string>(), JsonSerializer.Serialize(source, FleetJson.Options));
        await WaitUntilAsync(async () => (await store.GetAsync("GitRepository", Ns, "repo"))?.StatusJson?.Contains("artifact", StringComparison.Ordinal) == true, TimeSpan.FromMinutes(2));

        // 1. Cold start.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var heapBefore = GC.GetTotalMemory(true);
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var cold = Stopwatch.StartNew();
        for (var a = 0; a < appCount; a++)
        {
            var spec = new ApplicationSpec
            {
                SourceRef = new CrossNamespaceObjectReference { Kind = "GitRepository", Name = "repo" },
                Path = $"app-{a}",
                Interval = "1h",
                RetryInterval = "5s",
                Timeout = "2m",
                Prune = true,
                ClusterSelector = new LabelSelectorSpec { MatchLabels = new Dictionary<string, string> { ["env"] = "prod" } },
            };
            await store.PutAsync("Application", Ns, $"app-{a}", new Dictionary<string, string>(), new Dictionary<string, string>(), JsonSerializer.Serialize(spec, FleetJson.Options));
        }
        var total = clusterCount * appCount;
        var placementSelector = LabelSelector.Everything;
        var lastReport = TimeSpan.Zero;
        await WaitUntilAsync(async () =>
        {
            var ready = (await store.ListAsync("Placement", Ns, placementSelector)).Count(p => p.StatusJson?.Contains("\"Applied revision", StringComparison.Ordinal) == true);
            if (cold.Elapsed - lastReport > TimeSpan.FromSeconds(10))
            {
                lastReport = cold.Elapsed;
                Console.WriteLine($"  {cold.Elapsed.TotalSeconds,6:0.0}s  {ready}/{total} placements ready");
            }
            return ready == total;
        }, TimeSpan.FromMinutes(30));
        cold.Stop();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var heapAfter = GC.GetTotalMemory(true);
        Console.WriteLine($"cold start: {total} placements Ready in {cold.Elapsed.TotalSeconds:0.0} s = {total / cold.Elapsed.TotalSeconds:0} placements/s (silo CPU {cpu.TotalSeconds:0.0} s)");
        Console.WriteLine($"memory: managed heap +{(heapAfter - heapBefore) / 1024.0 / 1024:0.0} MiB after activating {total} placements and {appCount} applications = {(heapAfter - heapBefore) / (double)total:0} bytes per placement (grain, state, cached client share); process working set {Process.GetCurrentProcess().WorkingSet64 / 1024 / 1024} MiB");

        // 2. Commit to applied, for the first application.
        WriteRepo(repo, "nginx:1.27", appCount);
        Commit(repo, "new image");
        var applied = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        var rolloutCpu = Process.GetCurrentProcess().TotalProcessorTime;
        var rollout = Stopwatch.StartNew();
        await grains.GetGrain<IGitRepositoryGrain>($"{Ns}/repo").HintFetchNow();
        var pending = names.ToList();
        while (pending.Count > 0 && rollout.Elapsed < TimeSpan.FromMinutes(20))
        {
            var checks = await Task.WhenAll(pending.Select(async name =>
            {
                var body = await http.GetStringAsync($"clusters/{name}/apis/apps/v1/namespaces/app-0/deployments/web");
                return (name, done: body.Contains("nginx:1.27", StringComparison.Ordinal));
            }));
            foreach (var (name, done) in checks.Where(c => c.done))
            {
                applied[name] = rollout.Elapsed;
            }
            pending = checks.Where(c => !c.done).Select(c => c.name).ToList();
        }
        var allApplied = rollout.Elapsed;
        await WaitUntilAsync(async () => (await store.GetAsync("Application", Ns, "app-0"))?.StatusJson is { } s &&
            JsonSerializer.Deserialize<ApplicationStatus>(s, FleetJson.Options)?.Conditions?.FirstOrDefault()?.Status == "True" &&
            JsonSerializer.Deserialize<ApplicationStatus>(s, FleetJson.Options)?.LastAppliedRevision?.Contains(Git(repo, "rev-parse", "HEAD").Trim(), StringComparison.Ordinal) == true, TimeSpan.FromMinutes(20));
        var ready = rollout.Elapsed;
        var sorted = applied.Values.Order().ToList();
        Console.WriteLine($"commit to applied on {clusterCount} clusters (fetch at once, as on a webhook; all {appCount} applications change, one is timed): " +
            $"p50 {P(sorted, 0.50):0.00} s, p95 {P(sorted, 0.95):0.00} s, p99 {P(sorted, 0.99):0.00} s, all applied {allApplied.TotalSeconds:0.00} s, application Ready {ready.TotalSeconds:0.00} s " +
            $"(benchmark process CPU {(Process.GetCurrentProcess().TotalProcessorTime - rolloutCpu).TotalSeconds:0.0} s, silo and polling)");

        await host.StopAsync();
        sim.Kill(entireProcessTree: true);
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS to clean.
        }
        return 0;
    }

    private static double P(List<TimeSpan> sorted, double q) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)].TotalSeconds;

    private static Process StartKubeSim(int port, int clusters)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Fleet.KubeSim.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { dll, "--urls", $"http://127.0.0.1:{port}", "--clusters", clusters.ToString(CultureInfo.InvariantCulture), "--token", Token, "--ready-delay", "500ms" })
        {
            psi.ArgumentList.Add(a);
        }
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    /// <summary>Each application renders its own directory: a Namespace, a Deployment, a ConfigMap and a Service.</summary>
    private static void WriteRepo(string repo, string image, int apps)
    {
        for (var a = 0; a < apps; a++)
        {
            var dir = Path.Combine(repo, $"app-{a}");
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "all.yaml"), $"""
                apiVersion: v1
                kind: Namespace
                metadata:
                  name: app-{a}
                ---
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: web
                  namespace: app-{a}
                spec:
                  replicas: 1
                  selector:
                    matchLabels: {"{"}app: web{"}"}
                  template:
                    metadata:
                      labels: {"{"}app: web{"}"}
                    spec:
                      containers:
                      - name: web
                        image: {image}
                ---
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: web
                  namespace: app-{a}
                data:
                  image: "{image}"
                ---
                apiVersion: v1
                kind: Service
                metadata:
                  name: web
                  namespace: app-{a}
                spec:
                  selector: {"{"}app: web{"}"}
                  ports:
                  - port: 80
                """);
        }
    }

    private static void Commit(string repo, string message)
    {
        Git(repo, "add", "-A");
        Git(repo, "-c", "user.name=bench", "-c", "user.email=bench@fleet.dev", "commit", "-q", "-m", message);
    }

    private static string Git(string repo, params string[] args)
    {
        var psi = new ProcessStartInfo("git") { WorkingDirectory = repo, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        return output;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not up yet.
            }
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"condition not met within {timeout}");
            }
            // Polling an observable condition.
            await Task.Delay(200);
        }
    }
}
