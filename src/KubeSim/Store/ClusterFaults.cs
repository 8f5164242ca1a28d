namespace Fleet.KubeSim;

/// <summary>How a cluster that is "down" fails its requests.</summary>
public enum DownMode
{
    /// <summary>The cluster serves normally.</summary>
    None,

    /// <summary>The connection is dropped without an answer (a client sees a reset, as for a refused connection).</summary>
    Refuse,

    /// <summary>Every request gets <c>503 Service Unavailable</c> with a Status body.</summary>
    Unavailable,
}

/// <summary>Faults injected into one virtual cluster.</summary>
/// <param name="Down">Whether and how the cluster is unreachable.</param>
/// <param name="Latency">Added to every request before it is served.</param>
/// <param name="WriteFailureRate">Fraction (0..1) of writes that fail with <c>500 InternalError</c>.</param>
public sealed record ClusterFaults(DownMode Down = DownMode.None, TimeSpan Latency = default, double WriteFailureRate = 0)
{
    public static readonly ClusterFaults None = new();
}

/// <summary>Request counters of one virtual cluster, per Kubernetes verb (plus discovery).</summary>
public sealed record ClusterStats(string Cluster, IReadOnlyDictionary<string, long> Requests, long Total, int Objects, long ResourceVersion);
