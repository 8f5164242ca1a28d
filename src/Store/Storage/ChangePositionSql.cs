namespace Fleet.Store.Storage;

/// <summary>The query and rule of <see cref="IResourceStore.ChangePositionAsync"/>, the same on every provider.</summary>
internal static class ChangePositionSql
{
    /// <summary>Binds <c>@rv</c>; answers the first change above it, the oldest change kept, its resource version, and the newest change.</summary>
    public const string Query = """
        SELECT (SELECT MIN(seq) FROM resource_changes WHERE resource_version > @rv),
               (SELECT MIN(seq) FROM resource_changes),
               (SELECT MIN(resource_version) FROM resource_changes),
               (SELECT COALESCE(MAX(seq), 0) FROM resource_changes)
        """;

    /// <summary>
    /// The position to read after, or null when the feed no longer reaches back to <paramref name="resourceVersion"/>:
    /// it was trimmed (its oldest change is not the first) and that change is newer than the version asked for.
    /// </summary>
    public static long? Decide(long resourceVersion, long? firstAfter, long? oldestSeq, long? oldestVersion, long newestSeq)
    {
        if (oldestSeq is null)
        {
            return newestSeq;
        }

        if (oldestSeq > 1 && resourceVersion < oldestVersion - 1)
        {
            return null;
        }

        return firstAfter is { } first ? first - 1 : newestSeq;
    }
}
