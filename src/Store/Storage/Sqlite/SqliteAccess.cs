using Fleet.Store.Access;
using Microsoft.Data.Sqlite;

namespace Fleet.Store.Storage.Sqlite;

internal sealed class SqliteTokenStore(SqliteStorageProvider db, StoreChangeSignal signal) : ITokenStore
{
    public Task<bool> CreateApiTokenAsync(ApiTokenRecord token, CancellationToken ct = default) =>
        db.WriteAsync(c => AccessSql.InsertApiTokenAsync(c, null, token, ct), ct);

    public async Task<ApiTokenRecord?> GetApiTokenAsync(string id, CancellationToken ct = default)
    {
        await using var c = await db.OpenReadAsync(ct);
        return await AccessSql.GetApiTokenAsync(c, id, ct);
    }

    public async Task<IReadOnlyList<ApiTokenRecord>> ListApiTokensAsync(CancellationToken ct = default)
    {
        await using var c = await db.OpenReadAsync(ct);
        return await AccessSql.ListApiTokensAsync(c, ct);
    }

    public Task<ApiTokenRecord?> RevokeApiTokenAsync(string name, DateTimeOffset now, CancellationToken ct = default) =>
        db.WriteAsync(c => AccessSql.RevokeApiTokenAsync(c, null, name, now, ct), ct);

    public Task<bool> CreateRegistrationTokenAsync(RegistrationTokenRecord token, CancellationToken ct = default) =>
        db.WriteAsync(c => AccessSql.InsertRegistrationTokenAsync(c, null, token, ct), ct);

    public async Task<RegistrationTokenRecord?> GetRegistrationTokenAsync(string id, CancellationToken ct = default)
    {
        await using var c = await db.OpenReadAsync(ct);
        return await AccessSql.GetRegistrationTokenAsync(c, id, ct);
    }

    public async Task<IReadOnlyList<RegistrationTokenRecord>> ListRegistrationTokensAsync(string ns, CancellationToken ct = default)
    {
        await using var c = await db.OpenReadAsync(ct);
        return await AccessSql.ListRegistrationTokensAsync(c, ns, ct);
    }

    public Task<bool> RevokeRegistrationTokenAsync(string ns, string name, DateTimeOffset now, CancellationToken ct = default) =>
        db.WriteAsync(c => AccessSql.RevokeRegistrationTokenAsync(c, null, ns, name, now, ct), ct);

    public Task<RegistrationResult> RegisterAsync(string tokenId, DateTimeOffset now, IReadOnlyList<ResourceWrite> objects, CancellationToken ct = default) =>
        db.WriteAsync(
            async c =>
            {
                await using var tx = (SqliteTransaction)await c.BeginTransactionAsync(ct);
                if (!await AccessSql.TakeRegistrationUseAsync(c, tx, tokenId, now, ct))
                {
                    return new RegistrationResult(RegistrationOutcome.TokenNotUsable, []);
                }

                var created = new List<StoredResource>();
                foreach (var o in objects)
                {
                    try
                    {
                        created.Add((await ((SqliteResourceStore)db.Resources).PutInTransactionAsync(c, tx, o with { ExpectedResourceVersion = 0 }, ct)).Stored);
                    }
                    catch (ResourceConflictException)
                    {
                        // The transaction is rolled back on dispose: the use is not taken, nothing is created.
                        return new RegistrationResult(RegistrationOutcome.AlreadyExists, [], $"{o.Kind} {o.Namespace}/{o.Name}");
                    }
                }

                await tx.CommitAsync(ct);
                signal.Raise();
                return new RegistrationResult(RegistrationOutcome.Registered, created);
            },
            ct);
}

internal sealed class SqliteAuditLog(SqliteStorageProvider db, TimeProvider time) : IAuditLog
{
    public Task<AuditEntry> AppendAsync(AuditEntry entry, CancellationToken ct = default) =>
        db.WriteAsync(c => AccessSql.InsertAuditAsync(c, null, entry, time.GetUtcNow(), ct), ct);

    public async Task<IReadOnlyList<AuditEntry>> ListAsync(long after, int limit, CancellationToken ct = default)
    {
        await using var c = await db.OpenReadAsync(ct);
        return await AccessSql.ListAuditAsync(c, after, limit, ct);
    }

    public Task<int> ApplyRetentionAsync(TimeSpan maxAge, CancellationToken ct = default) =>
        db.WriteAsync(c => AccessSql.DeleteAuditBeforeAsync(c, time.GetUtcNow() - maxAge, ct), ct);
}
