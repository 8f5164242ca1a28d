namespace Fleet.Abstractions.Resources;

/// <summary>
/// One application on one cluster, named <c>{application}.{cluster}</c> and labelled <c>fleet.dev/application</c> and
/// <c>fleet.dev/cluster</c>. Read-only in the API: the application grain writes the spec (what the cluster should
/// run), the placement grain the status (what it runs).
/// </summary>
public sealed record PlacementSpec
{
    public string Application { get; init; } = "";
    public string Cluster { get; init; } = "";

    /// <summary>The source revision to run, in Flux's form (<c>main@sha1:...</c>).</summary>
    public string? Revision { get; init; }

    /// <summary>Digest of the rendered, substituted manifests in the blob store.</summary>
    public string? ManifestDigest { get; init; }

    /// <summary>The customization (of <c>targetCustomizations</c>) this cluster matched, if any.</summary>
    public string? Customization { get; init; }
    public bool Prune { get; init; }
    public bool Wait { get; init; }
    public bool Force { get; init; }
    public bool Suspend { get; init; }
    public string? Interval { get; init; }
    public string? RetryInterval { get; init; }
    public string? Timeout { get; init; }

    /// <summary>Applications of the same namespace that must be Ready on this cluster first.</summary>
    public List<string>? DependsOn { get; init; }

    /// <summary>The cluster left the selection or the application was deleted: prune (when <see cref="Prune"/>) and go.</summary>
    public bool Deleting { get; init; }

    /// <summary>Objects on the cluster, besides those applied, whose health is waited for (the application's <c>healthChecks</c>).</summary>
    public List<CrossNamespaceObjectReference>? HealthChecks { get; init; }
}

public sealed record PlacementStatus
{
    public long ObservedGeneration { get; init; }
    public List<Condition>? Conditions { get; init; }
    public string? LastAppliedRevision { get; init; }
    public string? LastAttemptedRevision { get; init; }
    public string? LastAppliedDigest { get; init; }
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
