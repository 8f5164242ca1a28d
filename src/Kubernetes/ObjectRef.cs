using System.Text.Json.Nodes;

namespace Fleet.Kubernetes;

/// <summary>Identifies one Kubernetes object: group, version, kind, namespace (null when cluster-scoped) and name.</summary>
public sealed record ObjectRef(string Group, string Version, string Kind, string? Namespace, string Name)
{
    /// <summary>The apiVersion string: "v1" for the core group, else "group/version".</summary>
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>Same object whatever the version: inventories and change sets match on this.</summary>
    public (string Group, string Kind, string? Namespace, string Name) Identity => (Group, Kind, Namespace, Name);

    public override string ToString() =>
        Namespace is null ? $"{Kind}/{Name}" : $"{Kind}/{Namespace}/{Name}";

    /// <summary>Reads apiVersion, kind, metadata.namespace and metadata.name; missing parts are empty strings.</summary>
    public static ObjectRef FromObject(JsonObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var (group, version) = SplitApiVersion(obj.Str("apiVersion") ?? "");
        var ns = obj.Path("metadata", "namespace")?.GetValue<string>();
        return new ObjectRef(group, version, obj.Str("kind") ?? "", string.IsNullOrEmpty(ns) ? null : ns,
            obj.Path("metadata", "name")?.GetValue<string>() ?? "");
    }

    public static (string Group, string Version) SplitApiVersion(string apiVersion)
    {
        var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? ("", apiVersion) : (apiVersion[..slash], apiVersion[(slash + 1)..]);
    }
}
