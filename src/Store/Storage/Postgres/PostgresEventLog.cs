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

    /// <summary>Appends waiting for the writer, and whether a writer is running; guarded by <see cref="_gate"/>.</summary>
    private readonly List<(FleetEvent Event, TaskCompletionSource<FleetEvent> Done)> _waiting = [];
    private readonly Lock _gate = new();
    private bool _writing;

    /// <summary>Appends written per statement at most.</summary>
    private const int MaxBatch = 500;

    /// <summary>
    /// Group commit: the appends of the moment are written by one writer, together, in one statement under one
    /// take of the lock; each caller returns once its event is committed. One lock per event serialized every
    /// placement of a commit (10,000 appends queued on it at 2,000 clusters, the lock the largest cost in PostgreSQL).
    /// </summary>
    public async Task<FleetEvent> AppendAsync(string ns, string involvedKind, string involvedName, FleetEventType type, string reason, string message, CancellationToken ct = default)
    {
        var now = StorageFormat.FromUnixMs(StorageFormat.ToUnixMs(time.GetUtcNow()));
        var done = new TaskCompletionSource<FleetEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        bool start;
        lock (_gate)
        {
            _waiting.Add((new FleetEvent(0, ns, involvedKind, involvedName, type, reason, message, now), done));
            start = !_writing;
            _writing = true;
        }

        if (start)
        {
            _ = Task.Run(WriteWaitingAsync, CancellationToken.None);
        }

        return await done.Task.WaitAsync(ct);
    }

    private async Task WriteWaitingAsync()
    {
        while (true)
        {
            List<(FleetEvent Event, TaskCompletionSource<FleetEvent> Done)> batch;
            lock (_gate)
            {
                if (_waiting.Count == 0)
                {
                    _writing = false;
                    return;
                }

                batch = _waiting.GetRange(0, Math.Min(MaxBatch, _waiting.Count));
                _waiting.RemoveRange(0, batch.Count);
            }

            try
            {
                var seqs = await InsertAsync(batch.Select(b => b.Event).ToList());
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Done.TrySetResult(batch[i].Event with { Sequence = seqs[i] });
                }
            }
            catch (Exception ex)
            {
                foreach (var (_, done) in batch)
                {
                    done.TrySetException(ex);
                }
            }
        }
    }

    /// <summary>Inserts the events in their order, in one implicit transaction with the lock; returns their sequence numbers.</summary>
    private async Task<long[]> InsertAsync(List<FleetEvent> events)
    {
        await using var c = await db.OpenAsync(CancellationToken.None);
        await using var batch = new NpgsqlBatch(c);
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"SELECT pg_advisory_xact_lock({AppendLock})"));
        // Rows are inserted, and take their sequence numbers, in the order of the arrays.
        var insert = new NpgsqlBatchCommand(
            """
            INSERT INTO events (namespace, involved_kind, involved_name, type, reason, message, time)
            SELECT ns, kind, name, type, reason, message, time
            FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[]) WITH ORDINALITY AS e(ns, kind, name, type, reason, message, time, i)
            ORDER BY i
            RETURNING seq
            """);
        insert.Parameters.Add(new NpgsqlParameter { Value = events.Select(e => e.Namespace).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { Value = events.Select(e => e.InvolvedKind).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { Value = events.Select(e => e.InvolvedName).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { Value = events.Select(e => e.Type.ToString()).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { Value = events.Select(e => e.Reason).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { Value = events.Select(e => e.Message).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { Value = events.Select(e => StorageFormat.ToUnixMs(e.Time)).ToArray() });
        batch.BatchCommands.Add(insert);
        var seqs = new List<long>(events.Count);
        await using (var r = await batch.ExecuteReaderAsync(CancellationToken.None))
        {
            await r.NextResultAsync();
            while (await r.ReadAsync())
            {
                seqs.Add(r.GetInt64(0));
            }
        }

        // One sequence, taken row by row in insertion order: ascending is the events' order, whatever order RETURNING lists them in.
        seqs.Sort();
        return [.. seqs];
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
