using Npgsql;

namespace Fleet.Runtime.Storage.Postgres;

internal sealed class PostgresReminderStore(PostgresStorageProvider db) : IReminderStore
{
    public async Task SetAsync(string grainType, string key, int partition, DateTimeOffset due, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand("INSERT INTO reminders (grain_type, grain_key, partition, due_at) VALUES (@t, @k, @p, @d) ON CONFLICT (grain_type, grain_key) DO UPDATE SET due_at = excluded.due_at, partition = excluded.partition", c);
        cmd.Parameters.AddWithValue("t", grainType);
        cmd.Parameters.AddWithValue("k", key);
        cmd.Parameters.AddWithValue("p", partition);
        cmd.Parameters.AddWithValue("d", StorageFormat.ToUnixMs(due));
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task ClearAsync(string grainType, string key, DateTimeOffset? onlyIfDue, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand("DELETE FROM reminders WHERE grain_type = @t AND grain_key = @k AND (@d::bigint IS NULL OR due_at = @d::bigint)", c);
        cmd.Parameters.AddWithValue("t", grainType);
        cmd.Parameters.AddWithValue("k", key);
        cmd.Parameters.AddWithValue("d", onlyIfDue is { } d ? StorageFormat.ToUnixMs(d) : DBNull.Value);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<DateTimeOffset?> GetAsync(string grainType, string key, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand("SELECT due_at FROM reminders WHERE grain_type = @t AND grain_key = @k", c);
        cmd.Parameters.AddWithValue("t", grainType);
        cmd.Parameters.AddWithValue("k", key);
        return await cmd.ExecuteScalarAsync(ct) is long ms ? StorageFormat.FromUnixMs(ms) : null;
    }

    public async Task<IReadOnlyList<ReminderRecord>> DueAsync(DateTimeOffset before, IReadOnlyCollection<int>? partitions, int limit, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(
            "SELECT grain_type, grain_key, partition, due_at FROM reminders WHERE due_at <= @b" + (partitions is null ? "" : " AND partition = ANY(@ps)") + " ORDER BY due_at LIMIT @l",
            c);
        cmd.Parameters.AddWithValue("b", StorageFormat.ToUnixMs(before));
        cmd.Parameters.AddWithValue("l", limit);
        if (partitions is not null)
        {
            cmd.Parameters.AddWithValue("ps", partitions.ToArray());
        }

        var list = new List<ReminderRecord>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            list.Add(new ReminderRecord(r.GetString(0), r.GetString(1), r.GetInt32(2), StorageFormat.FromUnixMs(r.GetInt64(3))));
        }

        return list;
    }
}
