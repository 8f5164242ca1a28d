namespace Fleet.Runtime;

/// <summary>A grain state write based on an outdated etag: another writer changed the state since it was read.</summary>
public sealed class GrainStateConflictException(string grainType, string key, string? expectedEtag, string? actualEtag)
    : Exception($"State of grain {grainType}/{key} was changed by another writer: expected etag {expectedEtag ?? "(none: new state)"}, stored etag is {actualEtag ?? "(none: no state)"}. Read the state again before writing.")
{
    public string GrainType { get; } = grainType;
    public string Key { get; } = key;
}

/// <summary>A write refused because this silo no longer holds the lease of the grain's partition (fencing).</summary>
public sealed class PartitionLeaseLostException(string grainType, string key, int partition, long epoch)
    : Exception($"Write to grain {grainType}/{key} refused: this silo no longer owns partition {partition} (its lease epoch {epoch} was superseded by another silo).")
{
    public int Partition { get; } = partition;
    public long Epoch { get; } = epoch;
}

/// <summary>A stored record written by a newer version of Fleet than this one understands.</summary>
public sealed class StateVersionException(string message) : Exception(message);

/// <summary>The storage could not be opened or used: a corrupt file, an unreachable or incompatible database.</summary>
public sealed class FleetStorageException(string message, Exception? inner = null) : Exception(message, inner);
