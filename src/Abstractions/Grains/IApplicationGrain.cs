namespace Fleet.Abstractions.Grains;

/// <summary>An application (<c>{namespace}/{name}</c>): renders, selects clusters, plans the rollout, tells placements.</summary>
public interface IApplicationGrain : IGrainWithStringKey
{
    /// <summary>The Application object changed or was deleted: re-read it.</summary>
    Task SpecChanged();

    /// <summary>Its source has a new artifact.</summary>
    Task SourceChanged();

    /// <summary>Clusters came, went or were relabelled: select again.</summary>
    Task ClustersChanged();

    /// <summary>One of its placements changed state (applied, healthy, failed).</summary>
    Task PlacementChanged();
}
