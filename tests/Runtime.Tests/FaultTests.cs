using Fleet.TestSupport;

namespace Fleet.Runtime.Tests;

public sealed class FaultTests
{
    [Fact]
    public async Task CorruptSqliteFile_SiloRefusesToStartWithAClearError()
    {
        var dir = TestSilo.NewDataDirectory();
        try
        {
            await File.WriteAllTextAsync(Path.Combine(dir, "fleet.db"), new string('#', 10_000));
            var ex = await Assert.ThrowsAsync<FleetStorageException>(() => TestSilo.StartSqliteAsync(dir));
            Assert.Contains(Path.Combine(dir, "fleet.db"), ex.Message);
            Assert.Contains("backup", ex.Message);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    [PostgresFact]
    public async Task UnreachablePostgresAtStart_SiloRetriesWithAClearError_AndStartsWhenItComesUp()
    {
        await using var server = await PostgresServer.StartAsync();
        var cs = await server.CreateDatabaseAsync("fleet") + ";Password=hunter2-secret";
        await server.StopAsync();

        var log = new ActivationLog();
        var starting = TestSilo.StartPostgresAsync(cs, "silo-a", log: log);
        var status = await WaitForStatusAsync(log, starting);
        await Eventually.WaitAsync(() => status.LastError is not null, "the silo reports why it is not ready");
        Assert.False(status.IsReady);
        Assert.DoesNotContain("hunter2", status.LastError);
        Assert.False(starting.IsCompleted);

        await server.StartServerAsync();
        await using var silo = await starting.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(silo.Silo.IsReady);
        await silo.Grains.Get<ICounterGrain>("after-outage").Add(3);
        Assert.Equal(3, await silo.Grains.Get<ICounterGrain>("after-outage").Save());
    }

    [PostgresFact]
    public async Task DatabaseGoingAwayAndBack_WritesAreRetried_AndNothingAcknowledgedIsLost()
    {
        await using var server = await PostgresServer.StartAsync();
        var cs = await server.CreateDatabaseAsync("fleet");
        await using (var silo = await TestSilo.StartPostgresAsync(cs, "silo-a", configure: o => o.LeaseDuration = TimeSpan.FromSeconds(60)))
        {
            await Eventually.WaitAsync(() => silo.Silo.OwnedPartitions.Count == 12, "silo owns all partitions");
            var grain = silo.Grains.Get<ICounterGrain>("durable");
            await grain.Add(1);
            Assert.Equal(1, await grain.Save());

            await server.StopAsync();
            await grain.Add(1);
            var save = grain.Save();
            await server.StartServerAsync();
            Assert.Equal(2, await save.WaitAsync(TimeSpan.FromSeconds(60)));
        }

        // A new silo on the same database sees the acknowledged write.
        await using var again = await TestSilo.StartPostgresAsync(cs, "silo-b");
        await Eventually.WaitAsync(() => again.Silo.OwnedPartitions.Count == 12, "new silo owns all partitions", TimeSpan.FromSeconds(60));
        Assert.Equal(2, await again.Grains.Get<ICounterGrain>("durable").Get());
    }

    /// <summary>The silo's status is reachable only once its host is built; poll the log-sharing host through a side door.</summary>
    private static async Task<ISiloStatus> WaitForStatusAsync(ActivationLog log, Task<TestSilo> starting)
    {
        await Eventually.WaitAsync(() => TestSilo.Starting.ContainsKey(log) || starting.IsCompleted, "the silo host is built");
        return TestSilo.Starting.TryGetValue(log, out var s) ? s : (await starting).Silo;
    }
}
