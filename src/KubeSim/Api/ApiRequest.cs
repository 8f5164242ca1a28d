namespace Fleet.KubeSim.Api;

/// <summary>A request to one virtual cluster, independent of HTTP so tests and the admin API can call it in process.</summary>
internal sealed record ApiRequest(
    string Method,
    string[] Segments,
    IReadOnlyDictionary<string, string> Query,
    string? ContentType,
    string? Accept,
    byte[] Body,
    string? UserAgent,
    bool ReadOnly = false)
{
    public string? Q(string name) => Query.TryGetValue(name, out var v) ? v : null;

    public bool DryRun => Q("dryRun") is { Length: > 0 } d && d.Split(',').Contains("All");
}

/// <summary>The answer: HTTP status, body and content type.</summary>
internal sealed record ApiResponse(int Status, byte[] Body, string ContentType = "application/json")
{
    /// <summary>Warnings for the client, sent as <c>Warning: 299 - "…"</c> headers.</summary>
    public IReadOnlyList<string>? Warnings { get; init; }
}

/// <summary>Which resource (and object) a request path names.</summary>
internal sealed record ApiTarget(Store.ResourceType Type, string? Namespace, string? Name, string? Subresource, bool Watch);
