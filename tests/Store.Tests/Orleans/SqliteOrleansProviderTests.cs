using Fleet.Store.Orleans;
using Fleet.Store.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Storage;

namespace Fleet.Store.Tests.Orleans;

[GenerateSerializer, Alias("fleet.tests.CounterState")]
public sealed record CounterState
{
    [Id(0)]
    public int Count { get; init; }

    [Id(1)]
    public string? Note { get; init; }
}

/// <summary>Fleet's SQLite providers for Orleans' grain storage and reminders, against the contract Orleans expects of them.</summary>
public sealed class SqliteOrleansProviderTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fleet-orleans-").FullName;
    private readonly FakeTimeProvider _time = new();
    private SqliteStorageProvider _db = null!;
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        _db = new SqliteStorageProvider(_dir, _time);
        await _db.InitializeAsync(default);
        _services = new ServiceCollection().AddSerializer().BuildServiceProvider();
    }

    public async Task DisposeAsync()
    {
        await _db.DisposeAsync();
        await _services.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private SqliteGrainStorage Storage() => new(_db, ActivatorUtilities.CreateInstance<OrleansGrainStorageSerializer>(_services), _time);

    private static GrainId Grain(string key) => GrainId.Create("fleet-test", key);

    [Fact]
    public async Task GrainStorage_RoundTripsStateWithEtags_AndClears()
    {
        var storage = Storage();
        var state = new GrainState<CounterState>();
        await storage.ReadStateAsync("state", Grain("a/b"), state);
        Assert.False(state.RecordExists);
        Assert.Null(state.ETag);
        Assert.Equal(0, state.State!.Count);

        state.State = new CounterState { Count = 3, Note = "three" };
        await storage.WriteStateAsync("state", Grain("a/b"), state);
        Assert.True(state.RecordExists);
        var first = state.ETag;
        Assert.NotNull(first);

        var read = new GrainState<CounterState>();
        await Storage().ReadStateAsync("state", Grain("a/b"), read);
        Assert.Equal(new CounterState { Count = 3, Note = "three" }, read.State);
        Assert.Equal(first, read.ETag);

        // Another state name and another grain are separate rows.
        var other = new GrainState<CounterState>();
        await storage.ReadStateAsync("other", Grain("a/b"), other);
        Assert.False(other.RecordExists);

        await storage.ClearStateAsync("state", Grain("a/b"), read);
        Assert.False(read.RecordExists);
        var gone = new GrainState<CounterState>();
        await storage.ReadStateAsync("state", Grain("a/b"), gone);
        Assert.False(gone.RecordExists);
    }

    [Fact]
    public async Task GrainStorage_StaleEtagOrDuplicateCreate_IsInconsistentState_AndChangesNothing()
    {
        var storage = Storage();
        var a = new GrainState<CounterState> { State = new CounterState { Count = 1 } };
        await storage.WriteStateAsync("state", Grain("k"), a);

        // A second activation that believes nothing is stored yet.
        var b = new GrainState<CounterState> { State = new CounterState { Count = 99 } };
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("state", Grain("k"), b));

        a.State = new CounterState { Count = 2 };
        var stale = new GrainState<CounterState> { State = new CounterState { Count = 42 }, ETag = a.ETag };
        await storage.WriteStateAsync("state", Grain("k"), a);
        var ex = await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("state", Grain("k"), stale));
        Assert.Contains("changed by another writer", ex.Message, StringComparison.Ordinal);

        var read = new GrainState<CounterState>();
        await storage.ReadStateAsync("state", Grain("k"), read);
        Assert.Equal(2, read.State!.Count);
    }

    [Fact]
    public async Task GrainStorage_SurvivesReopeningTheDatabase()
    {
        var state = new GrainState<CounterState> { State = new CounterState { Count = 7 } };
        await Storage().WriteStateAsync("state", Grain("durable"), state);
        await _db.DisposeAsync();
        _db = new SqliteStorageProvider(_dir, _time);
        await _db.InitializeAsync(default);

        var read = new GrainState<CounterState>();
        await Storage().ReadStateAsync("state", Grain("durable"), read);
        Assert.Equal(7, read.State!.Count);
    }

    [Fact]
    public async Task ReminderTable_UpsertsReadsByGrainAndByRingRange_AndRemovesByEtag()
    {
        var table = new SqliteReminderTable(_db);
        var grains = Enumerable.Range(0, 40).Select(i => Grain($"ns/g{i}")).ToList();
        var start = new DateTime(2026, 12, 6, 10, 0, 0, DateTimeKind.Utc);
        var etags = new Dictionary<GrainId, string>();
        foreach (var g in grains)
        {
            etags[g] = (await table.UpsertRow(new ReminderEntry { GrainId = g, ReminderName = "reconcile", StartAt = start, Period = TimeSpan.FromMinutes(5) }))!;
        }

        var row = await table.ReadRow(grains[3], "reconcile");
        Assert.NotNull(row);
        Assert.Equal(start, row.StartAt);
        Assert.Equal(TimeSpan.FromMinutes(5), row.Period);
        Assert.Equal(etags[grains[3]], row.ETag);
        Assert.Single((await table.ReadRows(grains[3])).Reminders);
        Assert.Null(await table.ReadRow(grains[3], "other"));

        // The ring split in two ranges, one of them wrapping around zero, covers every reminder exactly once.
        var mid = grains[17].GetUniformHashCode();
        var low = await table.ReadRows(mid, uint.MaxValue / 3);
        var wrap = await table.ReadRows(uint.MaxValue / 3, mid);
        var all = low.Reminders.Concat(wrap.Reminders).Select(r => r.GrainId).ToList();
        Assert.Equal(grains.Count, all.Count);
        Assert.Equal(grains.OrderBy(g => g.ToString()), all.OrderBy(g => g.ToString()));

        // An update gives a new etag; removing with the old one does nothing.
        var newer = await table.UpsertRow(new ReminderEntry { GrainId = grains[3], ReminderName = "reconcile", StartAt = start, Period = TimeSpan.FromMinutes(10) });
        Assert.NotEqual(etags[grains[3]], newer);
        Assert.False(await table.RemoveRow(grains[3], "reconcile", etags[grains[3]]));
        Assert.True(await table.RemoveRow(grains[3], "reconcile", newer!));
        Assert.Null(await table.ReadRow(grains[3], "reconcile"));
    }
}
