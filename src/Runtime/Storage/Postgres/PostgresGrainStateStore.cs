using Npgsql;

namespace Fleet.Runtime.Storage.Postgres;

/// <summary>
/// Grain state with etags and fencing: a write names the partition and the lease epoch it was made under, and is
/// applied only while this silo still holds that lease. The lease row is read FOR SHARE, so a takeover (which
/// updates the row) cannot commit between the check and the write.
/// </summary>
/// <remarks>
/// Writes are group-committed: concurrent writes of many grains are sent as one batch in one transaction (one round
/// trip, one commit), which is what lets PostgreSQL take thousands of grain writes per second. A write whose row
/// did not change (etag conflict or lost lease) is explained afterwards, on its own.
/// </remarks>
internal sealed class PostgresGrainStateStore : IGrainStateStore
{
    private const string FenceCondition = "(@epoch = 0 OR EXISTS (SELECT 1 FROM partition_leases WHERE partition = @p AND owner = @silo AND epoch = @epoch FOR SHARE))";
    private const string BatchFence = "($6 = 0 OR EXISTS (SELECT 1 FROM partition_leases WHERE partition = $7 AND owner = $8 AND epoch = $6 FOR SHARE))";
    private const string BatchInsert = "INSERT INTO grain_state (grain_type, grain_key, state_version, etag, data) SELECT $1, $2, $3, $4, $5 WHERE " + BatchFence + " ON CONFLICT DO NOTHING";
    private const string BatchUpdate = "UPDATE grain_state SET state_version = $3, etag = $4, data = $5, updated_at = now() WHERE grain_type = $1 AND grain_key = $2 AND etag = $9 AND " + BatchFence;

    private readonly PostgresStorageProvider _db;
    private readonly string _siloId;
    private readonly WriteBatcher<PendingWrite> _batcher;

    public PostgresGrainStateStore(PostgresStorageProvider db, string siloId)
    {
        _db = db;
        _siloId = siloId;
        _batcher = new WriteBatcher<PendingWrite>(FlushAsync, maxBatch: 256, flushers: 4);
    }

    public void Close() => _batcher.Complete();

    public async Task<GrainStateRecord?> ReadAsync(string grainType, string key, CancellationToken ct)
    {
        await using var c = await _db.OpenAsync(ct);
        return await ReadAsync(c, grainType, key, ct);
    }

    public Task WriteAsync(string grainType, string key, string json, int stateVersion, string? expectedEtag, string newEtag, Fence fence, CancellationToken ct)
    {
        var pending = new PendingWrite(grainType, key, json, stateVersion, expectedEtag, newEtag, fence);
        _batcher.Enqueue(pending);
        return pending.Completion.Task.WaitAsync(ct);
    }

    public async Task ClearAsync(string grainType, string key, string? expectedEtag, Fence fence, CancellationToken ct)
    {
        await using var c = await _db.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand($"DELETE FROM grain_state WHERE grain_type = @t AND grain_key = @k AND etag = @x AND {FenceCondition}", c);
        cmd.Parameters.AddWithValue("t", grainType);
        cmd.Parameters.AddWithValue("k", key);
        cmd.Parameters.AddWithValue("x", (object?)expectedEtag ?? DBNull.Value);
        AddFence(cmd, fence);
        if (expectedEtag is null || await cmd.ExecuteNonQueryAsync(ct) == 1)
        {
            return;
        }

        if (await ReadAsync(c, grainType, key, ct) is null)
        {
            return;
        }

        await ExplainFailureAsync(c, grainType, key, expectedEtag, null, fence, ct);
    }

    private async Task FlushAsync(IReadOnlyList<PendingWrite> writes)
    {
        var unchanged = new List<PendingWrite>();
        try
        {
            await using var c = await _db.OpenAsync(CancellationToken.None);
            await using var tx = await c.BeginTransactionAsync();
            await using var batch = new NpgsqlBatch(c, tx);

            // Lease rows are locked in partition order, so that concurrent batches and lease renewals never deadlock.
            var ordered = writes.OrderBy(w => w.Fence.Partition).ToArray();
            foreach (var w in ordered)
            {
                var cmd = new NpgsqlBatchCommand(w.ExpectedEtag is null ? BatchInsert : BatchUpdate);
                cmd.Parameters.Add(new NpgsqlParameter { Value = w.GrainType });
                cmd.Parameters.Add(new NpgsqlParameter { Value = w.Key });
                cmd.Parameters.Add(new NpgsqlParameter { Value = w.StateVersion });
                cmd.Parameters.Add(new NpgsqlParameter { Value = w.NewEtag });
                cmd.Parameters.Add(new NpgsqlParameter { Value = w.Json });
                cmd.Parameters.Add(new NpgsqlParameter { Value = w.Fence.Epoch });
                cmd.Parameters.Add(new NpgsqlParameter { Value = w.Fence.Partition });
                cmd.Parameters.Add(new NpgsqlParameter { Value = _siloId });
                if (w.ExpectedEtag is not null)
                {
                    cmd.Parameters.Add(new NpgsqlParameter { Value = w.ExpectedEtag });
                }

                batch.BatchCommands.Add(cmd);
            }

            await batch.ExecuteNonQueryAsync();
            await tx.CommitAsync();
            for (var i = 0; i < ordered.Length; i++)
            {
                if (batch.BatchCommands[i].RecordsAffected == 1)
                {
                    ordered[i].Completion.TrySetResult();
                }
                else
                {
                    unchanged.Add(ordered[i]);
                }
            }
        }
        catch (Exception ex)
        {
            // Nothing of the batch committed: every write fails with the cause, and the callers retry if transient.
            foreach (var w in writes)
            {
                w.Completion.TrySetException(ex);
            }

            return;
        }

        foreach (var w in unchanged)
        {
            try
            {
                await using var c = await _db.OpenAsync(CancellationToken.None);
                await ExplainFailureAsync(c, w.GrainType, w.Key, w.ExpectedEtag, w.NewEtag, w.Fence, CancellationToken.None);
                w.Completion.TrySetResult();
            }
            catch (Exception ex)
            {
                w.Completion.TrySetException(ex);
            }
        }
    }

    private void AddFence(NpgsqlCommand cmd, Fence fence)
    {
        cmd.Parameters.AddWithValue("p", fence.Partition);
        cmd.Parameters.AddWithValue("epoch", fence.Epoch);
        cmd.Parameters.AddWithValue("silo", _siloId);
    }

    private async Task ExplainFailureAsync(NpgsqlConnection c, string grainType, string key, string? expectedEtag, string? newEtag, Fence fence, CancellationToken ct)
    {
        var current = await ReadAsync(c, grainType, key, ct);
        if (newEtag is not null && current?.Etag == newEtag)
        {
            // A retry of a write whose first attempt committed.
            return;
        }

        if (fence.Epoch != 0)
        {
            await using var lease = new NpgsqlCommand("SELECT 1 FROM partition_leases WHERE partition = @p AND owner = @silo AND epoch = @epoch", c);
            AddFence(lease, fence);
            if (await lease.ExecuteScalarAsync(ct) is null)
            {
                throw new PartitionLeaseLostException(grainType, key, fence.Partition, fence.Epoch);
            }
        }

        throw new GrainStateConflictException(grainType, key, expectedEtag, current?.Etag);
    }

    private static async Task<GrainStateRecord?> ReadAsync(NpgsqlConnection c, string grainType, string key, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT data, etag, state_version FROM grain_state WHERE grain_type = @t AND grain_key = @k", c);
        cmd.Parameters.AddWithValue("t", grainType);
        cmd.Parameters.AddWithValue("k", key);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? new GrainStateRecord(r.GetString(0), r.GetString(1), r.GetInt32(2)) : null;
    }
}

/// <summary>A grain state write waiting for its batch.</summary>
internal sealed record PendingWrite(string GrainType, string Key, string Json, int StateVersion, string? ExpectedEtag, string NewEtag, Fence Fence)
{
    public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
