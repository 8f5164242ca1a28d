namespace Fleet.Grains.Placements;

/// <summary>What a placement grain keeps between reconciles: the inventory it applied (with digests) and how the last attempt went.</summary>
internal sealed record PlacementState
{
    /// <summary>The <c>Fleet.Kubernetes.Inventory</c> as JSON: every object applied, its applied digest and observed resourceVersion.</summary>
    public string? Inventory { get; init; }
    public string? LastAppliedRevision { get; init; }
    public string? LastAppliedDigest { get; init; }
    public int Failures { get; init; }

    /// <summary>The last reported outcome (Ready reason + message), so events fire on change only.</summary>
    public string? LastOutcome { get; init; }
}
