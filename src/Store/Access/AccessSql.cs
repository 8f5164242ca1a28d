using System.Data.Common;
using System.Text.Json;
using Fleet.Store.Storage;

namespace Fleet.Store.Access;

/// <summary>
/// The SQL of tokens and audit entries, the same text for SQLite and PostgreSQL (plain ANSI statements over
/// <see cref="DbConnection"/>); the providers decide connections, transactions and locking.
/// </summary>
internal static class AccessSql
{
    private const string TokenColumns = "id, name, role, namespaces, secret_hash, expires_at, revoked_at, created_by, created_at";
    private const string RegistrationColumns = "id, namespace, name, secret_hash, expires_at, max_uses, uses, cluster_labels, revoked_at, created_by, created_at";
    private const string AuditColumns = "seq, time, subject, verb, kind, namespace, name, status";

    public static async Task<bool> InsertApiTokenAsync(DbConnection c, DbTransaction? tx, ApiTokenRecord t, CancellationToken ct)
    {
        await using var cmd = Command(c, tx, $"INSERT INTO api_tokens ({TokenColumns}) VALUES (@id, @name, @role, @ns, @hash, @expires, NULL, @by, @created) ON CONFLICT DO NOTHING");
        Add(cmd, "id", t.Id);
        Add(cmd, "name", t.Name);
        Add(cmd, "role", t.Role);
        Add(cmd, "ns", t.Namespaces is null ? null : JsonSerializer.Serialize(t.Namespaces.ToArray(), StorageJsonContext.Default.StringArray));
        Add(cmd, "hash", t.SecretHash);
        Add(cmd, "expires", Ms(t.ExpiresAt));
        Add(cmd, "by", t.CreatedBy);
        Add(cmd, "created", StorageFormat.ToUnixMs(t.CreatedAt));
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    public static async Task<ApiTokenRecord?> GetApiTokenAsync(DbConnection c, string id, CancellationToken ct)
    {
        await using var cmd = Command(c, null, $"SELECT {TokenColumns} FROM api_tokens WHERE id = @id");
        Add(cmd, "id", id);
        return (await ReadAllAsync(cmd, ReadApiToken, ct)).SingleOrDefault();
    }

    public static async Task<IReadOnlyList<ApiTokenRecord>> ListApiTokensAsync(DbConnection c, CancellationToken ct)
    {
        await using var cmd = Command(c, null, $"SELECT {TokenColumns} FROM api_tokens ORDER BY name, created_at");
        return await ReadAllAsync(cmd, ReadApiToken, ct);
    }

    public static async Task<ApiTokenRecord?> RevokeApiTokenAsync(DbConnection c, DbTransaction? tx, string name, DateTimeOffset now, CancellationToken ct)
    {
        await using var cmd = Command(c, tx, $"UPDATE api_tokens SET revoked_at = @now WHERE name = @name AND revoked_at IS NULL RETURNING {TokenColumns}");
        Add(cmd, "now", StorageFormat.ToUnixMs(now));
        Add(cmd, "name", name);
        return (await ReadAllAsync(cmd, ReadApiToken, ct)).SingleOrDefault();
    }

    public static async Task<bool> InsertRegistrationTokenAsync(DbConnection c, DbTransaction? tx, RegistrationTokenRecord t, CancellationToken ct)
    {
        await using var cmd = Command(c, tx, $"INSERT INTO registration_tokens ({RegistrationColumns}) VALUES (@id, @ns, @name, @hash, @expires, @max, 0, @labels, NULL, @by, @created) ON CONFLICT DO NOTHING");
        Add(cmd, "id", t.Id);
        Add(cmd, "ns", t.Namespace);
        Add(cmd, "name", t.Name);
        Add(cmd, "hash", t.SecretHash);
        Add(cmd, "expires", StorageFormat.ToUnixMs(t.ExpiresAt));
        Add(cmd, "max", t.MaxUses);
        Add(cmd, "labels", StorageFormat.MapToJson(t.ClusterLabels));
        Add(cmd, "by", t.CreatedBy);
        Add(cmd, "created", StorageFormat.ToUnixMs(t.CreatedAt));
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    public static async Task<RegistrationTokenRecord?> GetRegistrationTokenAsync(DbConnection c, string id, CancellationToken ct)
    {
        await using var cmd = Command(c, null, $"SELECT {RegistrationColumns} FROM registration_tokens WHERE id = @id");
        Add(cmd, "id", id);
        return (await ReadAllAsync(cmd, ReadRegistrationToken, ct)).SingleOrDefault();
    }

    public static async Task<IReadOnlyList<RegistrationTokenRecord>> ListRegistrationTokensAsync(DbConnection c, string ns, CancellationToken ct)
    {
        await using var cmd = Command(c, null, $"SELECT {RegistrationColumns} FROM registration_tokens WHERE namespace = @ns ORDER BY name, created_at");
        Add(cmd, "ns", ns);
        return await ReadAllAsync(cmd, ReadRegistrationToken, ct);
    }

    public static async Task<bool> RevokeRegistrationTokenAsync(DbConnection c, DbTransaction? tx, string ns, string name, DateTimeOffset now, CancellationToken ct)
    {
        await using var cmd = Command(c, tx, "UPDATE registration_tokens SET revoked_at = @now WHERE namespace = @ns AND name = @name AND revoked_at IS NULL");
        Add(cmd, "now", StorageFormat.ToUnixMs(now));
        Add(cmd, "ns", ns);
        Add(cmd, "name", name);
        return await cmd.ExecuteNonQueryAsync(ct) > 0;
    }

    /// <summary>Takes one use of a usable registration token in one statement (the row lock makes concurrent takers wait and re-check); false when it is not usable.</summary>
    public static async Task<bool> TakeRegistrationUseAsync(DbConnection c, DbTransaction tx, string id, DateTimeOffset now, CancellationToken ct)
    {
        await using var cmd = Command(c, tx, "UPDATE registration_tokens SET uses = uses + 1 WHERE id = @id AND revoked_at IS NULL AND expires_at > @now AND uses < max_uses");
        Add(cmd, "id", id);
        Add(cmd, "now", StorageFormat.ToUnixMs(now));
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    public static async Task<AuditEntry> InsertAuditAsync(DbConnection c, DbTransaction? tx, AuditEntry e, DateTimeOffset now, CancellationToken ct)
    {
        var time = StorageFormat.FromUnixMs(StorageFormat.ToUnixMs(now));
        await using var cmd = Command(c, tx, "INSERT INTO audit (time, subject, verb, kind, namespace, name, status) VALUES (@time, @subject, @verb, @kind, @ns, @name, @status) RETURNING seq");
        Add(cmd, "time", StorageFormat.ToUnixMs(time));
        Add(cmd, "subject", e.Subject);
        Add(cmd, "verb", e.Verb);
        Add(cmd, "kind", e.Kind);
        Add(cmd, "ns", e.Namespace);
        Add(cmd, "name", e.Name);
        Add(cmd, "status", e.Status);
        var seq = Convert.ToInt64(await cmd.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
        return e with { Sequence = seq, Time = time };
    }

    public static async Task<IReadOnlyList<AuditEntry>> ListAuditAsync(DbConnection c, long after, int limit, CancellationToken ct)
    {
        await using var cmd = Command(c, null, $"SELECT {AuditColumns} FROM audit WHERE seq > @after ORDER BY seq LIMIT @limit");
        Add(cmd, "after", after);
        Add(cmd, "limit", Math.Clamp(limit, 1, 10_000));
        return await ReadAllAsync(cmd, r => new AuditEntry(r.GetInt64(0), StorageFormat.FromUnixMs(r.GetInt64(1)), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetString(6), Convert.ToInt32(r.GetValue(7), System.Globalization.CultureInfo.InvariantCulture)), ct);
    }

    public static async Task<int> DeleteAuditBeforeAsync(DbConnection c, DateTimeOffset cutoff, CancellationToken ct)
    {
        await using var cmd = Command(c, null, "DELETE FROM audit WHERE time < @cutoff");
        Add(cmd, "cutoff", StorageFormat.ToUnixMs(cutoff));
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    private static ApiTokenRecord ReadApiToken(DbDataReader r) => new(
        r.GetString(0),
        r.GetString(1),
        r.GetString(2),
        r.IsDBNull(3) ? null : JsonSerializer.Deserialize(r.GetString(3), StorageJsonContext.Default.StringArray),
        r.GetString(4),
        Time(r, 5),
        Time(r, 6),
        r.GetString(7),
        StorageFormat.FromUnixMs(r.GetInt64(8)));

    private static RegistrationTokenRecord ReadRegistrationToken(DbDataReader r) => new(
        r.GetString(0),
        r.GetString(1),
        r.GetString(2),
        r.GetString(3),
        StorageFormat.FromUnixMs(r.GetInt64(4)),
        Convert.ToInt32(r.GetValue(5), System.Globalization.CultureInfo.InvariantCulture),
        Convert.ToInt32(r.GetValue(6), System.Globalization.CultureInfo.InvariantCulture),
        StorageFormat.MapFromJson(r.GetString(7)),
        Time(r, 8),
        r.GetString(9),
        StorageFormat.FromUnixMs(r.GetInt64(10)));

    private static DateTimeOffset? Time(DbDataReader r, int i) => r.IsDBNull(i) ? null : StorageFormat.FromUnixMs(r.GetInt64(i));

    private static long? Ms(DateTimeOffset? t) => t is { } v ? StorageFormat.ToUnixMs(v) : null;

    private static DbCommand Command(DbConnection c, DbTransaction? tx, string sql)
    {
        var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        return cmd;
    }

    private static void Add(DbCommand cmd, string name, object? value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value ?? DBNull.Value;
        cmd.Parameters.Add(p);
    }

    private static async Task<IReadOnlyList<T>> ReadAllAsync<T>(DbCommand cmd, Func<DbDataReader, T> read, CancellationToken ct)
    {
        var list = new List<T>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            list.Add(read(r));
        }

        return list;
    }
}
