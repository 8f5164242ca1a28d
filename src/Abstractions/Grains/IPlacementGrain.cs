using Orleans.Concurrency;

namespace Fleet.Abstractions.Grains;

/// <summary>One application on one cluster (<c>{namespace}/{application}/{cluster}</c>): applies, prunes, checks health and drift.</summary>
[Alias("fleet.IPlacementGrain")]
public interface IPlacementGrain : IGrainWithStringKey
{
    /// <summary>Hint: its application changed what this cluster should run, or a dependency became ready; re-read the desired state.</summary>
    [OneWay, AlwaysInterleave, Alias("HintDesiredChanged")]
    Task HintDesiredChanged();

    /// <summary>
    /// Hint: only the revision of its desired state changed, not the manifests (a commit elsewhere in the source):
    /// re-read it, behind placements with real changes to make.
    /// </summary>
    [OneWay, AlwaysInterleave, Alias("HintRevisionChanged")]
    Task HintRevisionChanged();

    /// <summary>Hint: its cluster changed (reachable again, paused or resumed); retry now.</summary>
    [OneWay, AlwaysInterleave, Alias("HintClusterChanged")]
    Task HintClusterChanged();
}
