using System.Diagnostics;
using Fleet.Abstractions;
using Fleet.Runtime;
using Fleet.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fleet.Bench.Runtime;

/// <summary>Prints the runtime's figures: tells/s, activation time, memory per activation, state writes/s.</summary>
internal static class RuntimeBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var grains = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 100_000;
        Console.WriteLine($"Fleet runtime benchmark: {Environment.ProcessorCount} cores, .NET {Environment.Version}, server GC {System.Runtime.GCSettings.IsServerGC}");
        var dir = Directory.CreateTempSubdirectory("fleet-bench-").FullName;
        try
        {
            await using (var silo = await StartAsync(o =>
            {
                o.Storage = FleetStorageProvider.Sqlite;
                o.DataDirectory = dir;
            }))
            {
                await InMemoryAsync(silo, grains);
                await WritesAsync(silo, "SQLite", grains: 1_000, writesPerGrain: 20);
                await LabelQueryAsync(silo, "SQLite");
            }

            if (PostgresServer.UnavailableReason() is { } reason)
            {
                Console.WriteLine($"PostgreSQL: skipped ({reason})");
            }
            else
            {
                await using var server = await PostgresServer.StartAsync();
                var cs = await server.CreateDatabaseAsync("bench");
                await using var silo = await StartAsync(o =>
                {
                    o.Storage = FleetStorageProvider.Postgres;
                    o.ConnectionString = cs;
                    o.SiloId = "bench";
                });
                await WaitOwnedAsync(silo);
                await WritesAsync(silo, "PostgreSQL", grains: 1_000, writesPerGrain: 20);
                await LabelQueryAsync(silo, "PostgreSQL");
                Console.WriteLine("PostgreSQL silo (grains local to the silo that owns their partitions):");
                await InMemoryAsync(silo, grains);
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }

        return 0;
    }

    private static async Task InMemoryAsync(RunningSilo silo, int count)
    {
        var factory = silo.Services.GetRequiredService<IGrainFactory>();
        var keys = Enumerable.Range(0, count).Select(i => $"ns/app/cluster-{i}").ToArray();
        var refs = keys.Select(k => factory.Get<IPingGrain>(k)).ToArray();
        var status = silo.Services.GetRequiredService<ISiloStatus>();

        // Activation: the first tell to each of N grains creates N activations.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var activationsBefore = status.ActivationCount;
        var received = Interlocked.Read(ref PingGrain.Received);
        var sw = Stopwatch.StartNew();
        foreach (var r in refs)
        {
            await r.Ping();
        }

        await WaitAsync(() => Interlocked.Read(ref PingGrain.Received) - received >= count);
        sw.Stop();
        Console.WriteLine($"activation: {count:N0} grains activated in {sw.Elapsed.TotalMilliseconds:N0} ms = {sw.Elapsed.TotalMicroseconds / count:N2} µs per activation (first tell included)");

        var after = GC.GetTotalMemory(forceFullCollection: true);
        var perActivation = (after - before) / (double)(status.ActivationCount - activationsBefore);
        const int grainObjectSize = 24; // PingGrain: object header (16) + Grain's one reference field (8)
        Console.WriteLine($"memory: {perActivation:N0} bytes per idle activation in total, {perActivation - grainObjectSize:N0} bytes of runtime overhead beyond the grain object ({status.ActivationCount - activationsBefore:N0} activations)");

        // Throughput: tells spread over all grains from several producers.
        const int rounds = 20;
        var total = (long)count * rounds;
        var start = Interlocked.Read(ref PingGrain.Received);
        sw.Restart();
        await Parallel.ForAsync(0, Environment.ProcessorCount, async (p, _) =>
        {
            for (var round = 0; round < rounds; round++)
            {
                for (var i = p; i < refs.Length; i += Environment.ProcessorCount)
                {
                    await refs[i].Ping();
                }
            }
        });
        var sent = sw.Elapsed;
        await WaitAsync(() => Interlocked.Read(ref PingGrain.Received) - start >= total);
        sw.Stop();
        Console.WriteLine($"tells (in memory): {total:N0} tells to {count:N0} grains in {sw.Elapsed.TotalSeconds:N2} s = {total / sw.Elapsed.TotalSeconds:N0} tells/s processed (sending took {sent.TotalSeconds:N2} s)");

        // Tells through a fresh reference each time, as callers usually do.
        start = Interlocked.Read(ref PingGrain.Received);
        sw.Restart();
        for (var i = 0; i < count; i++)
        {
            await factory.Get<IPingGrain>(keys[i]).Ping();
        }

        await WaitAsync(() => Interlocked.Read(ref PingGrain.Received) - start >= count);
        sw.Stop();
        Console.WriteLine($"tells with Get<T>(key) each time: {count / sw.Elapsed.TotalSeconds:N0} tells/s (one producer)");
    }

    private static async Task WritesAsync(RunningSilo silo, string name, int grains, int writesPerGrain)
    {
        var factory = silo.Services.GetRequiredService<IGrainFactory>();
        var refs = Enumerable.Range(0, grains).Select(i => factory.Get<IWriterGrain>($"{name}/writer-{i}")).ToArray();

        // Cold activation with a state read (first write creates the row).
        var start = Interlocked.Read(ref WriterGrain.Written);
        var sw = Stopwatch.StartNew();
        foreach (var r in refs)
        {
            await r.Write(0);
        }

        await WaitAsync(() => Interlocked.Read(ref WriterGrain.Written) - start >= grains);
        Console.WriteLine($"{name}: {grains:N0} stateful activations with state read + first write in {sw.Elapsed.TotalMilliseconds:N0} ms");

        start = Interlocked.Read(ref WriterGrain.Written);
        var total = (long)grains * writesPerGrain;
        sw.Restart();
        for (var w = 1; w <= writesPerGrain; w++)
        {
            foreach (var r in refs)
            {
                await r.Write(w);
            }
        }

        await WaitAsync(() => Interlocked.Read(ref WriterGrain.Written) - start >= total);
        sw.Stop();
        Console.WriteLine($"{name}: {total:N0} persisted state writes by {grains:N0} grains in {sw.Elapsed.TotalSeconds:N2} s = {total / sw.Elapsed.TotalSeconds:N0} writes/s");
    }

    /// <summary>10,000 clusters, a fifth labelled env=prod: how long one selector query takes.</summary>
    private static async Task LabelQueryAsync(RunningSilo silo, string name)
    {
        const int clusters = 10_000;
        var store = silo.Services.GetRequiredService<IResourceStore>();
        var sw = Stopwatch.StartNew();
        await Parallel.ForAsync(0, clusters, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            var labels = new Dictionary<string, string>
            {
                ["env"] = i % 5 == 0 ? "prod" : "dev",
                ["region"] = (i % 3) switch { 0 => "eu", 1 => "us", _ => "ap" },
                ["tier"] = (i % 4).ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
            await store.PutAsync("Cluster", "fleet", $"cluster-{i:D5}", labels, new Dictionary<string, string>(), $"{{\"server\":\"https://c{i}.example:6443\"}}", ct: ct);
        });
        Console.WriteLine($"{name}: {clusters:N0} clusters stored in {sw.Elapsed.TotalSeconds:N2} s = {clusters / sw.Elapsed.TotalSeconds:N0} puts/s");

        var selector = LabelSelector.Parse("env=prod,region in (eu,us),tier!=3");
        var matched = 0;
        const int queries = 20;
        var times = new List<double>();
        for (var q = 0; q < queries; q++)
        {
            var sw1 = Stopwatch.StartNew();
            matched = (await store.ListAsync("Cluster", "fleet", selector)).Count;
            times.Add(sw1.Elapsed.TotalMilliseconds);
        }

        times.Sort();
        Console.WriteLine($"{name}: label selector '{selector}' over {clusters:N0} clusters -> {matched:N0} matches: median {times[queries / 2]:N1} ms, best {times[0]:N1} ms, worst {times[^1]:N1} ms per query (one query, objects included)");
    }

    private static async Task<RunningSilo> StartAsync(Action<FleetRuntimeOptions> configure)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddFleetRuntime(configure)
            .AddGrain<IPingGrain, PingGrain>()
            .AddGrain<IWriterGrain, WriterGrain>();
        var host = builder.Build();
        await host.StartAsync();
        return new RunningSilo(host);
    }

    /// <summary>A started host that stops (deactivating its grains) when disposed.</summary>
    private sealed class RunningSilo(IHost host) : IAsyncDisposable
    {
        public IServiceProvider Services => host.Services;

        public async ValueTask DisposeAsync()
        {
            await host.StopAsync();
            host.Dispose();
        }
    }

    private static async Task WaitOwnedAsync(RunningSilo silo)
    {
        var status = silo.Services.GetRequiredService<ISiloStatus>();
        await WaitAsync(() => status.OwnedPartitions.Count == 64);
    }

    private static async Task WaitAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddMinutes(5);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("benchmark did not complete");
            }

            await Task.Delay(1);
        }
    }
}
