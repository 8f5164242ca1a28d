using System.Text.Json;
using Fleet.Abstractions;
using Fleet.Abstractions.Resources;

namespace Fleet.Grains.Dispatch;

/// <summary>A grain to hint: its kind (the grain interface it is reached through) and key.</summary>
internal readonly record struct HintTarget(string Kind, string Key);

/// <summary>
/// Who depends on what, declared once (as Flux's managers declare their field indexes and watches): the source of an
/// application, the Secrets of a cluster, a source, a receiver or an application's <c>substituteFrom</c>, the
/// applications an application depends on, and the label selector that says which clusters an application selects.
/// Kept in memory by the change dispatcher, updated from the change feed, so a change finds its dependents by lookup,
/// never by scanning the objects of a kind.
/// </summary>
internal sealed class DependencyIndex
{
    private readonly Dictionary<(string Kind, string Ns, string Name), List<(string Kind, string Name)>> _refsOf = [];
    private readonly Dictionary<(string Kind, string Ns, string Name), HashSet<(string Kind, string Name)>> _dependents = [];
    private readonly Dictionary<string, Dictionary<string, LabelSelector?>> _selectors = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Ns, string Name), IReadOnlyDictionary<string, string>> _clusterLabels = [];

    /// <summary>Records (or replaces) the references of one object; <paramref name="specJson"/> null removes it.</summary>
    public void Update(string kind, string ns, string name, string? specJson, IReadOnlyDictionary<string, string>? labels)
    {
        var key = (kind, ns, name);
        if (_refsOf.Remove(key, out var old))
        {
            foreach (var r in old)
            {
                if (_dependents.TryGetValue((r.Kind, ns, r.Name), out var set))
                {
                    set.Remove((kind, name));
                }
            }
        }

        if (kind == ResourceKinds.Application.Kind && _selectors.TryGetValue(ns, out var apps))
        {
            apps.Remove(name);
        }

        if (kind == ResourceKinds.Cluster.Kind)
        {
            _clusterLabels.Remove((ns, name));
        }

        if (specJson is null)
        {
            return;
        }

        var refs = References(kind, specJson, out var selector).ToList();
        _refsOf[key] = refs;
        foreach (var r in refs)
        {
            if (!_dependents.TryGetValue((r.Kind, ns, r.Name), out var set))
            {
                _dependents[(r.Kind, ns, r.Name)] = set = [];
            }

            set.Add((kind, name));
        }

        if (kind == ResourceKinds.Application.Kind)
        {
            if (!_selectors.TryGetValue(ns, out apps))
            {
                _selectors[ns] = apps = new Dictionary<string, LabelSelector?>(StringComparer.Ordinal);
            }

            apps[name] = selector;
        }

        if (kind == ResourceKinds.Cluster.Kind)
        {
            _clusterLabels[(ns, name)] = labels ?? new Dictionary<string, string>();
        }
    }

    /// <summary>The objects (kind, name) of namespace <paramref name="ns"/> that reference the given object.</summary>
    public IEnumerable<(string Kind, string Name)> DependentsOf(string kind, string ns, string name) =>
        _dependents.TryGetValue((kind, ns, name), out var set) ? set.ToList() : [];

    /// <summary>The applications whose selector matches a cluster's labels before or after a change (both: it may have left or joined).</summary>
    public IEnumerable<string> ApplicationsSelecting(string ns, string cluster, IReadOnlyDictionary<string, string>? newLabels)
    {
        _clusterLabels.TryGetValue((ns, cluster), out var oldLabels);
        if (!_selectors.TryGetValue(ns, out var apps))
        {
            return [];
        }

        return apps.Where(a => a.Value is { } s && ((oldLabels is not null && s.Matches(oldLabels)) || (newLabels is not null && s.Matches(newLabels))))
            .Select(a => a.Key)
            .ToList();
    }

    private static IEnumerable<(string Kind, string Name)> References(string kind, string specJson, out LabelSelector? selector)
    {
        selector = null;
        var refs = new List<(string Kind, string Name)>();
        if (kind == ResourceKinds.Application.Kind)
        {
            var spec = JsonSerializer.Deserialize<ApplicationSpec>(specJson, FleetJson.Options);
            if (spec is null)
            {
                return refs;
            }

            refs.Add((spec.SourceRef.Kind == ResourceKinds.HelmRepository.Kind ? ResourceKinds.HelmRepository.Kind : ResourceKinds.GitRepository.Kind, spec.SourceRef.Name));
            refs.AddRange((spec.Helm?.ValuesFrom ?? []).Concat((spec.TargetCustomizations ?? []).SelectMany(t => t.Helm?.ValuesFrom ?? []))
                .Where(v => v.Kind == ResourceKinds.Secret.Kind)
                .Select(v => (ResourceKinds.Secret.Kind, v.Name)));
            refs.AddRange((spec.DependsOn ?? []).Select(d => (ResourceKinds.Application.Kind, d.Name)));
            refs.AddRange((spec.PostBuild?.SubstituteFrom ?? []).Concat((spec.TargetCustomizations ?? []).SelectMany(t => t.PostBuild?.SubstituteFrom ?? []))
                .Where(s => s.Kind == ResourceKinds.Secret.Kind)
                .Select(s => (ResourceKinds.Secret.Kind, s.Name)));
            selector = spec.ClusterSelector?.ToSelector();
        }
        else if (kind == ResourceKinds.Cluster.Kind)
        {
            var spec = JsonSerializer.Deserialize<ClusterSpec>(specJson, FleetJson.Options);
            if (spec?.CredentialsRef is { Name.Length: > 0 } c)
            {
                refs.Add((ResourceKinds.Secret.Kind, c.Name));
            }
        }
        else if (kind == ResourceKinds.GitRepository.Kind)
        {
            var spec = JsonSerializer.Deserialize<GitRepositorySpec>(specJson, FleetJson.Options);
            if (spec?.SecretRef is { Name.Length: > 0 } s)
            {
                refs.Add((ResourceKinds.Secret.Kind, s.Name));
            }
        }
        else if (kind == ResourceKinds.HelmRepository.Kind)
        {
            var spec = JsonSerializer.Deserialize<HelmRepositorySpec>(specJson, FleetJson.Options);
            if (spec?.SecretRef is { Name.Length: > 0 } s)
            {
                refs.Add((ResourceKinds.Secret.Kind, s.Name));
            }
        }
        else if (kind == ResourceKinds.Receiver.Kind)
        {
            var spec = JsonSerializer.Deserialize<ReceiverSpec>(specJson, FleetJson.Options);
            if (spec?.SecretRef is { Name.Length: > 0 } s)
            {
                refs.Add((ResourceKinds.Secret.Kind, s.Name));
            }
        }

        return refs.Distinct();
    }
}
