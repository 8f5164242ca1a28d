using Orleans.Concurrency;

namespace Fleet.Abstractions.Grains;

/// <summary>
/// The one place that turns committed store changes into hints for the grains that declared interest (one activation
/// per cluster of silos, key <see cref="Key"/>). Writers never notify grains themselves: they write, and the dispatcher
/// reads the store's change feed.
/// </summary>
[Alias("fleet.IChangeDispatcherGrain")]
public interface IChangeDispatcherGrain : IGrainWithStringKey
{
    /// <summary>The key of the single dispatcher.</summary>
    const string Key = "dispatcher";

    /// <summary>Hint: the store committed something; read the feed now rather than at the next poll.</summary>
    [OneWay, AlwaysInterleave, Alias("HintCommitted")]
    Task HintCommitted();

    /// <summary>Reads and dispatches everything committed so far; returns the feed position reached (tests, start-up).</summary>
    [Alias("CatchUp")]
    Task<long> CatchUp();
}
