using System.Text.Json.Nodes;

namespace Fleet.Kubernetes;

/// <summary>What <c>GET /version</c> answers.</summary>
public sealed record ServerVersion(string Major, string Minor, string GitVersion, string? Platform);

/// <summary>One served resource from discovery.</summary>
public sealed record ApiResource(string Group, string Version, string Kind, string Plural, bool Namespaced, IReadOnlyList<string> Verbs)
{
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";
}

/// <summary>All items of a LIST (every page followed) and the list's resourceVersion to watch from.</summary>
public sealed record KubeList(IReadOnlyList<JsonObject> Items, string? ResourceVersion);

/// <summary>LIST and WATCH parameters.</summary>
public sealed record ListOptions(string? LabelSelector = null, string? FieldSelector = null, int PageSize = 500);

/// <summary>One watch event: ADDED, MODIFIED, DELETED or BOOKMARK, with the object.</summary>
public sealed record WatchEvent(string Type, JsonObject Object);

public enum PropagationPolicy
{
    Background,
    Foreground,
    Orphan,
}

/// <summary>Server-side apply parameters.</summary>
public sealed record ApplyRequest(string FieldManager = "fleet", bool Force = false, bool DryRun = false);

/// <summary>The object the server returned from an apply, and whether the apply created it (201).</summary>
public sealed record ApplyResponse(JsonObject Object, bool Created);
