namespace Fleet.Runtime.Storage;

/// <summary>A grain's persisted state as stored.</summary>
internal sealed record GrainStateRecord(string Json, string Etag, int StateVersion);

/// <summary>
/// The fencing token of a write: the partition of the grain and the lease epoch under which the writing activation
/// was created. Epoch 0 means "no lease table" (single silo on SQLite).
/// </summary>
internal readonly record struct Fence(int Partition, long Epoch);

internal interface IGrainStateStore
{
    Task<GrainStateRecord?> ReadAsync(string grainType, string key, CancellationToken ct);

    /// <summary>
    /// Writes state if the stored etag is <paramref name="expectedEtag"/> (null: no state stored yet) and the fence
    /// still holds. The new etag is chosen by the caller so that a retried write whose first attempt did commit is
    /// recognised as done.
    /// </summary>
    Task WriteAsync(string grainType, string key, string json, int stateVersion, string? expectedEtag, string newEtag, Fence fence, CancellationToken ct);

    Task ClearAsync(string grainType, string key, string? expectedEtag, Fence fence, CancellationToken ct);
}

internal sealed record ReminderRecord(string GrainType, string Key, int Partition, DateTimeOffset Due);

internal interface IReminderStore
{
    Task SetAsync(string grainType, string key, int partition, DateTimeOffset due, CancellationToken ct);

    /// <summary>Removes the reminder; with <paramref name="onlyIfDue"/>, only if it was not moved since it fired.</summary>
    Task ClearAsync(string grainType, string key, DateTimeOffset? onlyIfDue, CancellationToken ct);

    Task<DateTimeOffset?> GetAsync(string grainType, string key, CancellationToken ct);

    /// <summary>Reminders due at or before <paramref name="before"/> in the given partitions (null: all), earliest first.</summary>
    Task<IReadOnlyList<ReminderRecord>> DueAsync(DateTimeOffset before, IReadOnlyCollection<int>? partitions, int limit, CancellationToken ct);
}

/// <summary>One storage backend: everything the runtime and the gateway persist.</summary>
internal interface IStorageProvider : IAsyncDisposable
{
    string Description { get; }

    /// <summary>Opens the database, checks it and applies migrations. Throws <see cref="FleetStorageException"/> with a clear message.</summary>
    Task InitializeAsync(CancellationToken ct);

    IGrainStateStore GrainState { get; }

    IReminderStore Reminders { get; }

    IResourceStore Resources { get; }

    IEventLog Events { get; }

    IBlobStore Blobs { get; }

    /// <summary>True for errors worth retrying: the database went away or is busy.</summary>
    bool IsTransient(Exception ex);
}
