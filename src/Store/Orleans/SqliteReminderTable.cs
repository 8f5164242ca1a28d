using Fleet.Store.Storage;
using Fleet.Store.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Orleans.Runtime;

namespace Fleet.Store.Orleans;

/// <summary>
/// Orleans' reminder table in the embedded SQLite database (table <c>orleans_reminders</c>): reminders survive a silo
/// restart with nothing else running. Rows carry the grain's uniform hash so that a silo reads the ring range it owns,
/// as Orleans' ADO.NET table does.
/// </summary>
internal sealed class SqliteReminderTable(SqliteStorageProvider db) : IReminderTable
{
    private const string Columns = "grain_id, name, start_at, period_ms, etag";

    public async Task<ReminderTableData> ReadRows(GrainId grainId)
    {
        await using var c = await db.OpenReadAsync(CancellationToken.None);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {Columns} FROM orleans_reminders WHERE grain_id = @g";
        cmd.Parameters.AddWithValue("@g", grainId.ToString());
        return new ReminderTableData(await ReadAllAsync(cmd));
    }

    public async Task<ReminderTableData> ReadRows(uint begin, uint end)
    {
        await using var c = await db.OpenReadAsync(CancellationToken.None);
        await using var cmd = c.CreateCommand();
        // The ring range (begin, end]; when begin >= end it wraps around zero.
        cmd.CommandText = begin < end
            ? $"SELECT {Columns} FROM orleans_reminders WHERE grain_hash > @b AND grain_hash <= @e"
            : $"SELECT {Columns} FROM orleans_reminders WHERE grain_hash > @b OR grain_hash <= @e";
        cmd.Parameters.AddWithValue("@b", (long)begin);
        cmd.Parameters.AddWithValue("@e", (long)end);
        return new ReminderTableData(await ReadAllAsync(cmd));
    }

    public async Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName)
    {
        await using var c = await db.OpenReadAsync(CancellationToken.None);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {Columns} FROM orleans_reminders WHERE grain_id = @g AND name = @n";
        cmd.Parameters.AddWithValue("@g", grainId.ToString());
        cmd.Parameters.AddWithValue("@n", reminderName);
        return (await ReadAllAsync(cmd)).FirstOrDefault();
    }

    public Task<string?> UpsertRow(ReminderEntry entry)
    {
        var etag = SqliteGrainStorage.NewEtag();
        return db.WriteAsync<string?>(
            async c =>
            {
                await using var cmd = c.CreateCommand();
                cmd.CommandText = """
                    INSERT INTO orleans_reminders (grain_id, name, grain_hash, start_at, period_ms, etag) VALUES (@g, @n, @h, @s, @p, @e)
                    ON CONFLICT (grain_id, name) DO UPDATE SET grain_hash = excluded.grain_hash, start_at = excluded.start_at,
                        period_ms = excluded.period_ms, etag = excluded.etag
                    """;
                cmd.Parameters.AddWithValue("@g", entry.GrainId.ToString());
                cmd.Parameters.AddWithValue("@n", entry.ReminderName);
                cmd.Parameters.AddWithValue("@h", (long)entry.GrainId.GetUniformHashCode());
                cmd.Parameters.AddWithValue("@s", StorageFormat.ToUnixMs(new DateTimeOffset(DateTime.SpecifyKind(entry.StartAt, DateTimeKind.Utc))));
                cmd.Parameters.AddWithValue("@p", (long)entry.Period.TotalMilliseconds);
                cmd.Parameters.AddWithValue("@e", etag);
                await cmd.ExecuteNonQueryAsync();
                return etag;
            },
            CancellationToken.None);
    }

    public Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag) =>
        db.WriteAsync(
            async c =>
            {
                await using var cmd = c.CreateCommand();
                cmd.CommandText = "DELETE FROM orleans_reminders WHERE grain_id = @g AND name = @n AND etag = @e";
                cmd.Parameters.AddWithValue("@g", grainId.ToString());
                cmd.Parameters.AddWithValue("@n", reminderName);
                cmd.Parameters.AddWithValue("@e", eTag);
                return await cmd.ExecuteNonQueryAsync() == 1;
            },
            CancellationToken.None);

    public Task TestOnlyClearTable() =>
        db.WriteAsync(
            async c =>
            {
                await SqliteStorageProvider.ExecAsync(c, "DELETE FROM orleans_reminders", CancellationToken.None);
                return 0;
            },
            CancellationToken.None);

    private static async Task<List<ReminderEntry>> ReadAllAsync(SqliteCommand cmd)
    {
        var list = new List<ReminderEntry>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync())
        {
            list.Add(new ReminderEntry
            {
                GrainId = GrainId.Parse(r.GetString(0)),
                ReminderName = r.GetString(1),
                StartAt = StorageFormat.FromUnixMs(r.GetInt64(2)).UtcDateTime,
                Period = TimeSpan.FromMilliseconds(r.GetInt64(3)),
                ETag = r.GetString(4),
            });
        }

        return list;
    }
}
