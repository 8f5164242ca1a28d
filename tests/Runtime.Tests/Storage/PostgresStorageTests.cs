using Fleet.Runtime.Storage;
using Fleet.Runtime.Storage.Postgres;
using Fleet.TestSupport;

namespace Fleet.Runtime.Tests.Storage;

public sealed class PostgresStorageTests : StorageContract
{
    [PostgresFact] public Task GrainState_RoundTripsWithEtag_Postgres() => GrainState_RoundTripsWithEtag();
    [PostgresFact] public Task GrainState_StaleEtagOrDuplicateCreate_Conflicts_Postgres() => GrainState_StaleEtagOrDuplicateCreate_Conflicts();
    [PostgresFact] public Task GrainState_RetryOfACommittedWrite_Succeeds_Postgres() => GrainState_RetryOfACommittedWrite_Succeeds();
    [PostgresFact] public Task Reminders_DueListsOnlyDueRemindersOfTheGivenPartitions_Postgres() => Reminders_DueListsOnlyDueRemindersOfTheGivenPartitions();
    [PostgresFact] public Task Resources_GenerationBumpsOnlyOnSpecChange_Postgres() => Resources_GenerationBumpsOnlyOnSpecChange_ResourceVersionOnEveryChange();
    [PostgresFact] public Task Resources_WrongExpectedResourceVersion_Conflicts_Postgres() => Resources_WrongExpectedResourceVersion_Conflicts();
    [PostgresFact] public Task Resources_ListAnswersLabelSelectors_Postgres() => Resources_ListAnswersLabelSelectors();
    [PostgresFact] public Task Events_AppendListFilterAndStream_Postgres() => Events_AppendListFilterAndStreamAfterASequence();
    [PostgresFact] public Task Events_RetentionDeletesByAgeAndCount_Postgres() => Events_RetentionDeletesByAgeAndCount();
    [PostgresFact] public Task Blobs_AreStoredOnceUnderTheirDigest_Postgres() => Blobs_AreStoredOnceUnderTheirDigest();

    [PostgresFact]
    public async Task Migrations_AreRecordedAndIdempotent_AndAPartitionCountMismatchIsRefused()
    {
        var cs = await new PostgresFixture().CreateDatabaseAsync();
        await using (var first = await OpenAsync(cs, 8))
        {
        }

        await using (var second = await OpenAsync(cs, 8))
        {
        }

        await using var third = new PostgresStorageProvider(cs, new FleetRuntimeOptions { PartitionCount = 16 }, Time);
        var ex = await Assert.ThrowsAsync<FleetStorageException>(() => third.InitializeAsync(default));
        Assert.Contains("PartitionCount = 16", ex.Message);
        Assert.Contains("8 partitions", ex.Message);
    }

    [PostgresFact]
    public async Task DatabaseOfANewerSchema_IsRefusedClearly()
    {
        var cs = await new PostgresFixture().CreateDatabaseAsync();
        await using (var s = await OpenAsync(cs, 8))
        {
            await using var c = await s.DataSource.OpenConnectionAsync();
            await using var cmd = new Npgsql.NpgsqlCommand("INSERT INTO fleet_migrations (version, name) VALUES (999, 'future')", c);
            await cmd.ExecuteNonQueryAsync();
        }

        await using var again = new PostgresStorageProvider(cs, new FleetRuntimeOptions { PartitionCount = 8 }, Time);
        var ex = await Assert.ThrowsAsync<FleetStorageException>(() => again.InitializeAsync(default));
        Assert.Contains("schema version 999", ex.Message);
    }

    [PostgresFact]
    public async Task FencedWrite_OfASiloWithoutTheLease_IsRejected()
    {
        var cs = await new PostgresFixture().CreateDatabaseAsync();
        await using var s = await OpenAsync(cs, 8);
        await using (var c = await s.DataSource.OpenConnectionAsync())
        {
            await using var cmd = new Npgsql.NpgsqlCommand("UPDATE partition_leases SET owner = 'other', epoch = 7, expires_at = now() + interval '1 hour' WHERE partition = 3", c);
            await cmd.ExecuteNonQueryAsync();
        }

        var store = new PostgresGrainStateStore(s, "me");
        var ex = await Assert.ThrowsAsync<PartitionLeaseLostException>(() => store.WriteAsync("T", "k", "{}", 1, null, "e1", new Fence(3, 6), default));
        Assert.Contains("partition 3", ex.Message);
        await new PostgresGrainStateStore(s, "other").WriteAsync("T", "k", "{}", 1, null, "e1", new Fence(3, 7), default);
    }

    private protected override async Task<IStorageProvider> CreateAsync(int partitionCount = 8) =>
        await OpenAsync(await new PostgresFixture().CreateDatabaseAsync(), partitionCount);

    private async Task<PostgresStorageProvider> OpenAsync(string cs, int partitionCount)
    {
        var s = new PostgresStorageProvider(cs, new FleetRuntimeOptions { PartitionCount = partitionCount }, Time);
        await s.InitializeAsync(default);
        return s;
    }
}
