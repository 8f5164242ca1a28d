namespace Fleet.Sources;

/// <summary>An artifact the caller has stored for a source.</summary>
public sealed record StoredArtifact(string Digest, DateTimeOffset CreatedAt);

/// <summary>Which of a source's stored artifacts to delete: all but the newest few, never the current one.</summary>
public static class ArtifactRetention
{
    public const int DefaultKeep = 3;

    /// <summary>
    /// Returns the digests to drop: the artifacts beyond the <paramref name="keep"/> most recent distinct
    /// digests (by creation time, newest first), never <paramref name="currentDigest"/>.
    /// </summary>
    public static IReadOnlyList<string> SelectForDeletion(IEnumerable<StoredArtifact> artifacts, string? currentDigest, int keep = DefaultKeep)
    {
        ArgumentNullException.ThrowIfNull(artifacts);
        ArgumentOutOfRangeException.ThrowIfLessThan(keep, 1);
        var newestByDigest = artifacts
            .GroupBy(a => a.Digest, StringComparer.Ordinal)
            .Select(g => new StoredArtifact(g.Key, g.Max(a => a.CreatedAt)))
            .OrderByDescending(a => a.CreatedAt)
            .ThenBy(a => a.Digest, StringComparer.Ordinal)
            .ToList();
        var kept = new HashSet<string>(StringComparer.Ordinal);
        if (currentDigest is not null)
        {
            kept.Add(currentDigest);
        }

        foreach (var artifact in newestByDigest)
        {
            if (kept.Count >= keep)
            {
                break;
            }

            kept.Add(artifact.Digest);
        }

        return newestByDigest.Where(a => !kept.Contains(a.Digest)).Select(a => a.Digest).ToList();
    }
}
