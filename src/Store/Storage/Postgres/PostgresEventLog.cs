using System.Text;
using Npgsql;

namespace Fleet.Store.Storage.Postgres;

internal sealed class PostgresEventLog(PostgresStorageProvider db, TimeProvider time) : IEventLog
{
    /// <summary>
    /// Appends take this transaction-scoped advisory lock so that sequence numbers commit in order: a reader
    /// streaming with <c>after</c> must never see seq 8 committed before seq 7, or it would skip 7 for good.
    /// The lock, the insert and the commit are one batch, one implicit transaction (Npgsql sends a single Sync after
    /// the batch): the lock is released by the server as soon as the insert is done, never held across a round trip
    /// to a busy client. With an explicit transaction, every append waited for the previous writer's COMMIT to come
    /// back from its process; at 50,000 placements, appends queued 80 deep behind that lock.
    /// </summary>
    private const long AppendLock = 0x466C656574_02;

    public async Task<FleetEvent> AppendAsync(string ns, string involvedKind, string involvedName, FleetEventType type, string reason, string message, CancellationToken ct = default)
    {
        var now = StorageFormat.FromUnixMs(StorageFormat.ToUnixMs(time.GetUtcNow()));
        await using var c = await db.OpenAsync(ct);
        await using var batch = new NpgsqlBatch(c);
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"SELECT pg_advisory_xact_lock({AppendLock})"));
        var insert = new NpgsqlBatchCommand("INSERT INTO events (namespace, involved_kind, involved_name, type, reason, message, time) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING seq");
        insert.Parameters.Add(new NpgsqlParameter { Value = ns });
        insert.Parameters.Add(new NpgsqlParameter { Value = involvedKind });
        insert.Parameters.Add(new NpgsqlParameter { Value = involvedName });
        insert.Parameters.Add(new NpgsqlParameter { Value = type.ToString() });
        insert.Parameters.Add(new NpgsqlParameter { Value = reason });
        insert.Parameters.Add(new NpgsqlParameter { Value = message });
        insert.Parameters.Add(new NpgsqlParameter { Value = StorageFormat.ToUnixMs(now) });
        batch.BatchCommands.Add(insert);
        long seq;
        await using (var r = await batch.ExecuteReaderAsync(ct))
        {
            await r.NextResultAsync(ct);
            await r.ReadAsync(ct);
            seq = r.GetInt64(0);
        }

        return new FleetEvent(seq, ns, involvedKind, involvedName, type, reason, message, now);
    }

    public async Task<IReadOnlyList<FleetEvent>> ListAsync(EventQuery query, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand { Connection = c };
        var sql = new StringBuilder("SELECT seq, namespace, involved_kind, involved_name, type, reason, message, time FROM events WHERE seq > @after");
        cmd.Parameters.AddWithValue("after", query.After);
        if (query.Namespace is not null)
        {
            sql.Append(" AND namespace = @ns");
            cmd.Parameters.AddWithValue("ns", query.Namespace);
        }

        if (query.InvolvedKind is not null)
        {
            sql.Append(" AND involved_kind = @k");
            cmd.Parameters.AddWithValue("k", query.InvolvedKind);
        }

        if (query.InvolvedName is not null)
        {
            sql.Append(" AND involved_name = @n");
            cmd.Parameters.AddWithValue("n", query.InvolvedName);
        }

        if (query.Type is { } t)
        {
            sql.Append(" AND type = @t");
            cmd.Parameters.AddWithValue("t", t.ToString());
        }

        sql.Append(" ORDER BY seq LIMIT @limit");
        cmd.Parameters.AddWithValue("limit", Math.Clamp(query.Limit, 1, 10_000));
        cmd.CommandText = sql.ToString();
        var list = new List<FleetEvent>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            list.Add(new FleetEvent(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), Enum.Parse<FleetEventType>(r.GetString(4)), r.GetString(5), r.GetString(6), StorageFormat.FromUnixMs(r.GetInt64(7))));
        }

        return list;
    }

    public async Task<int> ApplyRetentionAsync(TimeSpan maxAge, int maxCount, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand("DELETE FROM events WHERE time < @cutoff OR seq <= (SELECT seq FROM events ORDER BY seq DESC LIMIT 1 OFFSET @count)", c);
        cmd.Parameters.AddWithValue("cutoff", StorageFormat.ToUnixMs(time.GetUtcNow() - maxAge));
        cmd.Parameters.AddWithValue("count", maxCount);
        return await cmd.ExecuteNonQueryAsync(ct);
    }
}
