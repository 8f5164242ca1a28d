using System.Text;

namespace Fleet.Store.Storage.Sqlite;

internal sealed class SqliteEventLog(SqliteStorageProvider db, TimeProvider time) : IEventLog
{
    public Task<FleetEvent> AppendAsync(string ns, string involvedKind, string involvedName, FleetEventType type, string reason, string message, CancellationToken ct = default)
    {
        var now = StorageFormat.FromUnixMs(StorageFormat.ToUnixMs(time.GetUtcNow()));
        return db.WriteBatchedAsync(
            async (c, tx) =>
            {
                await using var cmd = c.CreateCommand();
                cmd.Transaction = tx;
                cmd.CommandText = "INSERT INTO events (namespace, involved_kind, involved_name, type, reason, message, time) VALUES (@ns, @k, @n, @t, @r, @m, @time) RETURNING seq";
                cmd.Parameters.AddWithValue("@ns", ns);
                cmd.Parameters.AddWithValue("@k", involvedKind);
                cmd.Parameters.AddWithValue("@n", involvedName);
                cmd.Parameters.AddWithValue("@t", type.ToString());
                cmd.Parameters.AddWithValue("@r", reason);
                cmd.Parameters.AddWithValue("@m", message);
                cmd.Parameters.AddWithValue("@time", StorageFormat.ToUnixMs(now));
                var seq = (long)(await cmd.ExecuteScalarAsync(ct))!;
                return new FleetEvent(seq, ns, involvedKind, involvedName, type, reason, message, now);
            },
            ct);
    }

    public async Task<IReadOnlyList<FleetEvent>> ListAsync(EventQuery query, CancellationToken ct = default)
    {
        await using var c = await db.OpenReadAsync(ct);
        await using var cmd = c.CreateCommand();
        var sql = new StringBuilder("SELECT seq, namespace, involved_kind, involved_name, type, reason, message, time FROM events WHERE seq > @after");
        cmd.Parameters.AddWithValue("@after", query.After);
        if (query.Namespace is not null)
        {
            sql.Append(" AND namespace = @ns");
            cmd.Parameters.AddWithValue("@ns", query.Namespace);
        }

        if (query.InvolvedKind is not null)
        {
            sql.Append(" AND involved_kind = @k");
            cmd.Parameters.AddWithValue("@k", query.InvolvedKind);
        }

        if (query.InvolvedName is not null)
        {
            sql.Append(" AND involved_name = @n");
            cmd.Parameters.AddWithValue("@n", query.InvolvedName);
        }

        if (query.Type is { } t)
        {
            sql.Append(" AND type = @t");
            cmd.Parameters.AddWithValue("@t", t.ToString());
        }

        sql.Append(" ORDER BY seq LIMIT @limit");
        cmd.Parameters.AddWithValue("@limit", Math.Clamp(query.Limit, 1, 10_000));
        cmd.CommandText = sql.ToString();
        var list = new List<FleetEvent>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            list.Add(new FleetEvent(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), Enum.Parse<FleetEventType>(r.GetString(4)), r.GetString(5), r.GetString(6), StorageFormat.FromUnixMs(r.GetInt64(7))));
        }

        return list;
    }

    public Task<int> ApplyRetentionAsync(TimeSpan maxAge, int maxCount, CancellationToken ct = default)
    {
        var cutoff = StorageFormat.ToUnixMs(time.GetUtcNow() - maxAge);
        return db.WriteAsync(
            async c =>
            {
                await using var cmd = c.CreateCommand();
                cmd.CommandText = """
                    DELETE FROM events WHERE time < @cutoff
                        OR seq <= (SELECT seq FROM events ORDER BY seq DESC LIMIT 1 OFFSET @count)
                    """;
                cmd.Parameters.AddWithValue("@cutoff", cutoff);
                cmd.Parameters.AddWithValue("@count", maxCount);
                return await cmd.ExecuteNonQueryAsync(ct);
            },
            ct);
    }
}
