namespace Fleet.Abstractions.Grains;

/// <summary>A registered cluster (<c>{namespace}/{name}</c>): probes it and tells its placements when it recovers.</summary>
public interface IClusterGrain : IGrainWithStringKey
{
    /// <summary>The Cluster object (or its credentials Secret) changed or was deleted: re-read it.</summary>
    Task SpecChanged();

    /// <summary>Probe now rather than at the next interval.</summary>
    Task ProbeNow();
}
