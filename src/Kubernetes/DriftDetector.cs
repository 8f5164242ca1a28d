using System.Text.Json.Nodes;

namespace Fleet.Kubernetes;

public enum DriftState
{
    InSync,
    Drifted,
    Missing,
}

/// <summary>A field Fleet applied that another manager now owns (<see cref="Manager"/>), or that was removed (null).</summary>
public sealed record DriftedField(string Path, string? Manager)
{
    public bool Removed => Manager is null;

    public override string ToString() => Removed ? $"{Path} removed" : $"{Path} changed by {Manager}";
}

/// <summary>Drift of one inventory object; <see cref="LiveResourceVersion"/> is what the LIST showed.</summary>
public sealed record ObjectDrift(ObjectRef Object, DriftState State, IReadOnlyList<DriftedField> Fields, string? LiveResourceVersion)
{
    public string Describe() => State switch
    {
        DriftState.Missing => $"{Object}: deleted from the cluster",
        DriftState.Drifted => $"{Object}: {string.Join(", ", Fields)}",
        _ => $"{Object}: in sync",
    };
}

/// <summary>Drift of a whole inventory and the requests the check cost.</summary>
public sealed record DriftReport(IReadOnlyList<ObjectDrift> Objects, int Requests)
{
    public bool HasDrift => Objects.Any(o => o.State != DriftState.InSync);

    public IEnumerable<ObjectDrift> Drifted => Objects.Where(o => o.State != DriftState.InSync);

    /// <summary>The inventory with drifted and missing objects' digests cleared, so that the next apply corrects them.</summary>
    public Inventory MarkForReapply(Inventory inventory)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        return inventory.ForgetDigests(Drifted.Select(d => d.Object));
    }
}

/// <summary>
/// Detects live changes to what Fleet applied with one LIST per kind per namespace (label selector on Fleet's
/// labels). An object whose resourceVersion is the one recorded after the apply is in sync without further work;
/// otherwise the fields Fleet owned right after the apply are compared with what it owns now: server-side apply
/// moves a field to whichever manager last changed it, so a field Fleet lost names the manager that took it.
/// </summary>
public static class DriftDetector
{
    public static async Task<DriftReport> DetectAsync(KubeClient client, Inventory inventory, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(inventory);
        var before = client.RequestCount;
        var selector = FleetLabels.Selector(inventory.Application, inventory.ApplicationNamespace);
        var groups = inventory.Entries.GroupBy(e => (ApiVersion: e.Ref.ApiVersion, e.Kind, e.Namespace));
        var lists = await Task.WhenAll(groups.Select(async g =>
        {
            KubeList list;
            try
            {
                list = await client.ListAsync(g.Key.ApiVersion, g.Key.Kind, g.Key.Namespace, new ListOptions(selector), ct).ConfigureAwait(false);
            }
            catch (KubeApiException ex) when (ex.Code == 404)
            {
                list = new KubeList([], null); // the kind is no longer served: every object of it is gone
            }
            var byName = list.Items.GroupBy(i => i.Str("metadata", "name") ?? "").ToDictionary(x => x.Key, x => x.First());
            return g.Select(e => Compare(e, byName.GetValueOrDefault(e.Name))).ToList();
        })).ConfigureAwait(false);
        var byRef = lists.SelectMany(l => l).ToDictionary(d => d.Object.Identity);
        return new DriftReport([.. inventory.Entries.Select(e => byRef[e.Ref.Identity])], (int)(client.RequestCount - before));
    }

    /// <summary>Compares one inventory entry with its live object (null when it is not there).</summary>
    internal static ObjectDrift Compare(InventoryEntry entry, JsonObject? live, string fieldManager = FleetLabels.FieldManager)
    {
        if (live is null)
        {
            return new ObjectDrift(entry.Ref, DriftState.Missing, [], null);
        }
        var rv = live.Str("metadata", "resourceVersion");
        if (rv is not null && rv == entry.ResourceVersion)
        {
            return new ObjectDrift(entry.Ref, DriftState.InSync, [], rv);
        }
        var applied = ManagedFields.Leaves(entry.ManagedFields);
        var now = ManagedFields.Leaves(ManagedFields.FieldsOf(live, fieldManager));
        applied.ExceptWith(now);
        if (applied.Count == 0)
        {
            // Changed, but only in fields Fleet does not manage (status, a controller's defaults, another owner's labels).
            return new ObjectDrift(entry.Ref, DriftState.InSync, [], rv);
        }
        var others = ManagedFields.Others(live, fieldManager).ToList();
        var fields = applied.Order(StringComparer.Ordinal)
            .Select(path => new DriftedField(path, others.FirstOrDefault(o => o.Paths.Contains(path)).Manager))
            .ToList();
        return new ObjectDrift(entry.Ref, DriftState.Drifted, fields, rv);
    }
}
