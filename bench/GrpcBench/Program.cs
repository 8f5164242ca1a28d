using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Fleet.Gateway.Grpc;
using Fleet.Gateway.Grpc.V1;
using Fleet.Gateway.Security;
using Fleet.Silo;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

// The gRPC gateway under load, on loopback: STREAMS Watch streams of one namespace while WRITERS clients apply
// changes (each to its own Secret, a counter in a label) for SECONDS. Checks that every change reaches every stream
// exactly once and in order, and prints the apply rate and the delivery latency (apply call start to the event on a
// stream). Usage: dotnet run -c Release --project bench/GrpcBench [-- --streams 200 --writers 50 --seconds 60]
// With --status-writes it measures the store's status writes alone instead (see StatusWriteBench):
// dotnet run -c Release --project bench/GrpcBench -- --status-writes --writers 16 --seconds 15 [--size 2000] [--postgres CONNSTR] [--keep-objects]
if (args.Contains("--status-writes"))
{
    var pg = Array.IndexOf(args, "--postgres");
    await Fleet.Bench.Grpc.StatusWriteBench.RunAsync(Option("--writers", 16), Option("--seconds", 15), Option("--size", 2000), pg >= 0 && pg + 1 < args.Length ? args[pg + 1] : null, args.Contains("--keep-objects"));
    return;
}

var streams = Option("--streams", 200);
var writers = Option("--writers", 50);
var seconds = Option("--seconds", 10);
Console.WriteLine($"gRPC gateway benchmark: {streams} Watch streams, {writers} writers for {seconds} s; {Environment.ProcessorCount} cores, .NET {Environment.Version}");

var dir = Directory.CreateTempSubdirectory("fleet-grpc-bench-").FullName;
var token = TokenSecret.New(TokenSecret.ApiPrefix).Text;
var app = await EmbeddedSilo.StartAsync(
    ["--urls", "http://127.0.0.1:0", $"--Fleet:DataDirectory={dir}", $"--Fleet:SiloPort={EmbeddedSilo.FreePort()}", $"--Fleet:GatewayPort={EmbeddedSilo.FreePort()}",
     "--Fleet:Grpc:Port=0", $"--Fleet:Gateway:BootstrapAdminToken={token}"],
    logging => logging.ClearProviders().AddConsole().SetMinimumLevel(LogLevel.Warning));
try
{
    var address = new Uri($"http://127.0.0.1:{app.Services.GetRequiredService<GrpcEndpoint>().Port}");
    var headers = new Metadata { { "authorization", $"Bearer {token}" } };
    // A few connections, as many clients would have (Kestrel takes 100 streams per HTTP/2 connection).
    var channels = Enumerable.Range(0, Math.Max(1, (streams + writers) / 50)).Select(_ => GrpcChannel.ForAddress(address)).ToArray();
    var client = (int i) => new Fleet.Gateway.Grpc.V1.Fleet.FleetClient(channels[i % channels.Length]);
    const string ns = "bench";

    // Every writer's object exists before the streams start; the streams watch from the newest resource version.
    var from = "0";
    for (var w = 0; w < writers; w++)
    {
        var created = await client(w).ApplyAsync(new ApplyRequest { Object = Secret(w, 0) }, headers);
        from = created.Object.Secret.Metadata.ResourceVersion;
    }

    var started = new ConcurrentDictionary<(int Writer, int Seq), long>();
    var latencies = new ConcurrentBag<double>();
    var lastSeen = new int[streams, writers];
    long delivered = 0, duplicates = 0, outOfOrder = 0, skipped = 0;
    var writing = true;
    var written = new int[writers];
    using var stop = new CancellationTokenSource();
    long resumed = 0;
    var watchers = Enumerable.Range(0, streams).Select(s => Task.Run(async () =>
    {
        // A stream the server ends for falling behind (RESOURCE_EXHAUSTED) is opened again from the version it
        // names, as a client would; the check below then tells whether anything was lost on the way.
        var resumeFrom = from;
        while (!stop.IsCancellationRequested)
        {
            using var call = client(s).Watch(new WatchRequest { Kind = Kind.Secret, Namespace = ns, ResourceVersion = resumeFrom }, headers, cancellationToken: stop.Token);
            try
            {
                await foreach (var e in call.ResponseStream.ReadAllAsync(stop.Token))
                {
                    var now = Stopwatch.GetTimestamp();
                    var meta = e.Object.Secret.Metadata;
                    var w = int.Parse(meta.Name.AsSpan(1), CultureInfo.InvariantCulture);
                    var seq = int.Parse(meta.Labels["seq"], CultureInfo.InvariantCulture);
                    var last = lastSeen[s, w];
                    if (seq == last)
                    {
                        Interlocked.Increment(ref duplicates);
                    }
                    else if (seq < last)
                    {
                        Interlocked.Increment(ref outOfOrder);
                    }
                    else
                    {
                        Interlocked.Add(ref skipped, seq - last - 1);
                        lastSeen[s, w] = seq;
                        Interlocked.Increment(ref delivered);
                        if (started.TryGetValue((w, seq), out var t0))
                        {
                            latencies.Add(Stopwatch.GetElapsedTime(t0, now).TotalMilliseconds);
                        }
                    }
                }
                return;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled || stop.IsCancellationRequested)
            {
                // The benchmark is over.
                return;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.ResourceExhausted && ex.GetRpcStatus()?.GetDetail<Google.Rpc.ErrorInfo>() is { } info)
            {
                Interlocked.Increment(ref resumed);
                resumeFrom = info.Metadata["resourceVersion"];
            }
        }
    })).ToArray();

    // Writers start once every stream is open on the server.
    var open = app.Services.GetRequiredService<GrpcStreams>();
    while (open.Count < streams)
    {
        await Task.Delay(50);
    }
    var clock = Stopwatch.StartNew();
    var writerTasks = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
    {
        var fleet = client(w);
        for (var seq = 1; Volatile.Read(ref writing); seq++)
        {
            started[(w, seq)] = Stopwatch.GetTimestamp();
            await fleet.ApplyAsync(new ApplyRequest { Object = Secret(w, seq) }, headers);
            written[w] = seq;
        }
    })).ToArray();
    await Task.Delay(TimeSpan.FromSeconds(seconds));
    Volatile.Write(ref writing, false);
    await Task.WhenAll(writerTasks);
    var writeTime = clock.Elapsed;
    var changes = written.Sum();
    var expected = (long)changes * streams;

    // Let the streams drain (bounded), then stop them.
    var drain = Stopwatch.StartNew();
    while (Interlocked.Read(ref delivered) + Interlocked.Read(ref skipped) < expected && drain.Elapsed < TimeSpan.FromSeconds(60))
    {
        await Task.Delay(100);
    }
    var drainTime = drain.Elapsed;
    await stop.CancelAsync();
    await Task.WhenAll(watchers);
    foreach (var c in channels)
    {
        c.Dispose();
    }

    var sorted = latencies.OrderBy(l => l).ToArray();
    double P(double q) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];
    Console.WriteLine($"applies: {changes:N0} in {writeTime.TotalSeconds:N1} s = {changes / writeTime.TotalSeconds:N0} calls/s ({writers} writers)");
    Console.WriteLine($"events: {Interlocked.Read(ref delivered):N0} delivered of {expected:N0} expected ({streams} streams x {changes:N0} changes) = {Interlocked.Read(ref delivered) / (writeTime + drainTime).TotalSeconds:N0} events/s; drained {drainTime.TotalSeconds:N1} s after the writes stopped");
    Console.WriteLine($"order: {Interlocked.Read(ref duplicates)} duplicates, {Interlocked.Read(ref outOfOrder)} out of order, {Interlocked.Read(ref skipped):N0} changes a stream never saw (coalesced into a later state)");
    var feed = app.Services.GetRequiredService<Fleet.Gateway.Watch.WatchFeed>();
    Console.WriteLine($"shared change-feed reader: {feed.Reads:N0} reads of the feed; {Interlocked.Read(ref resumed)} streams ended for falling behind and resumed ({feed.Overflows} dropped)");
    Console.WriteLine($"delivery latency (apply call start to event): p50 {P(0.50):N1} ms, p99 {P(0.99):N1} ms, max {(sorted.Length > 0 ? sorted[^1] : double.NaN):N1} ms");
}
finally
{
    await app.StopAsync();
    await app.DisposeAsync();
    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    Directory.Delete(dir, recursive: true);
}

int Option(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

static Resource Secret(int writer, int seq) => new()
{
    Secret = new Secret
    {
        Metadata = new ObjectMeta { Namespace = "bench", Name = $"w{writer}", Labels = { ["seq"] = seq.ToString(CultureInfo.InvariantCulture) } },
        Spec = new SecretSpec { Data = { ["token"] = "bench" } },
    },
};
