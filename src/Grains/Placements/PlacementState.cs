namespace Fleet.Grains.Placements;

/// <summary>What a placement grain keeps between reconciles: the inventory it applied (with digests) and how the last attempt went.</summary>
[GenerateSerializer, Alias("fleet.PlacementState")]
internal sealed record PlacementState
{
    /// <summary>The <c>Fleet.Kubernetes.Inventory</c> as JSON: every object applied, its applied digest and observed resourceVersion.</summary>
    [Id(0)]
    public string? Inventory { get; init; }

    [Id(1)]
    public string? LastAppliedRevision { get; init; }

    [Id(2)]
    public string? LastAppliedDigest { get; init; }

    [Id(3)]
    public int Failures { get; init; }

    /// <summary>The last reported outcome (Ready reason + message), so events fire on change only.</summary>
    [Id(4)]
    public string? LastOutcome { get; init; }

    /// <summary>Whether the last health check ran with <c>wait</c> on, so that turning it on re-checks at once.</summary>
    [Id(5)]
    public bool LastWait { get; init; }

    /// <summary>The period of the placement's reminder as last registered, in minutes (null: not registered by this state).</summary>
    [Id(6)]
    public int? ReminderMinutes { get; init; }

    /// <summary>When the placement last applied its manifests (the cluster then matched them).</summary>
    [Id(7)]
    public DateTimeOffset? LastAppliedAt { get; init; }
}
