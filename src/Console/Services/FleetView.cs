using Fleet.Abstractions;
using Fleet.Abstractions.Resources;
using Fleet.Gateway.Services;
using Fleet.Store;

namespace Fleet.WebConsole.Services;

/// <summary>
/// What the console's pages read, for one signed-in tab: objects come through <see cref="ResourceService"/> with the
/// tab's <see cref="Caller"/>, and clusters and applications from the process's <see cref="FleetIndex"/> (kept from the
/// resource service's list and watch) narrowed to the namespaces the caller may see, so a caller sees exactly what the
/// API shows it. Events come from the event log filtered the same way (as the events API reads them). Paging,
/// searching and filtering 10,000 clusters works on the index's rows in memory.
/// </summary>
internal sealed class FleetView(ResourceService resources, IEventLog events, FleetChanges changes, FleetIndex index, ConsoleSession session)
{
    /// <summary>The last filtered cluster list of this tab: paging through it reads nothing again while the clusters stay the same.</summary>
    private (ClusterFilter Filter, long Version, Caller Caller, IReadOnlyList<ClusterRow> Rows)? _matched;

    private Caller Caller => session.Caller ?? throw new ApiException(ApiErrorKind.Unauthenticated, "sign in with an API token first");

    /// <summary>One page of the clusters the filter matches, from the shared index (a label selector as the store reads it).</summary>
    public async Task<Page<ClusterRow>> ClustersAsync(ClusterFilter filter, int pageIndex, int pageSize, CancellationToken ct)
    {
        var list = await MatchedClustersAsync(filter, ct);
        var pages = Math.Max(1, (list.Count + pageSize - 1) / pageSize);
        pageIndex = Math.Clamp(pageIndex, 0, pages - 1);
        var items = new ClusterRow[Math.Min(pageSize, list.Count - pageIndex * pageSize)];
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = list[pageIndex * pageSize + i];
        }
        return new Page<ClusterRow>(items, list.Count, pageIndex, pageSize);
    }

    private async Task<IReadOnlyList<ClusterRow>> MatchedClustersAsync(ClusterFilter filter, CancellationToken ct)
    {
        var caller = Caller;
        var (rows, version) = await index.Clusters.AllAsync(ct);
        if (_matched is { } hit && hit.Version == version && hit.Filter == filter && hit.Caller == caller)
        {
            return hit.Rows;
        }
        var selector = Selector(filter.Selector);
        var text = string.IsNullOrWhiteSpace(filter.Text) ? null : filter.Text.Trim();
        IReadOnlyList<ClusterRow> matched = rows;
        if (selector is not null || filter.State is not null || text is not null || caller.Namespaces is not null)
        {
            matched = rows.Where(r => caller.CanSee(r.Namespace)
                && (filter.State is not { } state || r.State == state)
                && (selector is null || selector.Matches(r.Labels))
                && (text is null || Mentions(r, text))).ToList();
        }
        _matched = (filter, version, caller, matched);
        return matched;
    }

    private static bool Mentions(ClusterRow r, string text) =>
        r.Name.Contains(text, StringComparison.OrdinalIgnoreCase)
        || r.Namespace.Contains(text, StringComparison.OrdinalIgnoreCase)
        || r.Message.Contains(text, StringComparison.OrdinalIgnoreCase)
        || r.Labels.Any(l => l.Value.Contains(text, StringComparison.OrdinalIgnoreCase));

    /// <summary>A label selector typed in a filter, or null for none; a bad one is refused with the API's wording.</summary>
    private static LabelSelector? Selector(string? text)
    {
        try
        {
            var selector = LabelSelector.Parse(text);
            return selector.IsEmpty ? null : selector;
        }
        catch (LabelSelectorException ex)
        {
            throw new ApiException(ApiErrorKind.BadRequest, $"labelSelector: {ex.Message}");
        }
    }

    public async Task<ClusterDetail> ClusterAsync(string ns, string name, CancellationToken ct)
    {
        var stored = await resources.GetAsync(Caller, ResourceKinds.Cluster, ns, name, ct);
        var placements = await resources.ListAsync(Caller, ResourceKinds.Placement, ns, $"{PlacementClusterLabel}={name}", ct);
        return new ClusterDetail(Rows.Cluster(stored), Rows.ClusterStatus(stored), placements.Select(Rows.Placement).OrderBy(p => p.Application, StringComparer.Ordinal).ToList());
    }

    /// <summary>The applications the caller may see, from the shared index.</summary>
    public async Task<IReadOnlyList<ApplicationRow>> ApplicationsAsync(CancellationToken ct)
    {
        var caller = Caller;
        var (rows, _) = await index.Applications.AllAsync(ct);
        return caller.Namespaces is null ? rows : rows.Where(a => caller.CanSee(a.Namespace)).ToList();
    }

    /// <summary>An application, its recent events (its own and its placements'), and how many clusters it is placed on.</summary>
    public async Task<ApplicationDetail> ApplicationAsync(string ns, string name, CancellationToken ct)
    {
        var stored = await resources.GetAsync(Caller, ResourceKinds.Application, ns, name, ct);
        var own = await EventsOfAsync(ns, ResourceKinds.Application.Kind, name, 30, ct);
        // Placement events (application~cluster) are among the newest events the feed keeps.
        var prefix = name + "~";
        var ofPlacements = changes.Recent().Where(e => e.Namespace == ns && e.InvolvedKind == ResourceKinds.Placement.Kind && e.InvolvedName.StartsWith(prefix, StringComparison.Ordinal));
        var merged = own.Concat(ofPlacements).DistinctBy(e => e.Sequence).OrderByDescending(e => e.Sequence).Take(30).ToList();
        return new ApplicationDetail(Rows.Application(stored), merged);
    }

    /// <summary>One page of an application's placements (by cluster name), read as one page from the store.</summary>
    public async Task<(IReadOnlyList<PlacementRow> Items, string? Next)> PlacementsPageAsync(string ns, string application, int pageSize, string? page, CancellationToken ct)
    {
        var list = await resources.ListPageAsync(Caller, ResourceKinds.Placement, ns, new ListOptions($"{PlacementApplicationLabel}={application}", Limit: pageSize, Continue: page), ct);
        return (list.Items.Select(Rows.Placement).ToList(), list.Continue);
    }

    /// <summary>The placement of an application on one cluster, or null.</summary>
    public async Task<PlacementRow?> PlacementAsync(string ns, string application, string cluster, CancellationToken ct) =>
        (await resources.ListAsync(Caller, ResourceKinds.Placement, ns, $"{PlacementApplicationLabel}={application},{PlacementClusterLabel}={cluster}", ct))
            .Select(Rows.Placement).FirstOrDefault();

    /// <summary>When each placement of an application became Ready on <paramref name="revision"/>, in order.</summary>
    public async Task<IReadOnlyList<DateTime>> ReadyTimesAsync(string ns, string application, string? revision, CancellationToken ct) =>
        (await resources.ListAsync(Caller, ResourceKinds.Placement, ns, $"{PlacementApplicationLabel}={application}", ct))
            .Select(Rows.Placement)
            .Where(p => p.ReadySince is not null && p.Revision == revision)
            .Select(p => p.ReadySince!.Value.UtcDateTime)
            .Order()
            .ToList();

    public async Task<IReadOnlyList<SourceRow>> SourcesAsync(CancellationToken ct)
    {
        var sources = await resources.ListAsync(Caller, ResourceKinds.GitRepository, null, null, ct);
        var apps = await ApplicationsAsync(ct);
        return sources.Select(s => Rows.Source(s, apps)).ToList();
    }

    public async Task<(SourceRow Source, IReadOnlyList<FleetEvent> Events)> SourceAsync(string ns, string name, CancellationToken ct)
    {
        var stored = await resources.GetAsync(Caller, ResourceKinds.GitRepository, ns, name, ct);
        return (Rows.Source(stored, await ApplicationsAsync(ct)), await EventsOfAsync(ns, ResourceKinds.GitRepository.Kind, name, 20, ct));
    }

    /// <summary>
    /// One page of applications × one page of the (filtered) clusters, each cell the placement of that application
    /// there: the work is the size of the page, however large the fleet.
    /// </summary>
    public async Task<HeatMap> HeatMapAsync(ClusterFilter filter, int pageIndex, int pageSize, int appPageIndex, int appPageSize, CancellationToken ct)
    {
        var clusters = await ClustersAsync(filter, pageIndex, pageSize, ct);
        var all = await ApplicationsAsync(ct);
        var appPages = Math.Max(1, (all.Count + appPageSize - 1) / appPageSize);
        appPageIndex = Math.Clamp(appPageIndex, 0, appPages - 1);
        var apps = new Page<ApplicationRow>(all.Skip(appPageIndex * appPageSize).Take(appPageSize).ToList(), all.Count, appPageIndex, appPageSize);
        var cells = new Dictionary<(string, string, string), PlacementRow>();
        if (clusters.Items.Count > 0 && apps.Items.Count > 0)
        {
            // One indexed query for the placements on the clusters of this page.
            var names = string.Join(",", clusters.Items.Select(c => c.Name).Distinct(StringComparer.Ordinal));
            foreach (var p in await resources.ListAsync(Caller, ResourceKinds.Placement, null, $"{PlacementClusterLabel} in ({names})", ct))
            {
                var row = Rows.Placement(p);
                cells[(row.Namespace, row.Application, row.Cluster)] = row;
            }
        }
        return new HeatMap(apps, clusters, cells);
    }

    public async Task<Overview> OverviewAsync(CancellationToken ct)
    {
        var caller = Caller;
        var (clusters, _) = await index.Clusters.AllAsync(ct);
        var apps = await ApplicationsAsync(ct);
        var visible = changes.Recent().Where(e => caller.CanSee(e.Namespace)).ToList();
        var byState = new Dictionary<State, int>();
        foreach (var c in clusters)
        {
            if (caller.CanSee(c.Namespace))
            {
                byState[c.State] = byState.GetValueOrDefault(c.State) + 1;
            }
        }
        return new Overview(
            byState,
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

    private const string PlacementClusterLabel = "fleet.dev/cluster";
    private const string PlacementApplicationLabel = "fleet.dev/application";
}
