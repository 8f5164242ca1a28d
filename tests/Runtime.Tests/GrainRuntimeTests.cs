using Fleet.TestSupport;

namespace Fleet.Runtime.Tests;

public sealed class GrainRuntimeTests
{
    [Fact]
    public async Task Tells_TenThousandConcurrentToOneGrain_NeverOverlapAndNoneIsLost()
    {
        await using var silo = await TestSilo.StartSqliteAsync();
        var grain = silo.Grains.Get<ICounterGrain>("stress");
        await Parallel.ForAsync(0, 10_000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (_, _) => await grain.Add(1));

        await Eventually.WaitAsync(async () => await grain.Get() == 10_000, "all 10,000 tells counted");
        Assert.Equal(0, await grain.Overlaps());
        Assert.Equal(1, silo.Log.Count("activate stress"));
    }

    [Fact]
    public async Task Ask_ReturnsTheResultAfterTheTurn()
    {
        await using var silo = await TestSilo.StartSqliteAsync();
        Assert.Equal("a/b", await silo.Grains.Get<ICounterGrain>("a/b").WhoAmI());
    }

    [Fact]
    public async Task Ask_ExceptionOfTheGrainReachesTheCaller_AndTheGrainStaysUsable()
    {
        await using var silo = await TestSilo.StartSqliteAsync();
        var grain = silo.Grains.Get<ICounterGrain>("failing");
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => grain.Fail("boom"));
        Assert.Equal("boom", ex.Message);
        await grain.Add(2);
        Assert.Equal(2, await grain.Get());
    }

    [Fact]
    public async Task Activation_HappensOnFirstMessage_AndLoadsStoredState()
    {
        var dir = TestSilo.NewDataDirectory();
        try
        {
            await using (var first = await TestSilo.StartSqliteAsync(dir))
            {
                var g = first.Grains.Get<ICounterGrain>("persisted");
                await g.Add(5);
                await g.Save();
                Assert.Equal(0, first.Log.Count("activate other"));
            }

            await using var second = await TestSilo.StartSqliteAsync(dir);
            Assert.Empty(second.Log.Entries);
            Assert.Equal(5, await second.Grains.Get<ICounterGrain>("persisted").Get());
            Assert.Contains("activate persisted count=5", second.Log.Entries);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task IdleActivation_IsDeactivatedAfterTheIdleTimeout_AndReactivatedOnTheNextMessage()
    {
        var time = new FakeTimeProvider();
        await using var silo = await TestSilo.StartSqliteAsync(time: time, configure: o =>
        {
            o.IdleTimeout = TimeSpan.FromMinutes(5);
            o.IdleCollectionPeriod = TimeSpan.FromMinutes(1);
        });
        var grain = silo.Grains.Get<ICounterGrain>("idle");
        await grain.Add(1);
        await grain.Get();

        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(0, silo.Log.Count("deactivate idle"));

        for (var i = 0; i < 4; i++)
        {
            time.Advance(TimeSpan.FromMinutes(1));
        }

        // Each poll moves the clock by one collection period, so the collector runs however its loop is scheduled.
        await Eventually.WaitAsync(
            () =>
            {
                time.Advance(TimeSpan.FromMinutes(1));
                return silo.Log.Count("deactivate idle Idle") == 1;
            },
            "idle deactivation");
        await Eventually.WaitAsync(() => silo.Runtime.ActivationCount == 0, "activation removed");

        await grain.Get();
        Assert.Equal(2, silo.Log.Count("activate idle"));
    }

    [Fact]
    public async Task StateWrite_WithAStaleEtag_ThrowsConflict()
    {
        await using var silo = await TestSilo.StartSqliteAsync();
        var grain = silo.Grains.Get<ICounterGrain>("conflict");
        await grain.Add(1);
        await grain.Save();

        // Another writer changes the stored state behind the activation's back.
        var store = silo.Runtime.Storage.GrainState;
        var stored = await store.ReadAsync("CounterGrain", "conflict", default);
        await store.WriteAsync("CounterGrain", "conflict", "{\"Count\":42}", 1, stored!.Etag, "other", default, default);

        await grain.Add(1);
        var ex = await Assert.ThrowsAsync<GrainStateConflictException>(() => grain.Save());
        Assert.Contains("CounterGrain/conflict", ex.Message);
        Assert.Equal(42, System.Text.Json.JsonDocument.Parse((await store.ReadAsync("CounterGrain", "conflict", default))!.Json).RootElement.GetProperty("Count").GetInt32());
    }

    [Fact]
    public async Task Timers_RunAsTurns_NeverConcurrentlyWithMessages()
    {
        var time = new FakeTimeProvider();
        await using var silo = await TestSilo.StartSqliteAsync(time: time);
        var grain = silo.Grains.Get<ITimerGrain>("ticker");
        await grain.Start(10);
        for (var i = 0; i < 20; i++)
        {
            var pings = Enumerable.Range(0, 50).Select(_ => grain.Ping()).ToArray();
            time.Advance(TimeSpan.FromSeconds(10));
            await Task.WhenAll(pings);
            var expected = i + 1;
            await Eventually.WaitAsync(async () => await grain.Ticks() == expected, $"tick {expected}");
        }

        Assert.Equal(0, await grain.Overlaps());
    }

    [Fact]
    public async Task Reminder_FiresAfterASiloRestart()
    {
        var dir = TestSilo.NewDataDirectory();
        var time = new FakeTimeProvider();
        try
        {
            await using (var first = await TestSilo.StartSqliteAsync(dir, time))
            {
                await first.Grains.Get<IReminderGrain>("wake-me").RemindAt(time.GetUtcNow().AddMinutes(10));
            }

            time.Advance(TimeSpan.FromMinutes(11));
            await using var second = await TestSilo.StartSqliteAsync(dir, time);
            await Eventually.WaitAsync(() => second.Log.Count("reminder wake-me") == 1, "reminder delivered after restart");
            await Eventually.WaitAsync(async () => await second.Grains.Get<IReminderGrain>("wake-me").Reminder() is null, "fired reminder removed");
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task StateWrittenByANewerSchemaVersion_IsRefusedWithAClearMessage()
    {
        await using var silo = await TestSilo.StartSqliteAsync();
        await silo.Runtime.Storage.GrainState.WriteAsync("VersionedGrain", "future", "{\"Count\":1,\"New\":true}", 2, null, "e1", default, default);

        var ex = await Assert.ThrowsAsync<GrainCallException>(() => silo.Grains.Get<IVersionedGrain>("future").Get());
        Assert.Contains("version 2", ex.Message);
        Assert.Contains("newer Fleet", ex.Message);
    }

    [Fact]
    public async Task UnregisteredGrainInterface_GivesAClearError()
    {
        await using var silo = await TestSilo.StartSqliteAsync();
        var ex = Assert.Throws<ArgumentException>(() => silo.Grains.Get<IUnregisteredGrain>("x"));
        Assert.Contains("IUnregisteredGrain", ex.Message);
    }
}

public interface IUnregisteredGrain : Fleet.Abstractions.IGrainWithStringKey
{
    Task Poke();
}
