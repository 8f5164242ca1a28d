namespace Fleet.Abstractions.Resources;

/// <summary>Read-only: one application on one cluster. Its name is <c>{application}.{cluster}</c>.</summary>
public sealed record PlacementSpec
{
    public string Application { get; init; } = "";
    public string Cluster { get; init; } = "";
}

public sealed record PlacementStatus
{
    public long ObservedGeneration { get; init; }
    public List<Condition>? Conditions { get; init; }
    public string? LastAppliedRevision { get; init; }
    public string? LastAttemptedRevision { get; init; }
    public List<InventoryEntry>? Inventory { get; init; }

    /// <summary><c>Current</c>, <c>InProgress</c>, <c>Failed</c> or <c>Unknown</c>.</summary>
    public string? Health { get; init; }
    public List<DriftEntry>? Drift { get; init; }
    public DateTimeOffset? LastAppliedTime { get; init; }
}

public sealed record InventoryEntry
{
    public string? Group { get; init; }
    public string Version { get; init; } = "";
    public string Kind { get; init; } = "";
    public string? Namespace { get; init; }
    public string Name { get; init; } = "";
}

public sealed record DriftEntry
{
    public string Object { get; init; } = "";

    /// <summary><c>Modified</c> or <c>Missing</c>.</summary>
    public string Kind { get; init; } = "";
    public List<string>? Fields { get; init; }
    public string? Manager { get; init; }
}
