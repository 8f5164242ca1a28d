using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Fleet.KubeSim;

namespace Fleet.Kubernetes.Bench;

/// <summary>
/// Applies 1,000 objects to one KubeSim cluster (objects/s), then measures the steady-state cost of checking an
/// unchanged set of 50 objects in 5 kinds: Fleet's drift check (one LIST per kind) beside a dry-run apply per object.
/// </summary>
internal static class ApplyBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1000;
        await using var sim = await KubeSimServer.StartAsync(new KubeSimOptions { Clusters = 2, Token = "bench", ReadyDelay = TimeSpan.FromMilliseconds(100) });
        var options = new KubeClientOptions { Qps = 0, MaxConnections = 32 };
        using var big = new KubeClient(new ClusterConnection(sim.ClusterUri("sim-0001").ToString(), null, false, sim.Token), options);
        var applier = new Applier();

        // Warm-up: discovery, connections and JIT, on objects not counted.
        await applier.ApplyAsync(big, [Ns("warm"), Cm("warm", "w", 0)], new ApplyOptions("warm", "bench"));

        var objects = Objects(count);
        var gcBefore = GC.GetTotalAllocatedBytes(precise: true);
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        var first = await applier.ApplyAsync(big, objects, new ApplyOptions("bench", "bench") { Concurrency = 16 });
        sw.Stop();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - gcBefore;
        if (!first.Succeeded)
        {
            Console.Error.WriteLine(string.Join("\n", first.Errors.Take(10)));
            return 1;
        }
        Console.WriteLine($"apply {count} objects (10 namespaces, 5 kinds), first apply: {sw.Elapsed.TotalSeconds:0.00} s, {count / sw.Elapsed.TotalSeconds:0} objects/s, {allocated / 1024.0 / 1024.0:0.0} MiB allocated, CPU {cpu.TotalMilliseconds:0} ms (client and in-process KubeSim together)");

        var requestsBefore = big.RequestCount;
        var same = Objects(count);
        sw.Restart();
        var again = await applier.ApplyAsync(big, same, new ApplyOptions("bench", "bench") { Previous = first.Inventory, Concurrency = 16 });
        sw.Stop();
        Console.WriteLine($"re-apply unchanged {count} objects: {sw.Elapsed.TotalMilliseconds:0} ms, {big.RequestCount - requestsBefore} requests, {again.Count(ChangeAction.Unchanged)} unchanged");

        // Steady state on a second cluster: 50 objects in 5 kinds.
        var clusterName = "sim-0002";
        using var small = new KubeClient(new ClusterConnection(sim.ClusterUri(clusterName).ToString(), null, false, sim.Token), options);
        await applier.ApplyAsync(small, [Ns("steady")], new ApplyOptions("setup", "bench"));
        var fifty = Fifty();
        var applied = await applier.ApplyAsync(small, fifty, new ApplyOptions("steady", "bench"));
        if (!applied.Succeeded)
        {
            Console.Error.WriteLine(string.Join("\n", applied.Errors.Take(10)));
            return 1;
        }
        await DriftDetector.DetectAsync(small, applied.Inventory); // warm discovery of these kinds

        var statsBefore = sim.GetStats(clusterName);
        sw.Restart();
        var report = await DriftDetector.DetectAsync(small, applied.Inventory);
        sw.Stop();
        var statsAfter = sim.GetStats(clusterName);
        Console.WriteLine($"steady state, 50 unchanged objects in 5 kinds, Fleet drift check: {statsAfter.Total - statsBefore.Total} requests (KubeSim stats), {report.Requests} by the client, {sw.Elapsed.TotalMilliseconds:0.0} ms, drift: {report.HasDrift}");

        statsBefore = statsAfter;
        sw.Restart();
        foreach (var o in Fifty())
        {
            FleetLabels.Stamp(o, "steady", "bench");
            await small.ApplyAsync(o, new ApplyRequest(Force: true, DryRun: true));
        }
        sw.Stop();
        statsAfter = sim.GetStats(clusterName);
        Console.WriteLine($"steady state, same set, one dry-run apply per object (as Flux does): {statsAfter.Total - statsBefore.Total} requests, {sw.Elapsed.TotalMilliseconds:0.0} ms");
        return 0;
    }

    private static JsonObject Ns(string name) => Parse(Fill("""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"%0%"}}""", name));

    private static JsonObject Cm(string ns, string name, int i) =>
        Parse(Fill("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"%0%","namespace":"%1%"},"data":{"index":"%2%","payload":"%3%"}}""", name, ns, i, new string('x', 200)));

    private static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();

    /// <summary>Puts values into %0%, %1%, … of a JSON template (string.Format would trip over JSON's braces).</summary>
    private static string Fill(string template, params object[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            template = template.Replace($"%{i}%", Convert.ToString(values[i], CultureInfo.InvariantCulture), StringComparison.Ordinal);
        }
        return template;
    }

    private static JsonObject Of(int kind, string ns, string name, int i) => kind switch
    {
        0 => Cm(ns, name, i),
        1 => Parse(Fill("""{"apiVersion":"v1","kind":"Secret","metadata":{"name":"%0%","namespace":"%1%"},"stringData":{"k":"value-%2%"}}""", name, ns, i)),
        2 => Parse(Fill("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"%0%","namespace":"%1%"},"spec":{"selector":{"app":"%2%"},"ports":[{"port":80}]}}""", name, ns, name)),
        3 => Parse(Fill("""{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"%0%","namespace":"%1%"}}""", name, ns)),
        _ => Parse(Fill("""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"%0%","namespace":"%1%"},
             "spec":{"replicas":1,"selector":{"matchLabels":{"app":"%2%"}},
              "template":{"metadata":{"labels":{"app":"%3%"}},"spec":{"containers":[{"name":"main","image":"nginx:1.27"}]}}}}
            """, name, ns, name, name)),
    };

    private static List<JsonObject> Objects(int count)
    {
        var list = new List<JsonObject>();
        for (var n = 0; n < 10; n++)
        {
            list.Add(Ns($"bench-{n}"));
        }
        for (var i = list.Count; i < count; i++)
        {
            list.Add(Of(i % 5, $"bench-{i % 10}", $"obj-{i:D4}", i));
        }
        return list;
    }

    private static List<JsonObject> Fifty()
    {
        var list = new List<JsonObject>();
        for (var i = 0; i < 50; i++)
        {
            list.Add(Of(i % 5, "steady", $"obj-{i:D2}", i));
        }
        return list;
    }
}
