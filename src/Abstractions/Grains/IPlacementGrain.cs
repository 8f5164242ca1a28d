namespace Fleet.Abstractions.Grains;

/// <summary>One application on one cluster (<c>{namespace}/{application}/{cluster}</c>): applies, prunes, checks health and drift.</summary>
public interface IPlacementGrain : IGrainWithStringKey
{
    /// <summary>Its application changed what this cluster should run: re-read the desired state.</summary>
    Task DesiredChanged();

    /// <summary>Its cluster became reachable again: retry now.</summary>
    Task ClusterRecovered();
}
