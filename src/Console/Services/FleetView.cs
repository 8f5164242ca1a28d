using Fleet.Abstractions.Resources;
using Fleet.Gateway.Services;
using Fleet.Store;

namespace Fleet.WebConsole.Services;

/// <summary>
/// What the console's pages read, for one signed-in tab: every object comes through <see cref="ResourceService"/>
/// with the tab's <see cref="Caller"/> (so a caller sees exactly what the API shows it), events through the event
/// log filtered by the namespaces the caller may see (as the events API reads them). Lists are kept per tab until
/// objects of their kind change, so paging, searching and filtering a fleet of 10,000 clusters re-reads nothing.
/// </summary>
internal sealed class FleetView(ResourceService resources, IEventLog events, FleetChanges changes, ConsoleSession session)
{
    private readonly Dictionary<(string Kind, string? Selector), (long Version, Caller Caller, object Rows)> _cache = [];

    private Caller Caller => session.Caller ?? throw new ApiException(ApiErrorKind.Unauthenticated, "sign in with an API token first");

    public async Task<Page<ClusterRow>> ClustersAsync(ClusterFilter filter, int pageIndex, int pageSize, CancellationToken ct)
    {
        var rows = await ClusterRowsAsync(filter.Selector, ct);
        IEnumerable<ClusterRow> matched = rows;
        if (filter.State is { } state)
        {
            matched = matched.Where(r => r.State == state);
        }
        if (!string.IsNullOrWhiteSpace(filter.Text))
        {
            var text = filter.Text.Trim();
            matched = matched.Where(r => r.Name.Contains(text, StringComparison.OrdinalIgnoreCase)
                || r.Namespace.Contains(text, StringComparison.OrdinalIgnoreCase)
                || r.Message.Contains(text, StringComparison.OrdinalIgnoreCase)
                || r.Labels.Any(l => l.Value.Contains(text, StringComparison.OrdinalIgnoreCase)));
        }
        var list = matched as IReadOnlyList<ClusterRow> ?? matched.ToList();
        var pages = Math.Max(1, (list.Count + pageSize - 1) / pageSize);
        pageIndex = Math.Clamp(pageIndex, 0, pages - 1);
        return new Page<ClusterRow>(list.Skip(pageIndex * pageSize).Take(pageSize).ToList(), list.Count, pageIndex, pageSize);
    }

    public async Task<ClusterDetail> ClusterAsync(string ns, string name, CancellationToken ct)
    {
        var stored = await resources.GetAsync(Caller, ResourceKinds.Cluster, ns, name, ct);
        var placements = await resources.ListAsync(Caller, ResourceKinds.Placement, ns, $"{PlacementClusterLabel}={name}", ct);
        return new ClusterDetail(ToCluster(stored), Read<ClusterStatus>(stored.StatusJson) ?? new ClusterStatus(), placements.Select(ToPlacement).OrderBy(p => p.Application, StringComparer.Ordinal).ToList());
    }

    public async Task<IReadOnlyList<ApplicationRow>> ApplicationsAsync(CancellationToken ct) =>
        await CachedAsync(ResourceKinds.Application.Kind, null, async () => (await resources.ListAsync(Caller, ResourceKinds.Application, null, null, ct)).Select(ToApplication).ToList());

    public async Task<ApplicationDetail> ApplicationAsync(string ns, string name, CancellationToken ct)
    {
        var stored = await resources.GetAsync(Caller, ResourceKinds.Application, ns, name, ct);
        var placements = await resources.ListAsync(Caller, ResourceKinds.Placement, ns, $"{PlacementApplicationLabel}={name}", ct);
        var own = await EventsOfAsync(ns, ResourceKinds.Application.Kind, name, 30, ct);
        // Placement events (application~cluster) are among the newest events the feed keeps.
        var prefix = name + "~";
        var ofPlacements = changes.Recent().Where(e => e.Namespace == ns && e.InvolvedKind == ResourceKinds.Placement.Kind && e.InvolvedName.StartsWith(prefix, StringComparison.Ordinal));
        var merged = own.Concat(ofPlacements).DistinctBy(e => e.Sequence).OrderByDescending(e => e.Sequence).Take(30).ToList();
        return new ApplicationDetail(ToApplication(stored), placements.Select(ToPlacement).OrderBy(p => p.Cluster, StringComparer.Ordinal).ToList(), merged);
    }

    public async Task<IReadOnlyList<SourceRow>> SourcesAsync(CancellationToken ct)
    {
        var sources = await resources.ListAsync(Caller, ResourceKinds.GitRepository, null, null, ct);
        var apps = await ApplicationsAsync(ct);
        return sources.Select(s => ToSource(s, apps)).ToList();
    }

    public async Task<(SourceRow Source, IReadOnlyList<FleetEvent> Events)> SourceAsync(string ns, string name, CancellationToken ct)
    {
        var stored = await resources.GetAsync(Caller, ResourceKinds.GitRepository, ns, name, ct);
        return (ToSource(stored, await ApplicationsAsync(ct)), await EventsOfAsync(ns, ResourceKinds.GitRepository.Kind, name, 20, ct));
    }

    /// <summary>Applications × one page of the (filtered) clusters, each cell the placement of that application there.</summary>
    public async Task<HeatMap> HeatMapAsync(ClusterFilter filter, int pageIndex, int pageSize, CancellationToken ct)
    {
        var clusters = await ClustersAsync(filter, pageIndex, pageSize, ct);
        var apps = await ApplicationsAsync(ct);
        var cells = new Dictionary<(string, string, string), PlacementRow>();
        if (clusters.Items.Count > 0 && apps.Count > 0)
        {
            // One indexed query for the placements on the clusters of this page.
            var names = string.Join(",", clusters.Items.Select(c => c.Name).Distinct(StringComparer.Ordinal));
            foreach (var p in await resources.ListAsync(Caller, ResourceKinds.Placement, null, $"{PlacementClusterLabel} in ({names})", ct))
            {
                var row = ToPlacement(p);
                cells[(row.Namespace, row.Application, row.Cluster)] = row;
            }
        }
        return new HeatMap(apps, clusters, cells);
    }

    public async Task<Overview> OverviewAsync(CancellationToken ct)
    {
        var clusters = await ClusterRowsAsync(null, ct);
        var apps = await ApplicationsAsync(ct);
        var visible = changes.Recent().Where(e => Caller.CanSee(e.Namespace)).ToList();
        return new Overview(
            clusters.GroupBy(c => c.State).ToDictionary(g => g.Key, g => g.Count()),
            apps.GroupBy(a => a.State).ToDictionary(g => g.Key, g => g.Count()),
            apps.Where(a => a.State == State.Progressing || (a.Rollout is { } r && r.Waves > 0 && r.Wave < r.Waves)).ToList(),
            visible.Where(e => e.Type == FleetEventType.Warning).Reverse().Take(10).ToList(),
            visible.AsEnumerable().Reverse().Take(15).ToList());
    }

    /// <summary>The newest events about one object, newest first.</summary>
    private async Task<IReadOnlyList<FleetEvent>> EventsOfAsync(string ns, string kind, string name, int count, CancellationToken ct)
    {
        if (!Caller.CanSee(ns))
        {
            return [];
        }
        // The log reads oldest first: page through the object's events, keeping the newest.
        var newest = new Queue<FleetEvent>();
        long after = 0;
        while (true)
        {
            var page = await events.ListAsync(new EventQuery(ns, kind, name, null, after, 500), ct);
            foreach (var e in page)
            {
                newest.Enqueue(e);
                if (newest.Count > count)
                {
                    newest.Dequeue();
                }
                after = e.Sequence;
            }
            if (page.Count < 500)
            {
                return newest.Reverse().ToList();
            }
        }
    }

    private async Task<IReadOnlyList<ClusterRow>> ClusterRowsAsync(string? selector, CancellationToken ct) =>
        await CachedAsync(ResourceKinds.Cluster.Kind, string.IsNullOrWhiteSpace(selector) ? null : selector.Trim(), async () =>
            (await resources.ListAsync(Caller, ResourceKinds.Cluster, null, selector, ct)).Select(ToCluster).ToList());

    private async Task<IReadOnlyList<T>> CachedAsync<T>(string kind, string? selector, Func<Task<List<T>>> load)
    {
        var version = changes.Version(kind);
        if (_cache.TryGetValue((kind, selector), out var hit) && hit.Version == version && hit.Caller == Caller)
        {
            return (IReadOnlyList<T>)hit.Rows;
        }
        var rows = await load();
        if (_cache.Count > 32)
        {
            _cache.Clear();
        }
        _cache[(kind, selector)] = (version, Caller, rows);
        return rows;
    }

    private const string PlacementClusterLabel = "fleet.dev/cluster";
    private const string PlacementApplicationLabel = "fleet.dev/application";

    private static T? Read<T>(string? json) where T : class => json is null ? null : FleetJson.Deserialize<T>(json);

    private static ClusterRow ToCluster(StoredResource r)
    {
        var spec = Read<ClusterSpec>(r.SpecJson) ?? new ClusterSpec();
        var status = Read<ClusterStatus>(r.StatusJson);
        return new ClusterRow(r.Namespace, r.Name, r.Labels, States.From(spec.Paused, status?.Conditions), status?.KubernetesVersion, status?.LastProbeTime,
            status?.LastError ?? States.Message(status?.Conditions), spec.Server);
    }

    private static ApplicationRow ToApplication(StoredResource r)
    {
        var spec = Read<ApplicationSpec>(r.SpecJson) ?? new ApplicationSpec();
        var status = Read<ApplicationStatus>(r.StatusJson) ?? new ApplicationStatus();
        return new ApplicationRow(r.Namespace, r.Name, States.From(spec.Suspend, status.Conditions), $"{spec.SourceRef.Kind}/{spec.SourceRef.Name}",
            status.LastAppliedRevision ?? status.LastAttemptedRevision, status.Placements?.Ready ?? 0, status.Placements?.Selected ?? 0, status.Rollout,
            States.Message(status.Conditions), spec, status);
    }

    private static PlacementRow ToPlacement(StoredResource r)
    {
        var spec = Read<PlacementSpec>(r.SpecJson) ?? new PlacementSpec();
        var status = Read<PlacementStatus>(r.StatusJson) ?? new PlacementStatus();
        var ready = ConditionList.Find(status.Conditions, ConditionTypes.Ready);
        return new PlacementRow(r.Namespace, spec.Application, spec.Cluster, States.From(spec.Suspend, status.Conditions), status.LastAppliedRevision ?? spec.Revision,
            status.Health, States.Message(status.Conditions), status.LastAppliedTime, ready?.Status == ConditionStatus.True ? ready.LastTransitionTime : null,
            status.Inventory ?? [], status.Drift ?? []);
    }

    private static SourceRow ToSource(StoredResource r, IReadOnlyList<ApplicationRow> apps)
    {
        var spec = Read<GitRepositorySpec>(r.SpecJson) ?? new GitRepositorySpec();
        var status = Read<GitRepositoryStatus>(r.StatusJson) ?? new GitRepositoryStatus();
        var users = apps.Where(a => a.Namespace == r.Namespace && a.Spec.SourceRef.Kind == ResourceKinds.GitRepository.Kind && a.Spec.SourceRef.Name == r.Name).Select(a => a.Name).ToList();
        return new SourceRow(r.Namespace, r.Name, States.From(spec.Suspend, status.Conditions), spec.Url, status.Artifact?.Revision, status.LastFetchTime, States.Message(status.Conditions), users);
    }
}
