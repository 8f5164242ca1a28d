using k8s;
using k8s.Models;

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
        // /api and /apis answer with the library's typed discovery models.
        var core = await CallAsync("GET /api", () => _api.Core.GetAPIVersionsAsync(ct)).ConfigureAwait(false);
        var groups = await CallAsync("GET /apis", () => _api.Apis.GetAPIVersionsAsync(ct)).ConfigureAwait(false);
        var groupVersions = new List<string>(core.Versions ?? []);
        groupVersions.AddRange((groups.Groups ?? []).SelectMany(g => g.Versions ?? []).Select(v => v.GroupVersion).OfType<string>());
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
            var (_, list) = await SendAsync<V1APIResourceList>(HttpMethod.Get, path, null, $"discovery {path}", ct).ConfigureAwait(false);
            foreach (var r in list.Resources ?? [])
            {
                if (r.Name is null || r.Kind is null || r.Name.Contains('/', StringComparison.Ordinal))
                {
                    continue; // subresources
                }
                resources.Add(new ApiResource(group, version, r.Kind, r.Name, r.Namespaced, [.. r.Verbs ?? []]));
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
