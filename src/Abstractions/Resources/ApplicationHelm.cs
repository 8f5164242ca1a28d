using System.Text.Json.Nodes;

namespace Fleet.Abstractions.Resources;

/// <summary>
/// An application that renders a Helm chart instead of a kustomization, as Flux's HelmRelease does: the chart is
/// <see cref="Chart"/> in a <c>HelmRepository</c> source (chosen by <see cref="Version"/>), or a chart directory in a
/// <c>GitRepository</c> source (<see cref="Chart"/>, else the application's <c>path</c>). The application's
/// <c>patches</c>, <c>images</c>, <c>commonMetadata</c> and <c>postBuild</c> apply to the rendered objects afterwards
/// (Flux's post-renderers); <c>targetNamespace</c> is the release namespace.
/// </summary>
public sealed record ApplicationHelmSpec
{
    /// <summary>The chart's name in a HelmRepository, or its directory in a GitRepository.</summary>
    public string? Chart { get; init; }

    /// <summary>An exact version or a semver range (<c>^1.4</c>); the newest stable version when absent. HelmRepository only.</summary>
    public string? Version { get; init; }

    /// <summary>The release name (<c>.Release.Name</c>); the application's name when absent.</summary>
    public string? ReleaseName { get; init; }

    /// <summary>Values merged over the chart's defaults, after <see cref="ValuesFrom"/>.</summary>
    public JsonObject? Values { get; init; }

    /// <summary>Values from Secrets, merged in order before <see cref="Values"/> (Flux's <c>valuesFrom</c>).</summary>
    public List<HelmValuesReference>? ValuesFrom { get; init; }

    /// <summary>Leave out the chart's <c>crds/</c> (Flux's <c>install.crds: Skip</c>).</summary>
    public bool SkipCrds { get; init; }

    /// <summary>Add the release namespace as a Namespace object (<c>helm install --create-namespace</c>).</summary>
    public bool CreateNamespace { get; init; }
}

/// <summary>Per-cluster values of a <see cref="TargetCustomization"/>, merged over the application's.</summary>
public sealed record HelmValuesCustomization
{
    public JsonObject? Values { get; init; }
    public List<HelmValuesReference>? ValuesFrom { get; init; }
}

/// <summary>Values from a Secret (Flux's <c>valuesFrom</c> entry).</summary>
public sealed record HelmValuesReference
{
    /// <summary><c>Secret</c> (Fleet keeps no ConfigMaps: a <c>ConfigMap</c> reference fails unless optional).</summary>
    public string Kind { get; init; } = "";
    public string Name { get; init; } = "";

    /// <summary>The data key holding YAML values; <c>values.yaml</c> when absent.</summary>
    public string? ValuesKey { get; init; }

    /// <summary>Where the key's value goes (<c>a.b</c>, as <c>--set</c>), as a single value rather than a YAML document.</summary>
    public string? TargetPath { get; init; }
    public bool Optional { get; init; }
}
