using Orleans.Concurrency;

namespace Fleet.Abstractions.Grains;

/// <summary>An application (<c>{namespace}/{name}</c>): renders, selects clusters, plans the rollout, tells placements.</summary>
[Alias("fleet.IApplicationGrain")]
public interface IApplicationGrain : IGrainWithStringKey
{
    /// <summary>
    /// Hint: something it depends on changed (its spec, its source's artifact, the clusters it selects, an application
    /// it depends on); recompute everything. Hints arriving while a reconcile runs are merged into one follow-up.
    /// </summary>
    [OneWay, AlwaysInterleave, Alias("HintChanged")]
    Task HintChanged();

    /// <summary>
    /// Hint: the placement on <paramref name="cluster"/> changed state (applied, healthy, failed). Cheaper than
    /// <see cref="HintChanged"/>: only that cluster's phase is re-read and the rollout moves on.
    /// </summary>
    [OneWay, AlwaysInterleave, Alias("HintPlacementChanged")]
    Task HintPlacementChanged(string cluster);
}
