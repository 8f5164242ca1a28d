using System.Globalization;
using Fleet.Store.Storage;
using Fleet.Store.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Orleans.Runtime;
using Orleans.Storage;

namespace Fleet.Store.Orleans;

/// <summary>
/// Orleans grain storage in the embedded SQLite database (table <c>orleans_state</c>), so that one silo needs nothing
/// else running. Optimistic concurrency by etag, as Orleans' own providers do: a write whose etag is not the stored one
/// throws <see cref="InconsistentStateException"/> and changes nothing. State is serialized with the configured
/// <see cref="IGrainStorageSerializer"/> (Orleans' version-tolerant binary format in Fleet).
/// </summary>
internal sealed class SqliteGrainStorage(SqliteStorageProvider db, IGrainStorageSerializer serializer, TimeProvider time) : IGrainStorage
{
    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        await using var c = await db.OpenReadAsync(CancellationToken.None);
        var row = await ReadAsync(c, stateName, grainId);
        if (row is null)
        {
            grainState.State = Activator.CreateInstance<T>();
            grainState.ETag = null;
            grainState.RecordExists = false;
            return;
        }

        grainState.State = serializer.Deserialize<T>(new BinaryData(row.Value.Data)) ?? Activator.CreateInstance<T>();
        grainState.ETag = row.Value.Etag;
        grainState.RecordExists = true;
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var data = serializer.Serialize(grainState.State).ToArray();
        var etag = NewEtag();
        // Grain state writes share transactions with the other small writes of the moment (group commit); the
        // grain's etag moves only once its batch has committed.
        await db.WriteBatchedAsync(
            async (c, tx) =>
            {
                await using var cmd = c.CreateCommand();
                cmd.Transaction = tx;
                cmd.CommandText = grainState.ETag is null
                    ? "INSERT INTO orleans_state (grain_id, state_name, etag, data, updated_at) VALUES (@g, @s, @e, @d, @u) ON CONFLICT DO NOTHING"
                    : "UPDATE orleans_state SET etag = @e, data = @d, updated_at = @u WHERE grain_id = @g AND state_name = @s AND etag = @x";
                cmd.Parameters.AddWithValue("@g", grainId.ToString());
                cmd.Parameters.AddWithValue("@s", stateName);
                cmd.Parameters.AddWithValue("@e", etag);
                cmd.Parameters.AddWithValue("@d", data);
                cmd.Parameters.AddWithValue("@u", StorageFormat.ToUnixMs(time.GetUtcNow()));
                cmd.Parameters.AddWithValue("@x", (object?)grainState.ETag ?? DBNull.Value);
                if (await cmd.ExecuteNonQueryAsync() != 1)
                {
                    var stored = await ReadAsync(c, stateName, grainId, tx);
                    throw new InconsistentStateException($"State {stateName} of grain {grainId} was changed by another writer.", stored?.Etag, grainState.ETag);
                }

                return 0;
            },
            CancellationToken.None);
        grainState.ETag = etag;
        grainState.RecordExists = true;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        db.WriteAsync(
            async c =>
            {
                if (grainState.ETag is not null)
                {
                    await using var cmd = c.CreateCommand();
                    cmd.CommandText = "DELETE FROM orleans_state WHERE grain_id = @g AND state_name = @s AND etag = @x";
                    cmd.Parameters.AddWithValue("@g", grainId.ToString());
                    cmd.Parameters.AddWithValue("@s", stateName);
                    cmd.Parameters.AddWithValue("@x", grainState.ETag);
                    if (await cmd.ExecuteNonQueryAsync() != 1 && await ReadAsync(c, stateName, grainId) is { } stored)
                    {
                        throw new InconsistentStateException($"State {stateName} of grain {grainId} was changed by another writer.", stored.Etag, grainState.ETag);
                    }
                }

                grainState.State = Activator.CreateInstance<T>();
                grainState.ETag = null;
                grainState.RecordExists = false;
                return 0;
            },
            CancellationToken.None);

    internal static string NewEtag() => Guid.NewGuid().ToString("N", CultureInfo.InvariantCulture);

    private static async Task<(string Etag, byte[] Data)?> ReadAsync(SqliteConnection c, string stateName, GrainId grainId, SqliteTransaction? tx = null)
    {
        await using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "SELECT etag, data FROM orleans_state WHERE grain_id = @g AND state_name = @s";
        cmd.Parameters.AddWithValue("@g", grainId.ToString());
        cmd.Parameters.AddWithValue("@s", stateName);
        await using var r = await cmd.ExecuteReaderAsync();
        return await r.ReadAsync() ? (r.GetString(0), (byte[])r.GetValue(1)) : null;
    }
}
