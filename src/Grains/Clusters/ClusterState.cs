namespace Fleet.Grains.Clusters;

/// <summary>What a cluster grain remembers between probes: whether it was reachable, and for how many failed probes not.</summary>
internal sealed record ClusterState
{
    public bool? WasReady { get; init; }
    public int ConsecutiveFailures { get; init; }
    public string? LastReason { get; init; }
}
