using Orleans.Concurrency;

namespace Fleet.Abstractions.Grains;

/// <summary>A Helm chart repository (<c>{namespace}/{name}</c>): fetches its index; the change dispatcher tells the applications that use it.</summary>
[Alias("fleet.IHelmRepositoryGrain")]
public interface IHelmRepositoryGrain : IGrainWithStringKey
{
    /// <summary>Hint: the HelmRepository object (or its Secret) changed or was deleted; re-read it.</summary>
    [OneWay, AlwaysInterleave, Alias("HintSpecChanged")]
    Task HintSpecChanged();

    /// <summary>Hint: fetch the index now.</summary>
    [OneWay, AlwaysInterleave, Alias("HintFetchNow")]
    Task HintFetchNow();
}
