using Fleet.Abstractions;

namespace Fleet.Store;

/// <summary>
/// An API object as stored: generic JSON for spec and status, labels indexed for selectors. A caller that must keep
/// a value secret (a Secret's data) encrypts it before putting it into <see cref="SpecJson"/>.
/// </summary>
public sealed record StoredResource(
    string Kind,
    string Namespace,
    string Name,
    string Uid,
    long Generation,
    long ResourceVersion,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyDictionary<string, string> Annotations,
    string SpecJson,
    string? StatusJson,
    DateTimeOffset CreatedAt);

/// <summary>The store of API objects (Clusters, GitRepositories, Applications, ...), shared by the gateway and the grains.</summary>
public interface IResourceStore
{
    Task<StoredResource?> GetAsync(string kind, string ns, string name, CancellationToken ct = default);

    /// <summary>
    /// Several objects by key in one read (one round trip on PostgreSQL): a placement reads its own object and its
    /// cluster at the start of every reconcile. The result has one entry per key, in order, null where none exists.
    /// </summary>
    Task<IReadOnlyList<StoredResource?>> GetManyAsync(IReadOnlyList<(string Kind, string Namespace, string Name)> keys, CancellationToken ct = default);

    /// <summary>Lists the objects of a kind, in one namespace or all (<paramref name="ns"/> null), ordered by namespace and name; the selector is answered by the labels index.</summary>
    Task<IReadOnlyList<StoredResource>> ListAsync(string kind, string? ns, LabelSelector? selector = null, CancellationToken ct = default);

    /// <summary>
    /// Creates or updates an object. The generation starts at 1 and bumps only when the spec changes; the resource
    /// version bumps on every change. An <paramref name="expectedResourceVersion"/> that is not the stored one
    /// (0 meaning "must not exist yet") throws <see cref="ResourceConflictException"/>.
    /// </summary>
    Task<StoredResource> PutAsync(
        string kind,
        string ns,
        string name,
        IReadOnlyDictionary<string, string> labels,
        IReadOnlyDictionary<string, string> annotations,
        string specJson,
        long? expectedResourceVersion = null,
        CancellationToken ct = default);

    /// <summary>
    /// Lists one page of objects of a kind, narrowed in the database (namespaces, labels, fields), ordered by namespace
    /// and name, so paging through 10,000 objects reads each only once. Unlike <see cref="ListAsync"/>, which the grains
    /// use to read everything, this is what API lists use.
    /// </summary>
    Task<ResourcePage> ListPageAsync(ResourceQuery query, CancellationToken ct = default);

    /// <summary>
    /// Creates or updates several objects in one transaction, all or nothing, each as <see cref="PutAsync"/> does; a
    /// conflict on any of them throws <see cref="ResourceConflictException"/> and writes none. Returns the stored
    /// objects in the order given.
    /// </summary>
    Task<IReadOnlyList<StoredResource>> PutManyAsync(IReadOnlyList<ResourceWrite> writes, CancellationToken ct = default);

    /// <summary>Replaces the status; does not bump the generation. Returns null when the object does not exist.</summary>
    Task<StoredResource?> UpdateStatusAsync(string kind, string ns, string name, string statusJson, CancellationToken ct = default);

    /// <summary>Deletes an object; false when it did not exist.</summary>
    Task<bool> DeleteAsync(string kind, string ns, string name, CancellationToken ct = default);

    /// <summary>Committed changes with a sequence above <paramref name="after"/>, in sequence order, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<ResourceChange>> ChangesAsync(long after, int limit, CancellationToken ct = default);

    /// <summary>
    /// As <see cref="ChangesAsync"/>, each change with <see cref="ResourceChange.Object"/>: the object as it was at that
    /// change, so that a watch shows every version even of an object written twice between two reads.
    /// </summary>
    Task<IReadOnlyList<ResourceChange>> ChangesWithObjectsAsync(long after, int limit, CancellationToken ct = default);

    /// <summary>The highest change sequence committed so far (0 when none).</summary>
    Task<long> LatestChangeAsync(CancellationToken ct = default);

    /// <summary>
    /// Where a reader of the change feed starts to see every change with a resource version above
    /// <paramref name="resourceVersion"/>: a sequence to pass as <c>after</c> to <see cref="ChangesAsync"/>. Null when the
    /// feed was trimmed past that version (the changes after it are no longer all there).
    /// </summary>
    Task<long?> ChangePositionAsync(long resourceVersion, CancellationToken ct = default);

    /// <summary>Deletes all but the newest <paramref name="keep"/> changes; returns how many were deleted.</summary>
    Task<int> TrimChangesAsync(int keep, CancellationToken ct = default);
}

/// <summary>One object to write with <see cref="IResourceStore.PutManyAsync"/>: the arguments of <see cref="IResourceStore.PutAsync"/>.</summary>
public sealed record ResourceWrite(
    string Kind,
    string Namespace,
    string Name,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyDictionary<string, string> Annotations,
    string SpecJson,
    long? ExpectedResourceVersion = null);

/// <summary>A write based on an outdated resource version.</summary>
public sealed class ResourceConflictException(string kind, string ns, string name, long? expected, long? actual)
    : Exception($"{kind} {ns}/{name}: resource version conflict: expected {Describe(expected)}, but the stored object is at {Describe(actual)}; read it again and retry.")
{
    public string Kind { get; } = kind;
    public string Namespace { get; } = ns;
    public string Name { get; } = name;
    public long? ExpectedResourceVersion { get; } = expected;
    public long? ActualResourceVersion { get; } = actual;

    private static string Describe(long? v) => v is null or 0 ? "no object" : $"resourceVersion {v}";
}

/// <summary>What a <see cref="ResourceChange"/> changed.</summary>
public enum ResourceChangeType
{
    /// <summary>Created, or its spec, labels or annotations changed.</summary>
    Spec,

    /// <summary>Only its status changed.</summary>
    Status,

    /// <summary>Deleted.</summary>
    Deleted,
}

/// <summary>
/// One committed write, in the store's change feed. <see cref="Sequence"/> increases with commit order on SQLite; on
/// PostgreSQL a sequence number may become visible after a higher one (concurrent transactions), so a reader keeps
/// gaps open for a while (see <see cref="ChangeFeedCursor"/>).
/// </summary>
/// <param name="Object">
/// Read by <see cref="IResourceStore.ChangesWithObjectsAsync"/> only: the object as it was at this change, with this
/// change's resource version (for a delete, its last state). Null from <see cref="IResourceStore.ChangesAsync"/>, and
/// for changes recorded before the feed kept objects.
/// </param>
public sealed record ResourceChange(long Sequence, string Kind, string Namespace, string Name, long ResourceVersion, ResourceChangeType Type, StoredResource? Object = null);

/// <summary>Tells listeners in this process that the store committed a change (the change itself is read from the feed).</summary>
public sealed class StoreChangeSignal
{
    private int _objectReaders;

    /// <summary>Raised after a commit, on the writer's thread; handlers must be quick and must not throw.</summary>
    public event Action? Committed;

    /// <summary>
    /// Whether a reader in this process wants the changes' objects (<see cref="KeepObjects"/>). The SQLite store,
    /// whose writers all run in this process, copies an object into its change row only then; PostgreSQL always does.
    /// </summary>
    public bool ObjectsWanted => Volatile.Read(ref _objectReaders) > 0;

    /// <summary>Asks the store to keep each change's object in the feed until the result is disposed.</summary>
    public IDisposable KeepObjects()
    {
        Interlocked.Increment(ref _objectReaders);
        return new Release(this);
    }

    internal void Raise() => Committed?.Invoke();

    private sealed class Release(StoreChangeSignal signal) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                Interlocked.Decrement(ref signal._objectReaders);
            }
        }
    }
}
