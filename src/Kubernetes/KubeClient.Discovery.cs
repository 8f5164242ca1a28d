using System.Text.Json.Nodes;

namespace Fleet.Kubernetes;

public sealed partial class KubeClient
{
    private sealed record DiscoveryEntry(IReadOnlyList<ApiResource> Resources, DateTimeOffset FetchedAt);

    /// <summary>
    /// The served resource for an apiVersion and kind. Discovery is fetched per group-version on first use,
    /// cached, and fetched again when a kind is not found (a CRD may have just been created).
    /// Null when the cluster does not serve it.
    /// </summary>
    public async Task<ApiResource?> FindResourceAsync(string apiVersion, string kind, CancellationToken ct = default)
    {
        var now = Options.TimeProvider.GetUtcNow();
        if (_discovery.TryGetValue(apiVersion, out var entry) && now - entry.FetchedAt < Options.DiscoveryTtl &&
            entry.Resources.FirstOrDefault(r => r.Kind == kind) is { } cached)
        {
            return cached;
        }
        var fresh = await DiscoverGroupVersionAsync(apiVersion, ct).ConfigureAwait(false);
        return fresh.FirstOrDefault(r => r.Kind == kind);
    }

    /// <summary>Like <see cref="FindResourceAsync"/> but throws a 404 <see cref="KubeApiException"/> naming the kind.</summary>
    public async Task<ApiResource> ResolveAsync(string apiVersion, string kind, CancellationToken ct = default) =>
        await FindResourceAsync(apiVersion, kind, ct).ConfigureAwait(false)
        ?? throw new KubeApiException($"discovery of {apiVersion}",
            new KubeStatus(404, "NotFound", $"the cluster does not serve kind {kind} in {apiVersion}", []));

    /// <summary>Full discovery: every group, every version, every resource (subresources left out).</summary>
    public async Task<IReadOnlyList<ApiResource>> DiscoverAllAsync(CancellationToken ct = default)
    {
        var groupVersions = new List<string>();
        var (_, core) = await SendAsync(HttpMethod.Get, "/api", null, "GET /api", ct).ConfigureAwait(false);
        if (ParseObject(core, "/api")["versions"] is JsonArray versions)
        {
            groupVersions.AddRange(versions.Select(v => v?.GetValue<string>()).OfType<string>());
        }
        var (_, groups) = await SendAsync(HttpMethod.Get, "/apis", null, "GET /apis", ct).ConfigureAwait(false);
        if (ParseObject(groups, "/apis")["groups"] is JsonArray list)
        {
            foreach (var g in list.OfType<JsonObject>())
            {
                if (g["versions"] is JsonArray gvs)
                {
                    groupVersions.AddRange(gvs.OfType<JsonObject>().Select(v => v.Str("groupVersion")).OfType<string>());
                }
            }
        }
        var all = await Task.WhenAll(groupVersions.Distinct().Select(gv => DiscoverGroupVersionAsync(gv, ct))).ConfigureAwait(false);
        return [.. all.SelectMany(r => r)];
    }

    /// <summary>Forgets discovery results, so that the next use fetches them again.</summary>
    public void InvalidateDiscovery() => _discovery.Clear();

    private async Task<IReadOnlyList<ApiResource>> DiscoverGroupVersionAsync(string apiVersion, CancellationToken ct)
    {
        var (group, version) = ObjectRef.SplitApiVersion(apiVersion);
        var path = group.Length == 0 ? $"/api/{version}" : $"/apis/{group}/{version}";
        List<ApiResource> resources = [];
        try
        {
            var (_, body) = await SendAsync(HttpMethod.Get, path, null, $"discovery {path}", ct).ConfigureAwait(false);
            if (ParseObject(body, path)["resources"] is JsonArray array)
            {
                foreach (var r in array.OfType<JsonObject>())
                {
                    var name = r.Str("name");
                    var kind = r.Str("kind");
                    if (name is null || kind is null || name.Contains('/', StringComparison.Ordinal))
                    {
                        continue;
                    }
                    var verbs = r["verbs"] is JsonArray v ? v.Select(x => x?.GetValue<string>()).OfType<string>().ToList() : [];
                    resources.Add(new ApiResource(group, version, kind, name, r.Bool("namespaced") ?? false, verbs));
                }
            }
        }
        catch (KubeApiException ex) when (ex.Code == 404)
        {
            // Group-version not served: remember the empty answer until the next miss.
        }
        _discovery[apiVersion] = new DiscoveryEntry(resources, Options.TimeProvider.GetUtcNow());
        Log.Discovered(_logger, resources.Count, apiVersion, _server);
        return resources;
    }
}
