using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace Fleet.KubeSim.Store;

/// <summary>The virtual clusters of one server, by name.</summary>
internal sealed partial class ClusterRegistry
{
    private readonly ConcurrentDictionary<string, SimCluster> _clusters = new(StringComparer.Ordinal);
    private readonly int _historyCapacity;
    private readonly TimeProvider _time;

    public ClusterRegistry(int historyCapacity, TimeProvider time)
    {
        _historyCapacity = historyCapacity;
        _time = time;
    }

    public int Count => _clusters.Count;

    public IEnumerable<SimCluster> All => _clusters.Values.OrderBy(c => c.Name, StringComparer.Ordinal);

    public SimCluster? Find(string name) => _clusters.TryGetValue(name, out var c) ? c : null;

    public static string? ValidateName(string name) =>
        name.Length is > 0 and <= 63 && NameRegex().IsMatch(name)
            ? null
            : $"invalid cluster name \"{name}\": must be a lowercase RFC 1123 label (a-z, 0-9, '-', at most 63 characters)";

    public SimCluster? Create(string name, IReadOnlyDictionary<string, string>? labels)
    {
        var cluster = new SimCluster(name, labels ?? new Dictionary<string, string>(), _historyCapacity, _time.GetUtcNow());
        return _clusters.TryAdd(name, cluster) ? cluster : null;
    }

    public bool Remove(string name)
    {
        if (!_clusters.TryRemove(name, out var cluster))
        {
            return false;
        }

        lock (cluster.Gate)
        {
            cluster.MarkRemoved();
        }

        return true;
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex NameRegex();
}
