using Orleans.Concurrency;

namespace Fleet.Abstractions.Grains;

/// <summary>A Git source (<c>{namespace}/{name}</c>): fetches and packs artifacts; the change dispatcher tells the applications that use it.</summary>
[Alias("fleet.IGitRepositoryGrain")]
public interface IGitRepositoryGrain : IGrainWithStringKey
{
    /// <summary>Hint: the GitRepository object (or its Secret) changed or was deleted; re-read it.</summary>
    [OneWay, AlwaysInterleave, Alias("HintSpecChanged")]
    Task HintSpecChanged();

    /// <summary>Hint: fetch now (a webhook arrived, or a user asked).</summary>
    [OneWay, AlwaysInterleave, Alias("HintFetchNow")]
    Task HintFetchNow();
}
