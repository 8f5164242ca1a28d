namespace Fleet.Runtime;

/// <summary>What a host's health endpoints report about the silo.</summary>
public interface ISiloStatus
{
    string SiloId { get; }

    /// <summary>True once storage is open and migrated (and, with PostgreSQL, the silo joined the cluster).</summary>
    bool IsReady { get; }

    /// <summary>The last storage error while not ready (no secrets: connection strings are never included).</summary>
    string? LastError { get; }

    /// <summary>The partitions this silo owns now.</summary>
    IReadOnlyCollection<int> OwnedPartitions { get; }

    /// <summary>Live grain activations on this silo.</summary>
    int ActivationCount { get; }
}
