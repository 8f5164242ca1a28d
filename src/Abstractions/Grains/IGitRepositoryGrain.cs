namespace Fleet.Abstractions.Grains;

/// <summary>A Git source (<c>{namespace}/{name}</c>): fetches, packs artifacts, tells the applications that use it.</summary>
public interface IGitRepositoryGrain : IGrainWithStringKey
{
    /// <summary>The GitRepository object (or its Secret) changed or was deleted: re-read it.</summary>
    Task SpecChanged();

    /// <summary>Fetch now (a webhook arrived, or a user asked).</summary>
    Task FetchNow();
}
