using Fleet.Store.Access;
using Npgsql;

namespace Fleet.Store.Storage.Postgres;

internal sealed class PostgresTokenStore(PostgresStorageProvider db, StoreChangeSignal signal) : ITokenStore
{
    public async Task<bool> CreateApiTokenAsync(ApiTokenRecord token, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await AccessSql.InsertApiTokenAsync(c, null, token, ct);
    }

    public async Task<ApiTokenRecord?> GetApiTokenAsync(string id, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await AccessSql.GetApiTokenAsync(c, id, ct);
    }

    public async Task<IReadOnlyList<ApiTokenRecord>> ListApiTokensAsync(CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await AccessSql.ListApiTokensAsync(c, ct);
    }

    public async Task<ApiTokenRecord?> RevokeApiTokenAsync(string name, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await AccessSql.RevokeApiTokenAsync(c, null, name, now, ct);
    }

    public async Task<bool> CreateRegistrationTokenAsync(RegistrationTokenRecord token, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await AccessSql.InsertRegistrationTokenAsync(c, null, token, ct);
    }

    public async Task<RegistrationTokenRecord?> GetRegistrationTokenAsync(string id, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await AccessSql.GetRegistrationTokenAsync(c, id, ct);
    }

    public async Task<IReadOnlyList<RegistrationTokenRecord>> ListRegistrationTokensAsync(string ns, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await AccessSql.ListRegistrationTokensAsync(c, ns, ct);
    }

    public async Task<bool> RevokeRegistrationTokenAsync(string ns, string name, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await AccessSql.RevokeRegistrationTokenAsync(c, null, ns, name, now, ct);
    }

    public async Task<RegistrationResult> RegisterAsync(string tokenId, DateTimeOffset now, IReadOnlyList<ResourceWrite> objects, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        // The UPDATE locks the token's row: a concurrent registration waits here and re-checks the use count after
        // this transaction ends, so a last use is taken once.
        if (!await AccessSql.TakeRegistrationUseAsync(c, tx, tokenId, now, ct))
        {
            return new RegistrationResult(RegistrationOutcome.TokenNotUsable, []);
        }

        var created = new List<StoredResource>();
        foreach (var o in objects)
        {
            StoredResource? stored;
            try
            {
                stored = (await ((PostgresResourceStore)db.Resources).PutInTransactionAsync(c, tx, o with { ExpectedResourceVersion = 0 }, ct)).Stored;
            }
            catch (ResourceConflictException)
            {
                stored = null;
            }

            if (stored is null)
            {
                await tx.RollbackAsync(ct);
                return new RegistrationResult(RegistrationOutcome.AlreadyExists, [], $"{o.Kind} {o.Namespace}/{o.Name}");
            }

            created.Add(stored);
        }

        await tx.CommitAsync(ct);
        signal.Raise();
        return new RegistrationResult(RegistrationOutcome.Registered, created);
    }
}

internal sealed class PostgresAuditLog(PostgresStorageProvider db, TimeProvider time) : IAuditLog
{
    /// <summary>Serializes appends so that sequence numbers commit in order (readers page with <c>after</c>), as the event log does.</summary>
    private const long AppendLock = 0x466C656574_03;

    public async Task<AuditEntry> AppendAsync(AuditEntry entry, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        await using (var lockCmd = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({AppendLock})", c, tx))
        {
            await lockCmd.ExecuteNonQueryAsync(ct);
        }

        var stored = await AccessSql.InsertAuditAsync(c, tx, entry, time.GetUtcNow(), ct);
        await tx.CommitAsync(ct);
        return stored;
    }

    public async Task<IReadOnlyList<AuditEntry>> ListAsync(long after, int limit, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await AccessSql.ListAuditAsync(c, after, limit, ct);
    }

    public async Task<int> ApplyRetentionAsync(TimeSpan maxAge, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await AccessSql.DeleteAuditBeforeAsync(c, time.GetUtcNow() - maxAge, ct);
    }
}
