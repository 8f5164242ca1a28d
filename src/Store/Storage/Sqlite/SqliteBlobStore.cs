namespace Fleet.Store.Storage.Sqlite;

internal sealed class SqliteBlobStore(SqliteStorageProvider db, TimeProvider time) : IBlobStore
{
    public Task<string> PutAsync(ReadOnlyMemory<byte> content, CancellationToken ct = default)
    {
        var digest = StorageFormat.Digest(content.Span);
        var bytes = content.ToArray();
        return db.WriteAsync(
            async c =>
            {
                await using var cmd = c.CreateCommand();
                cmd.CommandText = "INSERT INTO blobs (digest, size, data, created_at) VALUES (@d, @s, @b, @t) ON CONFLICT DO NOTHING";
                cmd.Parameters.AddWithValue("@d", digest);
                cmd.Parameters.AddWithValue("@s", bytes.Length);
                cmd.Parameters.AddWithValue("@b", bytes);
                cmd.Parameters.AddWithValue("@t", StorageFormat.ToUnixMs(time.GetUtcNow()));
                await cmd.ExecuteNonQueryAsync(ct);
                return digest;
            },
            ct);
    }

    public Task<IReadOnlyList<string>> PutManyAsync(IReadOnlyList<ReadOnlyMemory<byte>> contents, CancellationToken ct = default)
    {
        IReadOnlyList<string> digests = contents.Select(b => StorageFormat.Digest(b.Span)).ToArray();
        if (contents.Count == 0)
        {
            return Task.FromResult(digests);
        }
        return db.WriteAsync(
            async c =>
            {
                await using var tx = c.BeginTransaction();
                await using var cmd = c.CreateCommand();
                cmd.Transaction = tx;
                cmd.CommandText = "INSERT INTO blobs (digest, size, data, created_at) VALUES (@d, @s, @b, @t) ON CONFLICT DO NOTHING";
                var d = cmd.Parameters.Add("@d", Microsoft.Data.Sqlite.SqliteType.Text);
                var size = cmd.Parameters.Add("@s", Microsoft.Data.Sqlite.SqliteType.Integer);
                var b = cmd.Parameters.Add("@b", Microsoft.Data.Sqlite.SqliteType.Blob);
                cmd.Parameters.AddWithValue("@t", StorageFormat.ToUnixMs(time.GetUtcNow()));
                for (var i = 0; i < contents.Count; i++)
                {
                    d.Value = digests[i];
                    size.Value = contents[i].Length;
                    b.Value = contents[i].ToArray();
                    await cmd.ExecuteNonQueryAsync(ct);
                }
                await tx.CommitAsync(ct);
                return digests;
            },
            ct);
    }

    public async Task<byte[]?> GetAsync(string digest, CancellationToken ct = default)
    {
        StorageFormat.ValidateDigest(digest);
        await using var c = await db.OpenReadAsync(ct);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT data FROM blobs WHERE digest = @d";
        cmd.Parameters.AddWithValue("@d", digest);
        return await cmd.ExecuteScalarAsync(ct) as byte[];
    }

    public async Task<bool> ExistsAsync(string digest, CancellationToken ct = default)
    {
        StorageFormat.ValidateDigest(digest);
        await using var c = await db.OpenReadAsync(ct);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT 1 FROM blobs WHERE digest = @d";
        cmd.Parameters.AddWithValue("@d", digest);
        return await cmd.ExecuteScalarAsync(ct) is not null;
    }

    public Task<bool> DeleteAsync(string digest, CancellationToken ct = default)
    {
        StorageFormat.ValidateDigest(digest);
        return db.WriteAsync(
            async c =>
            {
                await using var cmd = c.CreateCommand();
                cmd.CommandText = "DELETE FROM blobs WHERE digest = @d";
                cmd.Parameters.AddWithValue("@d", digest);
                return await cmd.ExecuteNonQueryAsync(ct) > 0;
            },
            ct);
    }
}
