namespace Fleet.Store;

/// <summary>
/// A content-addressed blob store: content is stored once under its digest <c>sha256:&lt;64 lowercase hex&gt;</c>
/// (artifacts, rendered manifests).
/// </summary>
public interface IBlobStore
{
    /// <summary>Stores the content (once; storing the same bytes again is a no-op) and returns its digest.</summary>
    Task<string> PutAsync(ReadOnlyMemory<byte> content, CancellationToken ct = default);

    /// <summary>Stores several contents in one round trip (each once) and returns their digests, in order.</summary>
    Task<IReadOnlyList<string>> PutManyAsync(IReadOnlyList<ReadOnlyMemory<byte>> contents, CancellationToken ct = default);

    /// <summary>The content stored under a digest, or null. A malformed digest throws <see cref="ArgumentException"/>.</summary>
    Task<byte[]?> GetAsync(string digest, CancellationToken ct = default);

    Task<bool> ExistsAsync(string digest, CancellationToken ct = default);

    Task<bool> DeleteAsync(string digest, CancellationToken ct = default);
}
