using System.Text;

namespace Fleet.Runtime.Storage.Sqlite;

internal sealed class SqliteReminderStore(SqliteStorageProvider db) : IReminderStore
{
    public Task SetAsync(string grainType, string key, int partition, DateTimeOffset due, CancellationToken ct) =>
        db.WriteAsync(
            async c =>
            {
                await using var cmd = c.CreateCommand();
                cmd.CommandText = "INSERT INTO reminders (grain_type, grain_key, partition, due_at) VALUES (@t, @k, @p, @d) ON CONFLICT (grain_type, grain_key) DO UPDATE SET due_at = excluded.due_at, partition = excluded.partition";
                cmd.Parameters.AddWithValue("@t", grainType);
                cmd.Parameters.AddWithValue("@k", key);
                cmd.Parameters.AddWithValue("@p", partition);
                cmd.Parameters.AddWithValue("@d", StorageFormat.ToUnixMs(due));
                return await cmd.ExecuteNonQueryAsync(ct);
            },
            ct);

    public Task ClearAsync(string grainType, string key, DateTimeOffset? onlyIfDue, CancellationToken ct) =>
        db.WriteAsync(
            async c =>
            {
                await using var cmd = c.CreateCommand();
                cmd.CommandText = "DELETE FROM reminders WHERE grain_type = @t AND grain_key = @k" + (onlyIfDue is null ? "" : " AND due_at = @d");
                cmd.Parameters.AddWithValue("@t", grainType);
                cmd.Parameters.AddWithValue("@k", key);
                if (onlyIfDue is { } d)
                {
                    cmd.Parameters.AddWithValue("@d", StorageFormat.ToUnixMs(d));
                }

                return await cmd.ExecuteNonQueryAsync(ct);
            },
            ct);

    public async Task<DateTimeOffset?> GetAsync(string grainType, string key, CancellationToken ct)
    {
        await using var c = await db.OpenReadAsync(ct);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT due_at FROM reminders WHERE grain_type = @t AND grain_key = @k";
        cmd.Parameters.AddWithValue("@t", grainType);
        cmd.Parameters.AddWithValue("@k", key);
        var v = await cmd.ExecuteScalarAsync(ct);
        return v is long ms ? StorageFormat.FromUnixMs(ms) : null;
    }

    public async Task<IReadOnlyList<ReminderRecord>> DueAsync(DateTimeOffset before, IReadOnlyCollection<int>? partitions, int limit, CancellationToken ct)
    {
        await using var c = await db.OpenReadAsync(ct);
        await using var cmd = c.CreateCommand();
        var sql = new StringBuilder("SELECT grain_type, grain_key, partition, due_at FROM reminders WHERE due_at <= @b");
        if (partitions is not null)
        {
            sql.Append(" AND partition IN (").Append(partitions.Count == 0 ? "NULL" : string.Join(",", partitions)).Append(')');
        }

        sql.Append(" ORDER BY due_at LIMIT @l");
        cmd.CommandText = sql.ToString();
        cmd.Parameters.AddWithValue("@b", StorageFormat.ToUnixMs(before));
        cmd.Parameters.AddWithValue("@l", limit);
        var list = new List<ReminderRecord>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            list.Add(new ReminderRecord(r.GetString(0), r.GetString(1), r.GetInt32(2), StorageFormat.FromUnixMs(r.GetInt64(3))));
        }

        return list;
    }
}
