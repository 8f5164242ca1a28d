using Microsoft.Data.Sqlite;

namespace Fleet.Runtime.Storage.Sqlite;

internal sealed class SqliteGrainStateStore(SqliteStorageProvider db, TimeProvider time) : IGrainStateStore
{
    public async Task<GrainStateRecord?> ReadAsync(string grainType, string key, CancellationToken ct)
    {
        await using var c = await db.OpenReadAsync(ct);
        return await ReadAsync(c, grainType, key, ct);
    }

    public Task WriteAsync(string grainType, string key, string json, int stateVersion, string? expectedEtag, string newEtag, Fence fence, CancellationToken ct) =>
        db.WriteAsync(
            async c =>
            {
                await using var cmd = c.CreateCommand();
                cmd.CommandText = expectedEtag is null
                    ? "INSERT INTO grain_state (grain_type, grain_key, state_version, etag, data, updated_at) VALUES (@t, @k, @v, @e, @d, @u) ON CONFLICT DO NOTHING"
                    : "UPDATE grain_state SET state_version = @v, etag = @e, data = @d, updated_at = @u WHERE grain_type = @t AND grain_key = @k AND etag = @x";
                cmd.Parameters.AddWithValue("@t", grainType);
                cmd.Parameters.AddWithValue("@k", key);
                cmd.Parameters.AddWithValue("@v", stateVersion);
                cmd.Parameters.AddWithValue("@e", newEtag);
                cmd.Parameters.AddWithValue("@d", json);
                cmd.Parameters.AddWithValue("@u", StorageFormat.ToUnixMs(time.GetUtcNow()));
                cmd.Parameters.AddWithValue("@x", (object?)expectedEtag ?? DBNull.Value);
                if (await cmd.ExecuteNonQueryAsync(ct) == 1)
                {
                    return 0;
                }

                var current = await ReadAsync(c, grainType, key, ct);
                if (current?.Etag == newEtag)
                {
                    return 0;
                }

                throw new GrainStateConflictException(grainType, key, expectedEtag, current?.Etag);
            },
            ct);

    public Task ClearAsync(string grainType, string key, string? expectedEtag, Fence fence, CancellationToken ct) =>
        db.WriteAsync(
            async c =>
            {
                await using var cmd = c.CreateCommand();
                cmd.CommandText = "DELETE FROM grain_state WHERE grain_type = @t AND grain_key = @k AND etag = @x";
                cmd.Parameters.AddWithValue("@t", grainType);
                cmd.Parameters.AddWithValue("@k", key);
                cmd.Parameters.AddWithValue("@x", (object?)expectedEtag ?? DBNull.Value);
                if (expectedEtag is null || await cmd.ExecuteNonQueryAsync(ct) == 1)
                {
                    return 0;
                }

                var current = await ReadAsync(c, grainType, key, ct);
                if (current is null)
                {
                    return 0;
                }

                throw new GrainStateConflictException(grainType, key, expectedEtag, current.Etag);
            },
            ct);

    private static async Task<GrainStateRecord?> ReadAsync(SqliteConnection c, string grainType, string key, CancellationToken ct)
    {
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT data, etag, state_version FROM grain_state WHERE grain_type = @t AND grain_key = @k";
        cmd.Parameters.AddWithValue("@t", grainType);
        cmd.Parameters.AddWithValue("@k", key);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? new GrainStateRecord(r.GetString(0), r.GetString(1), r.GetInt32(2)) : null;
    }
}
