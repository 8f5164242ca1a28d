using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Fleet.KubeSim;

// KubeSim scale benchmark: N virtual clusters x M objects in one process (memory, start and fill time),
// then server-side apply throughput over HTTP with C concurrent requests spread over K clusters.
var clusters = Arg("--clusters", 10_000);
var objects = Arg("--objects", 100);
var concurrency = Arg("--concurrency", 64);
var spread = Arg("--spread", 1_000);
var seconds = Arg("--seconds", 20);

Console.WriteLine($"KubeSim benchmark: {clusters:N0} clusters x {objects} objects; SSA with {concurrency} concurrent requests over {spread:N0} clusters for {seconds} s");
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}, server GC {System.Runtime.GCSettings.IsServerGC}");

var startWatch = Stopwatch.StartNew();
await using var server = await KubeSimServer.StartAsync(new KubeSimOptions
{
    Clusters = clusters,
    Token = "bench",
    ReadyDelay = TimeSpan.FromSeconds(1),
});
var startTime = startWatch.Elapsed;
Console.WriteLine($"start: {startTime.TotalMilliseconds:N0} ms for {clusters:N0} clusters");

// Fill: every cluster gets a namespace and objects of the kinds Fleet applies, by server-side apply
// (in process, so this measures the simulator, not the HTTP stack).
var names = server.ClusterNames;
var fillWatch = Stopwatch.StartNew();
long failures = 0;
Parallel.For(0, names.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
{
    var c = names[i];
    Check(server.Invoke(c, "PATCH", "/api/v1/namespaces/app?fieldManager=fleet", Namespace("app"), "application/apply-patch+yaml"));
    for (var o = 1; o < objects; o++)
    {
        var (path, body) = (o % 10) switch
        {
            0 => ($"/apis/apps/v1/namespaces/app/deployments/web-{o}?fieldManager=fleet", Deployment($"web-{o}", o)),
            1 or 2 => ($"/api/v1/namespaces/app/services/svc-{o}?fieldManager=fleet", Service($"svc-{o}")),
            3 => ($"/api/v1/namespaces/app/secrets/sec-{o}?fieldManager=fleet", Secret($"sec-{o}")),
            _ => ($"/api/v1/namespaces/app/configmaps/cm-{o}?fieldManager=fleet", ConfigMap($"cm-{o}", 0)),
        };
        Check(server.Invoke(c, "PATCH", path, body, "application/apply-patch+yaml"));
    }

    void Check((int Status, string Body) r)
    {
        if (r.Status >= 300)
        {
            Interlocked.Increment(ref failures);
        }
    }
});
var fillTime = fillWatch.Elapsed;
var total = (long)clusters * objects;
Console.WriteLine($"fill: {total:N0} objects in {fillTime.TotalSeconds:N1} s ({total / fillTime.TotalSeconds:N0} objects/s), {failures} failures");

await Task.Delay(TimeSpan.FromSeconds(2));
GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
GC.WaitForPendingFinalizers();
using (var self = Process.GetCurrentProcess())
{
    self.Refresh();
    Console.WriteLine($"memory after fill: resident {self.WorkingSet64 / 1048576.0:N0} MiB, managed heap {GC.GetTotalMemory(false) / 1048576.0:N0} MiB " +
                      $"({GC.GetTotalMemory(false) / (double)Math.Max(1, total):N0} bytes/object)");
}

// Throughput: 64 concurrent HTTP clients apply ConfigMaps (each a real change) across `spread` clusters.
using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
using var http = new HttpClient(handler) { BaseAddress = server.BaseUri, Timeout = TimeSpan.FromSeconds(30) };
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "bench");
var spreadNames = names.Take(Math.Min(spread, names.Count)).ToArray();

// Warm up the connections and JIT.
await RunLoad(TimeSpan.FromSeconds(3), [], changing: true);
foreach (var changing in new[] { true, false })
{
    var latencies = new List<double>[concurrency];
    for (var i = 0; i < concurrency; i++)
    {
        latencies[i] = new List<double>(100_000);
    }

    var gen0 = GC.CollectionCount(0);
    var gen2 = GC.CollectionCount(2);
    var loadWatch = Stopwatch.StartNew();
    var (done, errors) = await RunLoad(TimeSpan.FromSeconds(seconds), latencies, changing);
    var elapsed = loadWatch.Elapsed;
    var all = latencies.SelectMany(l => l).Order().ToArray();
    double P(double q) => all.Length == 0 ? 0 : all[Math.Min(all.Length - 1, (int)(q * all.Length))];
    Console.WriteLine($"server-side apply over HTTP, {(changing ? "every apply changes the object" : "re-applying unchanged manifests (drift check)")}: " +
                      $"{done:N0} requests in {elapsed.TotalSeconds:N1} s = {done / elapsed.TotalSeconds:N0} requests/s, {errors} errors");
    Console.WriteLine($"  latency: p50 {P(0.50):N2} ms, p90 {P(0.90):N2} ms, p99 {P(0.99):N2} ms, max {all.LastOrDefault():N2} ms; GCs gen0 {GC.CollectionCount(0) - gen0}, gen2 {GC.CollectionCount(2) - gen2}");
}

using (var self = Process.GetCurrentProcess())
{
    self.Refresh();
    Console.WriteLine($"memory after load: resident {self.WorkingSet64 / 1048576.0:N0} MiB, peak {self.PeakWorkingSet64 / 1048576.0:N0} MiB");
}

return 0;

async Task<(long Done, long Errors)> RunLoad(TimeSpan duration, List<double>[] record, bool changing)
{
    long count = 0;
    long errs = 0;
    var until = Stopwatch.StartNew();
    var workers = Enumerable.Range(0, concurrency).Select(async w =>
    {
        var n = 0;
        var sw = new Stopwatch();
        while (until.Elapsed < duration)
        {
            n++;
            var cluster = spreadNames[(w + (n * concurrency)) % spreadNames.Length];
            var cm = (n % 50) + 1;
            var path = $"clusters/{cluster}/api/v1/namespaces/app/configmaps/cm-{(cm % 10 is 0 or 1 or 2 or 3 ? 4 : cm % 10) + (cm / 10 * 10)}?fieldManager=fleet";
            using var content = new StringContent(ConfigMap($"cm-{(cm % 10 is 0 or 1 or 2 or 3 ? 4 : cm % 10) + (cm / 10 * 10)}", changing ? n : 0), Encoding.UTF8);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/apply-patch+yaml");
            sw.Restart();
            using var response = await http.PatchAsync(path, content);
            await response.Content.LoadIntoBufferAsync();
            sw.Stop();
            if (response.StatusCode != HttpStatusCode.OK && response.StatusCode != HttpStatusCode.Created)
            {
                Interlocked.Increment(ref errs);
            }

            if (record.Length > 0)
            {
                record[w].Add(sw.Elapsed.TotalMilliseconds);
            }

            Interlocked.Increment(ref count);
        }
    }).ToArray();
    await Task.WhenAll(workers);
    return (count, errs);
}

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

static string Namespace(string name) =>
    $$$$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{{{name}}}}}","labels":{"app.kubernetes.io/managed-by":"fleet"}}}""";

static string ConfigMap(string name, int version) =>
    $$$$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{{{name}}}}}","namespace":"app","labels":{"app.kubernetes.io/managed-by":"fleet","fleet.dev/app":"shop"}},"data":{"LOG_LEVEL":"info","FEATURE_FLAGS":"a,b,c","VERSION":"{{{{{version}}}}}","ENDPOINT":"http://backend.app.svc.cluster.local:8080"}}""";

static string Secret(string name) =>
    $$$$$"""{"apiVersion":"v1","kind":"Secret","metadata":{"name":"{{{{{name}}}}}","namespace":"app","labels":{"app.kubernetes.io/managed-by":"fleet"}},"type":"Opaque","data":{"password":"c2VjcmV0LXBhc3N3b3Jk"}}""";

static string Service(string name) =>
    $$$$$"""{"apiVersion":"v1","kind":"Service","metadata":{"name":"{{{{{name}}}}}","namespace":"app","labels":{"app.kubernetes.io/managed-by":"fleet"}},"spec":{"selector":{"app":"{{{{{name}}}}}"},"ports":[{"name":"http","port":80,"targetPort":8080}]}}""";

static string Deployment(string name, int i) =>
    $$$$$"""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"{{{{{name}}}}}","namespace":"app","labels":{"app":"{{{{{name}}}}}","app.kubernetes.io/managed-by":"fleet"}},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"{{{{{name}}}}}"}},"template":{"metadata":{"labels":{"app":"{{{{{name}}}}}"}},"spec":{"containers":[{"name":"app","image":"registry.example.com/shop/{{{{{name}}}}}:1.{{{{{i}}}}}.0","ports":[{"containerPort":8080}],"env":[{"name":"MODE","value":"production"}],"resources":{"requests":{"cpu":"100m","memory":"128Mi"}}}]}}}}""";
