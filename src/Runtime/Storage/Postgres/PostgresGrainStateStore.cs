using Npgsql;

namespace Fleet.Runtime.Storage.Postgres;

/// <summary>
/// Grain state with etags and fencing: a write names the partition and the lease epoch it was made under, and is
/// applied only while this silo still holds that lease. The lease row is read FOR SHARE, so a takeover (which
/// updates the row) cannot commit between the check and the write.
/// </summary>
internal sealed class PostgresGrainStateStore(PostgresStorageProvider db, string siloId) : IGrainStateStore
{
    private const string FenceCondition = "(@epoch = 0 OR EXISTS (SELECT 1 FROM partition_leases WHERE partition = @p AND owner = @silo AND epoch = @epoch FOR SHARE))";

    public async Task<GrainStateRecord?> ReadAsync(string grainType, string key, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await ReadAsync(c, grainType, key, ct);
    }

    public async Task WriteAsync(string grainType, string key, string json, int stateVersion, string? expectedEtag, string newEtag, Fence fence, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(
            expectedEtag is null
                ? $"INSERT INTO grain_state (grain_type, grain_key, state_version, etag, data) SELECT @t, @k, @v, @e, @d WHERE {FenceCondition} ON CONFLICT DO NOTHING"
                : $"UPDATE grain_state SET state_version = @v, etag = @e, data = @d, updated_at = now() WHERE grain_type = @t AND grain_key = @k AND etag = @x AND {FenceCondition}",
            c);
        cmd.Parameters.AddWithValue("t", grainType);
        cmd.Parameters.AddWithValue("k", key);
        cmd.Parameters.AddWithValue("v", stateVersion);
        cmd.Parameters.AddWithValue("e", newEtag);
        cmd.Parameters.AddWithValue("d", json);
        cmd.Parameters.AddWithValue("x", (object?)expectedEtag ?? DBNull.Value);
        AddFence(cmd, fence);
        if (await cmd.ExecuteNonQueryAsync(ct) == 1)
        {
            return;
        }

        await ExplainFailureAsync(c, grainType, key, expectedEtag, newEtag, fence, ct);
    }

    public async Task ClearAsync(string grainType, string key, string? expectedEtag, Fence fence, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
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

    private void AddFence(NpgsqlCommand cmd, Fence fence)
    {
        cmd.Parameters.AddWithValue("p", fence.Partition);
        cmd.Parameters.AddWithValue("epoch", fence.Epoch);
        cmd.Parameters.AddWithValue("silo", siloId);
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
