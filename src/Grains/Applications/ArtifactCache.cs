using System.Collections.Concurrent;
using Fleet.Store;
using Fleet.Sources;

namespace Fleet.Grains.Applications;

/// <summary>
/// Source artifacts extracted once per digest under the data directory, so every application rendering the same
/// revision reads the same tree. Extraction goes to a temporary directory first and is renamed into place, so a
/// half-extracted tree is never seen.
/// </summary>
internal sealed class ArtifactCache(string root, IBlobStore blobs)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new();

    public async Task<string> GetDirectoryAsync(string digest, CancellationToken ct)
    {
        var directory = Path.Combine(root, digest.Replace(':', '-'));
        if (Directory.Exists(directory))
        {
            return directory;
        }
        var gate = _locks.GetOrAdd(digest, _ => new SemaphoreSlim(1));
        await gate.WaitAsync(ct);
        try
        {
            if (Directory.Exists(directory))
            {
                return directory;
            }
            var content = await blobs.GetAsync(digest, ct)
                ?? throw new InvalidOperationException($"artifact {digest} is not in the store");
            var temporary = directory + ".tmp-" + Guid.NewGuid().ToString("N");
            await ArtifactReader.ExtractAsync(content, temporary, ct);
            Directory.Move(temporary, directory);
            return directory;
        }
        finally
        {
            gate.Release();
        }
    }
}
