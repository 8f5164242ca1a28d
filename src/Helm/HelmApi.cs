using System.Text.Json.Nodes;

namespace Fleet.Helm;

/// <summary>A chart that cannot be loaded or rendered; the message says what and where, as Helm's does.</summary>
public sealed class HelmException(string message, HelmFailure failure = HelmFailure.Invalid) : Exception(message)
{
    /// <summary>What kind of failure this is, for callers that report them differently.</summary>
    public HelmFailure Failure { get; } = failure;
}

/// <summary>Kinds of <see cref="HelmException"/>.</summary>
public enum HelmFailure
{
    /// <summary>The chart, values or repository content is invalid, or a version is not found.</summary>
    Invalid,

    /// <summary>A repository or registry refused the credentials.</summary>
    Unauthorized,

    /// <summary>A repository or registry could not be reached or answered with an error.</summary>
    Unavailable,
}

/// <summary>Safety limits for loading and rendering a chart.</summary>
public sealed class HelmLimits
{
    /// <summary>Total bytes of a chart's files (Helm's limit for a decompressed chart is 100 MiB).</summary>
    public long MaxChartBytes { get; init; } = 100L * 1024 * 1024;

    /// <summary>Bytes of one file (Helm's limit is 5 MiB).</summary>
    public long MaxFileBytes { get; init; } = 5L * 1024 * 1024;

    /// <summary>Nesting of subcharts.</summary>
    public int MaxSubchartDepth { get; init; } = 20;

    /// <summary>Nesting of template calls (template, include, tpl).</summary>
    public int MaxTemplateDepth { get; init; } = 2000;

    /// <summary>Characters of rendered output.</summary>
    public long MaxOutputChars { get; init; } = 64L * 1024 * 1024;

    /// <summary>Time for one render.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>The flags of `helm template` that change what is rendered.</summary>
public sealed class HelmRenderOptions
{
    public string ReleaseName { get; init; } = "release-name";

    public string Namespace { get; init; } = "default";

    /// <summary>The target cluster's version, as --kube-version ("v1.32.0" or "1.32").</summary>
    public string KubeVersion { get; init; } = "v1.32.0";

    /// <summary>API versions the cluster serves in addition to the built-in ones (--api-versions), "group/version" or "group/version/Kind".</summary>
    public IReadOnlyList<string> ApiVersions { get; init; } = [];

    /// <summary>Render the chart's crds/ too (--include-crds).</summary>
    public bool IncludeCrds { get; init; }

    /// <summary>Leave out test hooks (--skip-tests).</summary>
    public bool SkipTests { get; init; }

    /// <summary>Render as an upgrade (--is-upgrade): .Release.IsUpgrade true, IsInstall false.</summary>
    public bool IsUpgrade { get; init; }

    /// <summary>Clock for Sprig's date functions (fixed in tests).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    public HelmLimits Limits { get; init; } = new();

    public CancellationToken Cancellation { get; init; }
}

/// <summary>A rendered hook: the object and how Helm would run it.</summary>
public sealed class HelmHook
{
    public required JsonObject Object { get; init; }

    public required string Name { get; init; }

    public required string Kind { get; init; }

    /// <summary>Template path the hook came from (chart/templates/x.yaml).</summary>
    public required string Path { get; init; }

    /// <summary>helm.sh/hook events in order: pre-install, post-install, pre-upgrade, ..., test.</summary>
    public required IReadOnlyList<string> Events { get; init; }

    /// <summary>helm.sh/hook-weight (0 when absent or not a number).</summary>
    public required int Weight { get; init; }

    /// <summary>helm.sh/hook-delete-policy values in order.</summary>
    public required IReadOnlyList<string> DeletePolicies { get; init; }
}

/// <summary>What a chart renders to, in Helm's install order.</summary>
public sealed class HelmRenderResult
{
    /// <summary>The chart's crds/ files (with IncludeCrds), in chart order; they are applied before everything else.</summary>
    public required IReadOnlyList<JsonObject> Crds { get; init; }

    /// <summary>The manifests that are not hooks, sorted by kind in Helm's install order.</summary>
    public required IReadOnlyList<JsonObject> Objects { get; init; }

    /// <summary>Hooks in the order `helm template` prints them (by kind); run them by <see cref="HelmHook.Weight"/> per event.</summary>
    public required IReadOnlyList<HelmHook> Hooks { get; init; }

    /// <summary>The output exactly as `helm template` prints it (crds when included, manifests, then hooks).</summary>
    public required string Manifest { get; init; }
}
