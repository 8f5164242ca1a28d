using Fleet.Store.Storage;
using Fleet.Store.Storage.Sqlite;

namespace Fleet.Store.Tests.Storage;

public sealed class SqliteStorageTests : StorageContract, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fleet-sqlite-").FullName;

    [Fact] public Task Changes_FeedRecordsEveryCommittedWriteInOrder_Sqlite() => Changes_FeedRecordsEveryCommittedWriteInOrder_AndSignalsIt();
    [Fact] public Task ChangeObjects_KeepEveryVersion_Sqlite() => ChangeObjects_KeepEveryVersion_EvenOfTwoQuickWritesToOneObject();
    [Fact] public Task Resources_GenerationBumpsOnlyOnSpecChange_Sqlite() => Resources_GenerationBumpsOnlyOnSpecChange_ResourceVersionOnEveryChange();
    [Fact] public Task Resources_WrongExpectedResourceVersion_Conflicts_Sqlite() => Resources_WrongExpectedResourceVersion_Conflicts();
    [Fact] public Task Resources_PutMany_WritesAllOrNothing_Sqlite() => Resources_PutMany_WritesAllOrNothing();
    [Fact] public Task Resources_ListAnswersLabelSelectors_Sqlite() => Resources_ListAnswersLabelSelectors();
    [Fact] public Task Events_AppendListFilterAndStream_Sqlite() => Events_AppendListFilterAndStreamAfterASequence();
    [Fact] public Task Events_RetentionDeletesByAgeAndCount_Sqlite() => Events_RetentionDeletesByAgeAndCount();
    [Fact] public Task Resources_ConcurrentCreates_Sqlite() => Resources_ConcurrentCreatesOfOneObject_MakeOneObject_AndAChangePerWrite();
    [Fact] public Task Resources_GetMany_Sqlite() => Resources_GetMany_ReadsEachKeyInOrder_NullWhereMissing();
    [Fact] public Task Events_ConcurrentAppends_EachCommittedOnce_Sqlite() => Events_ConcurrentAppends_EachCommittedOnce_InSequenceOrder();
    [Fact] public Task Blobs_AreStoredOnceUnderTheirDigest_Sqlite() => Blobs_AreStoredOnceUnderTheirDigest();
    [Fact] public Task Blobs_PutManyAndOverlays_Sqlite() => Blobs_PutManyStoresEachOnceInOneCall_AndOverlaysReadThroughTheCache();
    [Fact] public Task Pages_WalkEveryObjectOnceInOrder_Sqlite() => Pages_WalkEveryObjectOnceInOrder_WithFiltersInTheQuery();
    [Fact] public Task ChangePosition_StartsAfterAVersion_AndIsGoneOnceTrimmed_Sqlite() => ChangePosition_StartsAfterAVersion_AndIsGoneOnceTrimmed();
    [Fact] public Task ApiTokens_StoreHashesAndRevokeByName_Sqlite() => ApiTokens_StoreHashesAndRevokeByName();
    [Fact] public Task Registration_TakesOneUseAndCreatesEverythingOrNothing_Sqlite() => Registration_TakesOneUseAndCreatesEverythingOrNothing();
    [Fact] public Task Audit_AppendsInOrderPagesAfterASequenceAndExpires_Sqlite() => Audit_AppendsInOrderPagesAfterASequenceAndExpires();

    [Fact]
    public async Task CorruptDatabaseFile_IsReportedClearly()
    {
        var dir = Path.Combine(_dir, "corrupt");
        Directory.CreateDirectory(dir);
        await File.WriteAllBytesAsync(Path.Combine(dir, "fleet.db"), System.Text.Encoding.ASCII.GetBytes(new string('x', 8192)));
        await using var s = new SqliteStorageProvider(dir, Time);
        var ex = await Assert.ThrowsAsync<FleetStorageException>(() => s.InitializeAsync(default));
        Assert.Contains(Path.Combine(dir, "fleet.db"), ex.Message);
        Assert.Contains("not a usable SQLite database", ex.Message);
    }

    [Fact]
    public async Task DatabaseOfANewerSchema_IsRefusedClearly()
    {
        await using (var s = (SqliteStorageProvider)await CreateAsync())
        {
            await s.WriteAsync(
                async c =>
                {
                    await SqliteStorageProvider.ExecAsync(c, "INSERT INTO fleet_migrations (version, name, applied_at) VALUES (999, 'future', 'x')", default);
                    return 0;
                },
                default);
        }

        await using var again = new SqliteStorageProvider(_dir, Time);
        var ex = await Assert.ThrowsAsync<FleetStorageException>(() => again.InitializeAsync(default));
        Assert.Contains("schema version 999", ex.Message);
        Assert.Contains("newer Fleet", ex.Message);
    }

    [Fact]
    public async Task Database_IsOneWalFileUnderTheDataDirectory()
    {
        await using var s = (SqliteStorageProvider)await CreateAsync();
        await s.Blobs.PutAsync(new byte[] { 1, 2, 3 });
        Assert.Equal(Path.Combine(_dir, "fleet.db"), s.DatabasePath);
        var mode = await s.WriteAsync(
            async c =>
            {
                await using var cmd = c.CreateCommand();
                cmd.CommandText = "PRAGMA journal_mode";
                return (string)(await cmd.ExecuteScalarAsync())!;
            },
            default);
        Assert.Equal("wal", mode);
    }

    [Fact]
    public async Task ChangeObjects_AreKeptOnlyWhileAReaderAsks_Sqlite()
    {
        await using var s = await CreateAsync();
        await s.Resources.PutAsync("Cluster", "team-a", "c1", new Dictionary<string, string>(), new Dictionary<string, string>(), "{}");
        using (Signal.KeepObjects())
        {
            await s.Resources.UpdateStatusAsync("Cluster", "team-a", "c1", "{\"ready\":true}");
        }
        await s.Resources.DeleteAsync("Cluster", "team-a", "c1");

        var changes = await s.Resources.ChangesWithObjectsAsync(0, 10);
        Assert.Equal([false, true, false], changes.Select(c => c.Object is not null));
        Assert.Equal(ResourceChangeType.Deleted, changes[2].Type);
    }

    private protected override async Task<IStorageProvider> CreateAsync()
    {
        var s = new SqliteStorageProvider(_dir, Time, Signal);
        await s.InitializeAsync(default);
        return s;
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}
