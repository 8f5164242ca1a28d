using Fleet.Abstractions.Resources;
using Fleet.Store;

namespace Fleet.WebConsole.Services;

/// <summary>Stored objects as the rows the console shows: the state in one word, the fields a table needs.</summary>
internal static class Rows
{
    private static T? Read<T>(string? json) where T : class => json is null ? null : FleetJson.Deserialize<T>(json);

    public static ClusterRow Cluster(StoredResource r)
    {
        var spec = Read<ClusterSpec>(r.SpecJson) ?? new ClusterSpec();
        var status = Read<ClusterStatus>(r.StatusJson);
        return new ClusterRow(r.Namespace, r.Name, r.Labels, States.From(spec.Paused, status?.Conditions), status?.KubernetesVersion, status?.LastProbeTime,
            status?.LastError ?? States.Message(status?.Conditions), spec.Server);
    }

    public static ClusterStatus ClusterStatus(StoredResource r) => Read<ClusterStatus>(r.StatusJson) ?? new ClusterStatus();

    public static ApplicationRow Application(StoredResource r)
    {
        var spec = Read<ApplicationSpec>(r.SpecJson) ?? new ApplicationSpec();
        var status = Read<ApplicationStatus>(r.StatusJson) ?? new ApplicationStatus();
        return new ApplicationRow(r.Namespace, r.Name, States.From(spec.Suspend, status.Conditions), $"{spec.SourceRef.Kind}/{spec.SourceRef.Name}",
            status.LastAppliedRevision ?? status.LastAttemptedRevision, status.Placements?.Ready ?? 0, status.Placements?.Selected ?? 0, status.Rollout,
            States.Message(status.Conditions), spec, status);
    }

    public static PlacementRow Placement(StoredResource r)
    {
        var spec = Read<PlacementSpec>(r.SpecJson) ?? new PlacementSpec();
        var status = Read<PlacementStatus>(r.StatusJson) ?? new PlacementStatus();
        var ready = ConditionList.Find(status.Conditions, ConditionTypes.Ready);
        return new PlacementRow(r.Namespace, r.Name, spec.Application, spec.Cluster, States.From(spec.Suspend, status.Conditions), status.LastAppliedRevision ?? spec.Revision,
            status.Health, States.Message(status.Conditions), status.LastAppliedTime, ready?.Status == ConditionStatus.True ? ready.LastTransitionTime : null,
            status.Inventory ?? [], status.Drift ?? []);
    }

    public static SourceRow Source(StoredResource r, IReadOnlyList<ApplicationRow> apps)
    {
        var spec = Read<GitRepositorySpec>(r.SpecJson) ?? new GitRepositorySpec();
        var status = Read<GitRepositoryStatus>(r.StatusJson) ?? new GitRepositoryStatus();
        var users = apps.Where(a => a.Namespace == r.Namespace && a.Spec.SourceRef.Kind == ResourceKinds.GitRepository.Kind && a.Spec.SourceRef.Name == r.Name).Select(a => a.Name).ToList();
        return new SourceRow(r.Namespace, r.Name, States.From(spec.Suspend, status.Conditions), spec.Url, status.Artifact?.Revision, status.LastFetchTime, States.Message(status.Conditions), users);
    }
}
