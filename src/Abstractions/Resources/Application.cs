using System.Text.Json.Nodes;

namespace Fleet.Abstractions.Resources;

/// <summary>
/// What to deploy and where: the fields of Flux's <c>kustomize.toolkit.fluxcd.io/v1</c> Kustomization,
/// plus the cluster selection and rollout of a fleet.
/// </summary>
public sealed record ApplicationSpec
{
    public CrossNamespaceObjectReference SourceRef { get; init; } = new();
    public string? Path { get; init; }
    public string Interval { get; init; } = "5m";
    public string? RetryInterval { get; init; }
    public string? Timeout { get; init; }
    public bool Prune { get; init; }
    public bool Wait { get; init; }
    public List<CrossNamespaceObjectReference>? HealthChecks { get; init; }
    public List<LocalObjectReference>? DependsOn { get; init; }
    public bool Suspend { get; init; }
    public bool Force { get; init; }
    public string? TargetNamespace { get; init; }
    public string? NamePrefix { get; init; }
    public string? NameSuffix { get; init; }

    /// <summary>Kustomize patches (<c>patch</c> + optional <c>target</c>), kept as written.</summary>
    public List<JsonObject>? Patches { get; init; }

    /// <summary>Kustomize image overrides (<c>name</c>, <c>newName</c>, <c>newTag</c>, <c>digest</c>).</summary>
    public List<JsonObject>? Images { get; init; }
    public List<string>? Components { get; init; }
    public CommonMetadata? CommonMetadata { get; init; }
    public PostBuild? PostBuild { get; init; }

    /// <summary>The clusters this application goes to (by their labels). Absent: none.</summary>
    public LabelSelectorSpec? ClusterSelector { get; init; }

    /// <summary>Per-cluster differences; the first entry whose selector matches a cluster wins.</summary>
    public List<TargetCustomization>? TargetCustomizations { get; init; }
    public RolloutSpec? Rollout { get; init; }

    /// <summary>Render a Helm chart instead of a kustomization.</summary>
    public ApplicationHelmSpec? Helm { get; init; }
}

public sealed record CommonMetadata
{
    public Dictionary<string, string>? Labels { get; init; }
    public Dictionary<string, string>? Annotations { get; init; }
}

public sealed record PostBuild
{
    public Dictionary<string, string>? Substitute { get; init; }
    public List<SubstituteReference>? SubstituteFrom { get; init; }
}

public sealed record SubstituteReference
{
    /// <summary><c>ConfigMap</c> or <c>Secret</c>.</summary>
    public string Kind { get; init; } = "";
    public string Name { get; init; } = "";
    public bool Optional { get; init; }
}

public sealed record TargetCustomization
{
    public string Name { get; init; } = "";
    public LabelSelectorSpec? ClusterSelector { get; init; }
    public string? Path { get; init; }
    public List<JsonObject>? Patches { get; init; }
    public PostBuild? PostBuild { get; init; }

    /// <summary>Helm values for the clusters this customization matches, merged over the application's.</summary>
    public HelmValuesCustomization? Helm { get; init; }
}

public sealed record RolloutSpec
{
    /// <summary>A count (<c>2</c>) or a percentage (<c>25%</c>) of the selected clusters per wave.</summary>
    public string? MaxUnavailable { get; init; }

    /// <summary>Clusters deployed, and healthy, before any other.</summary>
    public LabelSelectorSpec? Canary { get; init; }
    public bool PauseOnFailure { get; init; }
}

public sealed record ApplicationStatus
{
    public long ObservedGeneration { get; init; }
    public List<Condition>? Conditions { get; init; }
    public string? LastAttemptedRevision { get; init; }
    public string? LastAppliedRevision { get; init; }
    public PlacementCounts? Placements { get; init; }
    public RolloutStatus? Rollout { get; init; }
}

public sealed record PlacementCounts
{
    public int Selected { get; init; }
    public int Ready { get; init; }
    public int Progressing { get; init; }
    public int Failed { get; init; }
    public int Pending { get; init; }
}

public sealed record RolloutStatus
{
    public string? Revision { get; init; }
    public int Wave { get; init; }
    public int Waves { get; init; }
    public bool Paused { get; init; }
    public string? Message { get; init; }
}
