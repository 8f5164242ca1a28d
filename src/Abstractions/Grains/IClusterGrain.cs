using Orleans.Concurrency;

namespace Fleet.Abstractions.Grains;

/// <summary>A registered cluster (<c>{namespace}/{name}</c>): probes it and tells its placements when it recovers.</summary>
[Alias("fleet.IClusterGrain")]
public interface IClusterGrain : IGrainWithStringKey
{
    /// <summary>Hint: the Cluster object (or its credentials Secret) changed or was deleted; re-read it.</summary>
    [OneWay, AlwaysInterleave, Alias("HintSpecChanged")]
    Task HintSpecChanged();

    /// <summary>Hint: probe now rather than at the next interval.</summary>
    [OneWay, AlwaysInterleave, Alias("HintProbeNow")]
    Task HintProbeNow();
}
