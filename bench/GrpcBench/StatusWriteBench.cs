using System.Diagnostics;
using System.Globalization;
using Fleet.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fleet.Bench.Grpc;

/// <summary>
/// The store's hottest write on its own: WRITERS tasks replace the status of their own objects (a status of about
/// SIZE bytes, different every time) for SECONDS, through <see cref="IResourceStore.UpdateStatusAsync"/> as every
/// placement outcome does. Prints status writes per second, so the cost of what the change feed records per write
/// can be compared before and after a change of the store. With <c>--keep-objects</c> the store is asked to keep each
/// change's object in the feed, as it is while a watch is open.
/// </summary>
internal static class StatusWriteBench
{
    public static async Task RunAsync(int writers, int seconds, int size, string? postgres, bool keepObjects)
    {
        var dir = Directory.CreateTempSubdirectory("fleet-status-bench-").FullName;
        var builder = Host.CreateApplicationBuilder([
            $"--Fleet:Store:DataDirectory={dir}",
            .. postgres is null ? Array.Empty<string>() : ["--Fleet:Store:Provider=Postgres", $"--Fleet:Store:ConnectionString={postgres}"],
        ]);
        builder.Logging.ClearProviders();
        builder.Services.AddFleetStore();
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var store = host.Services.GetRequiredService<IResourceStore>();

            // As while a watch is open (SQLite copies each change's object into the feed only then).
            using var keep = keepObjects ? host.Services.GetRequiredService<StoreChangeSignal>().KeepObjects() : null;
            var ns = "bench-" + Guid.NewGuid().ToString("N")[..8];
            const int objectsPerWriter = 20;
            for (var w = 0; w < writers; w++)
            {
                for (var o = 0; o < objectsPerWriter; o++)
                {
                    await store.PutAsync("Placement", ns, $"p{w}-{o}", new Dictionary<string, string> { ["app"] = "bench" }, new Dictionary<string, string>(), "{\"replicas\":1}");
                }
            }

            var padding = new string('x', Math.Max(0, size - 100));
            var writes = new long[writers];
            var running = true;
            var clock = Stopwatch.StartNew();
            var tasks = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
            {
                for (var i = 0; Volatile.Read(ref running); i++)
                {
                    var status = string.Create(CultureInfo.InvariantCulture, $"{{\"observedGeneration\":1,\"attempt\":{i},\"message\":\"{padding}\"}}");
                    await store.UpdateStatusAsync("Placement", ns, $"p{w}-{i % objectsPerWriter}", status);
                    writes[w]++;
                }
            })).ToArray();
            await Task.Delay(TimeSpan.FromSeconds(seconds));
            Volatile.Write(ref running, false);
            await Task.WhenAll(tasks);
            var total = writes.Sum();
            Console.WriteLine($"status writes ({(postgres is null ? "SQLite" : "PostgreSQL")}{(keepObjects ? ", objects kept as for a watch" : "")}, {writers} writers, status of {size:N0} bytes): {total:N0} in {clock.Elapsed.TotalSeconds:N1} s = {total / clock.Elapsed.TotalSeconds:N0} writes/s");
        }
        finally
        {
            await host.StopAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }
}
