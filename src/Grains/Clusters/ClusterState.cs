namespace Fleet.Grains.Clusters;

/// <summary>What a cluster grain remembers between probes: whether it was reachable, and for how many failed probes not.</summary>
[GenerateSerializer, Alias("fleet.ClusterState")]
internal sealed record ClusterState
{
    [Id(0)]
    public bool? WasReady { get; init; }

    [Id(1)]
    public int ConsecutiveFailures { get; init; }

    [Id(2)]
    public string? LastReason { get; init; }

    /// <summary>Whether the cluster was paused at the last reconcile, so that its placements are told when that flips.</summary>
    [Id(3)]
    public bool Paused { get; init; }
}
