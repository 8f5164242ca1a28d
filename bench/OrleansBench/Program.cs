using System.Diagnostics;
using System.Globalization;
using Fleet.Abstractions;
using Fleet.Bench.Orleans;
using Fleet.Silo;
using Fleet.Store;
using Fleet.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

// The costs of Fleet's runtime on Orleans, on this machine: activations, one-way hints, asks, grain state writes
// through Fleet's SQLite grain storage and Orleans' ADO.NET storage on PostgreSQL, and the store's label query.
// Usage: dotnet run -c Release --project bench/OrleansBench [-- GRAINS]   (default 100,000)
var grains = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
Console.WriteLine($"Fleet on Orleans benchmark: {Environment.ProcessorCount} cores, .NET {Environment.Version}, server GC {System.Runtime.GCSettings.IsServerGC}");
var dir = Directory.CreateTempSubdirectory("fleet-orleans-bench-").FullName;
try
{
    await using (var silo = await StartAsync(dir))
    {
        await Bench.InMemoryAsync(silo, grains);
        await Bench.WritesAsync(silo, "SQLite (Fleet's IGrainStorage)", 1_000, 20);
        await Bench.LabelQueryAsync(silo, "SQLite");
    }

    if (PostgresServer.UnavailableReason() is { } reason)
    {
        Console.WriteLine($"PostgreSQL: skipped ({reason})");
    }
    else
    {
        await using var server = await PostgresServer.StartAsync();
        var cs = await server.CreateDatabaseAsync("bench");
        await using var silo = await StartAsync(Path.Combine(dir, "pg"), "--Fleet:Store:Provider=Postgres", $"--Fleet:Store:ConnectionString={cs}", "--Fleet:Clustering=AdoNet");
        await Bench.WritesAsync(silo, "PostgreSQL (Orleans ADO.NET storage)", 1_000, 20);
        await Bench.LabelQueryAsync(silo, "PostgreSQL");
    }
}
finally
{
    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    Directory.Delete(dir, recursive: true);
}

static Task<WebApplication> StartAsync(string dir, params string[] extra) =>
    EmbeddedSilo.StartAsync(
        ["--urls", "http://127.0.0.1:0", $"--Fleet:DataDirectory={dir}", "--Fleet:Gateway=false",
         $"--Fleet:SiloPort={EmbeddedSilo.FreePort()}", $"--Fleet:GatewayPort={EmbeddedSilo.FreePort()}", .. extra],
        logging => logging.ClearProviders().AddConsole().SetMinimumLevel(LogLevel.Warning));

internal static class Bench
{
    public static async Task InMemoryAsync(WebApplication silo, int count)
    {
        var factory = silo.Services.GetRequiredService<IGrainFactory>();
        var refs = Enumerable.Range(0, count).Select(i => factory.GetGrain<IHintGrain>($"g{i}")).ToArray();

        Collect();
        var heapBefore = GC.GetTotalMemory(true);
        var sw = Stopwatch.StartNew();
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, _) => await refs[i].Count());
        var activation = sw.Elapsed;
        Collect();
        var heapAfter = GC.GetTotalMemory(true);
        Console.WriteLine($"activation: {count:N0} grains in {activation.TotalSeconds:N2} s = {count / activation.TotalSeconds:N0} activations/s, {activation.TotalMicroseconds / count:N1} µs each; managed heap {(heapAfter - heapBefore) / (double)count:N0} bytes per activation");

        var before = Volatile.Read(ref HintGrain.TotalHints);
        var hints = count * 5;
        sw.Restart();
        for (var round = 0; round < 5; round++)
        {
            foreach (var r in refs)
            {
                _ = r.Hint();
            }
        }

        while (Volatile.Read(ref HintGrain.TotalHints) - before < hints)
        {
            await Task.Delay(5);
        }

        Console.WriteLine($"one-way hints: {hints:N0} to {count:N0} active grains in {sw.Elapsed.TotalSeconds:N2} s = {hints / sw.Elapsed.TotalSeconds:N0} hints/s");

        sw.Restart();
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 256 }, async (i, _) => await refs[i].Count());
        Console.WriteLine($"asks (request/response): {count:N0} in {sw.Elapsed.TotalSeconds:N2} s = {count / sw.Elapsed.TotalSeconds:N0} calls/s");
    }

    public static async Task WritesAsync(WebApplication silo, string name, int grains, int writesPerGrain)
    {
        var factory = silo.Services.GetRequiredService<IGrainFactory>();
        var sw = Stopwatch.StartNew();
        await Parallel.ForAsync(0, grains, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, _) =>
        {
            var g = factory.GetGrain<IHintGrain>($"w{i}");
            for (var n = 0; n < writesPerGrain; n++)
            {
                await g.Write(n);
            }
        });
        var total = grains * writesPerGrain;
        Console.WriteLine($"{name}: {total:N0} grain state writes from {grains:N0} grains in {sw.Elapsed.TotalSeconds:N2} s = {total / sw.Elapsed.TotalSeconds:N0} writes/s");
    }

    public static async Task LabelQueryAsync(WebApplication silo, string name)
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
                ["tier"] = (i % 4).ToString(CultureInfo.InvariantCulture),
            };
            await store.PutAsync("BenchCluster", "fleet", $"cluster-{i:D5}", labels, new Dictionary<string, string>(), $"{{\"server\":\"https://c{i}.example:6443\"}}", ct: ct);
        });
        Console.WriteLine($"{name}: {clusters:N0} objects stored in {sw.Elapsed.TotalSeconds:N2} s = {clusters / sw.Elapsed.TotalSeconds:N0} puts/s");
        var selector = LabelSelector.Parse("env=prod,region in (eu,us),tier!=3");
        var times = new List<double>();
        var matched = 0;
        for (var q = 0; q < 20; q++)
        {
            var one = Stopwatch.StartNew();
            matched = (await store.ListAsync("BenchCluster", "fleet", selector)).Count;
            times.Add(one.Elapsed.TotalMilliseconds);
        }

        times.Sort();
        Console.WriteLine($"{name}: label selector '{selector}' over {clusters:N0} objects -> {matched:N0} matches: median {times[10]:N1} ms, best {times[0]:N1} ms per query");
    }

    private static void Collect()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }
}
