using Npgsql;

namespace Fleet.Store.Storage.Postgres;

internal sealed class PostgresBlobStore(PostgresStorageProvider db) : IBlobStore
{
    public async Task<string> PutAsync(ReadOnlyMemory<byte> content, CancellationToken ct = default)
    {
        var digest = StorageFormat.Digest(content.Span);
        await using var c = await db.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand("INSERT INTO blobs (digest, size, data) VALUES (@d, @s, @b) ON CONFLICT DO NOTHING", c);
        cmd.Parameters.AddWithValue("d", digest);
        cmd.Parameters.AddWithValue("s", (long)content.Length);
        cmd.Parameters.AddWithValue("b", content.ToArray());
        await cmd.ExecuteNonQueryAsync(ct);
        return digest;
    }

    public async Task<IReadOnlyList<string>> PutManyAsync(IReadOnlyList<ReadOnlyMemory<byte>> contents, CancellationToken ct = default)
    {
        var digests = contents.Select(b => StorageFormat.Digest(b.Span)).ToArray();
        if (contents.Count == 0)
        {
            return digests;
        }
        await using var c = await db.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(
            "INSERT INTO blobs (digest, size, data) SELECT * FROM unnest(@d, @s, @b) ON CONFLICT DO NOTHING", c);
        cmd.Parameters.AddWithValue("d", digests);
        cmd.Parameters.AddWithValue("s", contents.Select(b => (long)b.Length).ToArray());
        cmd.Parameters.AddWithValue("b", contents.Select(b => b.ToArray()).ToArray());
        await cmd.ExecuteNonQueryAsync(ct);
        return digests;
    }

    public async Task<byte[]?> GetAsync(string digest, CancellationToken ct = default)
    {
        StorageFormat.ValidateDigest(digest);
        await using var c = await db.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand("SELECT data FROM blobs WHERE digest = @d", c);
        cmd.Parameters.AddWithValue("d", digest);
        return await cmd.ExecuteScalarAsync(ct) as byte[];
    }

    public async Task<bool> ExistsAsync(string digest, CancellationToken ct = default)
    {
        StorageFormat.ValidateDigest(digest);
        await using var c = await db.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand("SELECT 1 FROM blobs WHERE digest = @d", c);
        cmd.Parameters.AddWithValue("d", digest);
        return await cmd.ExecuteScalarAsync(ct) is not null;
    }

    public async Task<bool> DeleteAsync(string digest, CancellationToken ct = default)
    {
        StorageFormat.ValidateDigest(digest);
        await using var c = await db.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand("DELETE FROM blobs WHERE digest = @d", c);
        cmd.Parameters.AddWithValue("d", digest);
        return await cmd.ExecuteNonQueryAsync(ct) > 0;
    }
}
