namespace Fleet.Runtime.Silo;

/// <summary>Which partitions this silo owns, under which lease epoch, and who owns the others.</summary>
internal interface IPartitionOwnership
{
    int PartitionCount { get; }

    /// <summary>True when this silo owns the partition; <paramref name="epoch"/> is the fencing token of its lease.</summary>
    bool TryGetEpoch(int partition, out long epoch);

    /// <summary>The silo that owns a partition this silo does not own, as last seen; null when none does.</summary>
    string? OwnerOf(int partition);

    IReadOnlyCollection<int> OwnedPartitions { get; }
}

/// <summary>SQLite: one silo owns every partition, with no lease to fence.</summary>
internal sealed class SingleSiloOwnership(int partitionCount) : IPartitionOwnership
{
    private readonly int[] _all = Enumerable.Range(0, partitionCount).ToArray();

    public int PartitionCount => partitionCount;

    public IReadOnlyCollection<int> OwnedPartitions => _all;

    public bool TryGetEpoch(int partition, out long epoch)
    {
        epoch = 0;
        return true;
    }

    public string? OwnerOf(int partition) => null;
}

/// <summary>A tell on its way to the silo that owns the grain.</summary>
internal sealed record RemoteTell(string GrainType, string Key, string Method, string[] Args);

/// <summary>Delivers tells to other silos.</summary>
internal interface ITellTransport
{
    /// <summary>Hands the tell to the silo; completes when the database accepted it.</summary>
    Task SendAsync(string siloId, RemoteTell tell, CancellationToken ct);
}
