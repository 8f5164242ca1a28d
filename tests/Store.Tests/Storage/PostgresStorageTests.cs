using Fleet.Store.Storage;
using Fleet.Store.Storage.Postgres;
using Fleet.TestSupport;

namespace Fleet.Store.Tests.Storage;

public sealed class PostgresStorageTests : StorageContract
{
    [PostgresFact] public Task Changes_FeedRecordsEveryCommittedWriteInOrder_Postgres() => Changes_FeedRecordsEveryCommittedWriteInOrder_AndSignalsIt();
    [PostgresFact] public Task ChangeObjects_KeepEveryVersion_Postgres() => ChangeObjects_KeepEveryVersion_EvenOfTwoQuickWritesToOneObject();
    [PostgresFact] public Task Resources_GenerationBumpsOnlyOnSpecChange_Postgres() => Resources_GenerationBumpsOnlyOnSpecChange_ResourceVersionOnEveryChange();
    [PostgresFact] public Task Resources_WrongExpectedResourceVersion_Conflicts_Postgres() => Resources_WrongExpectedResourceVersion_Conflicts();
    [PostgresFact] public Task Resources_PutMany_WritesAllOrNothing_Postgres() => Resources_PutMany_WritesAllOrNothing();
    [PostgresFact] public Task Resources_ListAnswersLabelSelectors_Postgres() => Resources_ListAnswersLabelSelectors();
    [PostgresFact] public Task Events_AppendListFilterAndStream_Postgres() => Events_AppendListFilterAndStreamAfterASequence();
    [PostgresFact] public Task Events_RetentionDeletesByAgeAndCount_Postgres() => Events_RetentionDeletesByAgeAndCount();
    [PostgresFact] public Task Resources_ConcurrentCreates_Postgres() => Resources_ConcurrentCreatesOfOneObject_MakeOneObject_AndAChangePerWrite();
    [PostgresFact] public Task Resources_GetMany_Postgres() => Resources_GetMany_ReadsEachKeyInOrder_NullWhereMissing();
    [PostgresFact] public Task Events_ConcurrentAppends_EachCommittedOnce_Postgres() => Events_ConcurrentAppends_EachCommittedOnce_InSequenceOrder();
    [PostgresFact] public Task Blobs_AreStoredOnceUnderTheirDigest_Postgres() => Blobs_AreStoredOnceUnderTheirDigest();
    [PostgresFact] public Task Blobs_PutManyAndOverlays_Postgres() => Blobs_PutManyStoresEachOnceInOneCall_AndOverlaysReadThroughTheCache();
    [PostgresFact] public Task Pages_WalkEveryObjectOnceInOrder_Postgres() => Pages_WalkEveryObjectOnceInOrder_WithFiltersInTheQuery();
    [PostgresFact] public Task ChangePosition_StartsAfterAVersion_AndIsGoneOnceTrimmed_Postgres() => ChangePosition_StartsAfterAVersion_AndIsGoneOnceTrimmed();
    [PostgresFact] public Task ApiTokens_StoreHashesAndRevokeByName_Postgres() => ApiTokens_StoreHashesAndRevokeByName();
    [PostgresFact] public Task Registration_TakesOneUseAndCreatesEverythingOrNothing_Postgres() => Registration_TakesOneUseAndCreatesEverythingOrNothing();
    [PostgresFact] public Task Audit_AppendsInOrderPagesAfterASequenceAndExpires_Postgres() => Audit_AppendsInOrderPagesAfterASequenceAndExpires();

    [PostgresFact]
    public async Task Migrations_AreRecordedAndIdempotent_AndCreateOrleansAdoNetTables()
    {
        var cs = await new PostgresFixture().CreateDatabaseAsync();
        await using (var first = await OpenAsync(cs))
        {
        }

        await using var second = await OpenAsync(cs);
        await using var c = await second.DataSource.OpenConnectionAsync();
        await using var cmd = new Npgsql.NpgsqlCommand("SELECT count(*) FROM orleansquery WHERE querykey IN ('UpsertReminderRowKey', 'WriteToStorageKey', 'InsertMembershipKey')", c);
        Assert.Equal(3L, await cmd.ExecuteScalarAsync());
        await using var versions = new Npgsql.NpgsqlCommand("SELECT string_agg(version::text, ',' ORDER BY version) FROM fleet_migrations", c);
        Assert.Equal("1,2,3,4,5", await versions.ExecuteScalarAsync());
    }

    [PostgresFact]
    public async Task DatabaseOfANewerSchema_IsRefusedClearly()
    {
        var cs = await new PostgresFixture().CreateDatabaseAsync();
        await using (var s = await OpenAsync(cs))
        {
            await using var c = await s.DataSource.OpenConnectionAsync();
            await using var cmd = new Npgsql.NpgsqlCommand("INSERT INTO fleet_migrations (version, name) VALUES (999, 'future')", c);
            await cmd.ExecuteNonQueryAsync();
        }

        await using var again = new PostgresStorageProvider(cs, Time);
        var ex = await Assert.ThrowsAsync<FleetStorageException>(() => again.InitializeAsync(default));
        Assert.Contains("schema version 999", ex.Message);
    }

    private protected override async Task<IStorageProvider> CreateAsync() =>
        await OpenAsync(await new PostgresFixture().CreateDatabaseAsync());

    private async Task<PostgresStorageProvider> OpenAsync(string cs)
    {
        var s = new PostgresStorageProvider(cs, Time, Signal);
        await s.InitializeAsync(default);
        return s;
    }
}
