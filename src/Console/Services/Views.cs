using Fleet.Abstractions.Resources;
using Fleet.Store;

namespace Fleet.WebConsole.Services;

// The read models are public only because Razor components (always public) take them as parameters.

public sealed record ClusterRow(
    string Namespace,
    string Name,
    IReadOnlyDictionary<string, string> Labels,
    State State,
    string? KubernetesVersion,
    DateTimeOffset? LastProbe,
    string Message,
    string? Server);

/// <summary>What the clusters table shows: a label selector, a state and a text search, answered on the server.</summary>
public sealed record ClusterFilter(string? Selector = null, State? State = null, string? Text = null);

public sealed record Page<T>(IReadOnlyList<T> Items, int Total, int PageIndex, int PageSize)
{
    public int Pages => Math.Max(1, (Total + PageSize - 1) / PageSize);
}

public sealed record ApplicationRow(
    string Namespace,
    string Name,
    State State,
    string Source,
    string? Revision,
    int Ready,
    int Selected,
    RolloutStatus? Rollout,
    string Message,
    ApplicationSpec Spec,
    ApplicationStatus Status);

public sealed record PlacementRow(
    string Namespace,
    string Name,
    string Application,
    string Cluster,
    State State,
    string? Revision,
    string? Health,
    string Message,
    DateTimeOffset? LastApplied,
    DateTimeOffset? ReadySince,
    IReadOnlyList<InventoryEntry> Inventory,
    IReadOnlyList<DriftEntry> Drift);

public sealed record SourceRow(
    string Namespace,
    string Name,
    State State,
    string Url,
    string? Revision,
    DateTimeOffset? LastFetch,
    string Message,
    IReadOnlyList<string> Applications);

public sealed record ClusterDetail(ClusterRow Cluster, ClusterStatus Status, IReadOnlyList<PlacementRow> Placements);

public sealed record ApplicationDetail(ApplicationRow Application, IReadOnlyList<FleetEvent> Events);

public sealed record HeatMap(Page<ApplicationRow> Applications, Page<ClusterRow> Clusters, IReadOnlyDictionary<(string Namespace, string Application, string Cluster), PlacementRow> Cells);

public sealed record Overview(
    IReadOnlyDictionary<State, int> Clusters,
    IReadOnlyDictionary<State, int> Applications,
    IReadOnlyList<ApplicationRow> Rollouts,
    IReadOnlyList<FleetEvent> Failures,
    IReadOnlyList<FleetEvent> Feed);
