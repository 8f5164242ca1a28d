using System.Text.Json.Serialization;

namespace Fleet.Abstractions.Resources;

/// <summary>The API group and version of Fleet's own kinds.</summary>
public static class FleetApi
{
    public const string Group = "fleet.dev";
    public const string Version = "v1";
    public const string ApiVersion = Group + "/" + Version;

    /// <summary>Label set on every object Fleet applies to a cluster: the application's name.</summary>
    public const string ApplicationLabel = "fleet.dev/application";

    /// <summary>Label set on every object Fleet applies to a cluster: the application's namespace.</summary>
    public const string NamespaceLabel = "fleet.dev/namespace";
}

/// <summary>Object metadata as Kubernetes writes it. <c>Namespace</c> is the tenant.</summary>
public sealed record ObjectMeta
{
    public string Name { get; init; } = "";
    public string? Namespace { get; init; }
    public Dictionary<string, string>? Labels { get; init; }
    public Dictionary<string, string>? Annotations { get; init; }
    public long? Generation { get; init; }
    public string? ResourceVersion { get; init; }
    public string? Uid { get; init; }
    public DateTimeOffset? CreationTimestamp { get; init; }
}

/// <summary>A reference to an object of the same namespace by name.</summary>
public sealed record LocalObjectReference
{
    public string Name { get; init; } = "";
}

/// <summary>A reference to an object of the same namespace by kind and name.</summary>
public sealed record CrossNamespaceObjectReference
{
    public string? ApiVersion { get; init; }
    public string Kind { get; init; } = "";
    public string Name { get; init; } = "";

    /// <summary>The object's namespace, where the reference names a namespaced object on a cluster (healthChecks).</summary>
    public string? Namespace { get; init; }
}

/// <summary>The structured form of a Kubernetes label selector.</summary>
public sealed record LabelSelectorSpec
{
    public Dictionary<string, string>? MatchLabels { get; init; }
    public List<LabelSelectorExpression>? MatchExpressions { get; init; }

    /// <summary>Converts to a <see cref="LabelSelector"/>; throws <see cref="LabelSelectorException"/> naming what is wrong.</summary>
    public LabelSelector ToSelector() => LabelSelector.FromMatch(
        MatchLabels,
        MatchExpressions?.Select(e => new LabelSelectorRequirement(e.Key, LabelSelector.ParseOperator(e.Operator), e.Values ?? [])));
}

public sealed record LabelSelectorExpression
{
    public string Key { get; init; } = "";
    public string Operator { get; init; } = "";
    public List<string>? Values { get; init; }
}

/// <summary>A typed API object: the envelope every kind shares.</summary>
public sealed record Resource<TSpec, TStatus>
    where TSpec : class
    where TStatus : class
{
    public string ApiVersion { get; init; } = FleetApi.ApiVersion;
    public string Kind { get; init; } = "";
    public ObjectMeta Metadata { get; init; } = new();
    public TSpec? Spec { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public TStatus? Status { get; init; }
}
