using Microsoft.Extensions.Caching.Memory;

namespace Fleet.Store.Storage;

/// <summary>
/// Keeps recently read blobs in memory. Blobs are content-addressed, so a cached copy is never stale; the cache
/// matters where thousands of readers want the same few blobs (every placement of an application reads its
/// rendered manifests). Bounded by the total size of the cached blobs.
/// </summary>
internal sealed class CachedBlobStore(IBlobStore inner, long sizeLimitBytes) : IBlobStore, IDisposable
{
    /// <summary>Blobs larger than this are not cached (artifacts of big repositories): they would push out many small ones.</summary>
    private const int LargestCached = 1 << 20;

    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = sizeLimitBytes });

    // What is written is about to be read: an application writes each cluster's substituted manifests just before
    // that cluster's placement reads them (10,000 reads of the database per commit at 10,000 clusters otherwise).
    public async Task<string> PutAsync(ReadOnlyMemory<byte> content, CancellationToken ct = default)
    {
        var digest = await inner.PutAsync(content, ct);
        Keep(digest, content);
        return digest;
    }

    public async Task<IReadOnlyList<string>> PutManyAsync(IReadOnlyList<ReadOnlyMemory<byte>> contents, CancellationToken ct = default)
    {
        var digests = await inner.PutManyAsync(contents, ct);
        for (var i = 0; i < digests.Count; i++)
        {
            Keep(digests[i], contents[i]);
        }
        return digests;
    }

    private void Keep(string digest, ReadOnlyMemory<byte> content)
    {
        if (content.Length <= LargestCached)
        {
            _cache.Set(digest, content.ToArray(), new MemoryCacheEntryOptions { Size = content.Length + 100 });
        }
    }

    public async Task<byte[]?> GetAsync(string digest, CancellationToken ct = default)
    {
        if (_cache.TryGetValue(digest, out byte[]? cached))
        {
            return cached;
        }
        var content = await inner.GetAsync(digest, ct);
        if (content is not null)
        {
            Keep(digest, content);
        }
        return content;
    }

    public Task<bool> ExistsAsync(string digest, CancellationToken ct = default) =>
        _cache.TryGetValue(digest, out _) ? Task.FromResult(true) : inner.ExistsAsync(digest, ct);

    public Task<bool> DeleteAsync(string digest, CancellationToken ct = default)
    {
        _cache.Remove(digest);
        return inner.DeleteAsync(digest, ct);
    }

    public void Dispose() => _cache.Dispose();
}
