using Fleet.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Fleet.Store.Tests;

/// <summary>Opening the store as a host does: a corrupt file stops start-up with a clear error; a database that is not up yet is waited for.</summary>
public sealed class StoreStartTests
{
    private static IHost Build(params (string Key, string Value)[] settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)));
        builder.Services.AddFleetStore();
        return builder.Build();
    }

    [Fact]
    public async Task CorruptSqliteFile_StopsStartWithAClearError()
    {
        var dir = Directory.CreateTempSubdirectory("fleet-corrupt-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(dir, "fleet.db"), new string('#', 10_000));
            using var host = Build(("Fleet:Store:DataDirectory", dir));
            var ex = await Assert.ThrowsAsync<FleetStorageException>(() => host.StartAsync());
            Assert.Contains(Path.Combine(dir, "fleet.db"), ex.Message, StringComparison.Ordinal);
            Assert.Contains("backup", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    [PostgresFact]
    public async Task UnreachablePostgresAtStart_IsReportedWithoutThePassword_AndOpensWhenItComesUp()
    {
        await using var server = await PostgresServer.StartAsync();
        var cs = await server.CreateDatabaseAsync("fleet") + ";Password=hunter2-secret";
        await server.StopAsync();

        using var host = Build(("Fleet:Store:Provider", "Postgres"), ("Fleet:Store:ConnectionString", cs));
        var status = host.Services.GetRequiredService<StoreStatus>();
        var starting = host.StartAsync();
        await Eventually.WaitAsync(() => status.LastError is not null, "the store reports why it is not open");
        Assert.False(status.IsReady);
        Assert.DoesNotContain("hunter2", status.LastError, StringComparison.Ordinal);
        Assert.False(starting.IsCompleted);

        await server.StartServerAsync();
        await starting.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(status.IsReady);
        var store = host.Services.GetRequiredService<IResourceStore>();
        await store.PutAsync("Cluster", "a", "after-outage", new Dictionary<string, string>(), new Dictionary<string, string>(), "{}");
        Assert.NotNull(await store.GetAsync("Cluster", "a", "after-outage"));
        await host.StopAsync();
    }
}
