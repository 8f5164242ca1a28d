using Orleans.Concurrency;

namespace Fleet.Abstractions.Grains;

/// <summary>A webhook Receiver (<c>{namespace}/{name}</c>): keeps its webhook path (derived from its token) in its status.</summary>
[Alias("fleet.IReceiverGrain")]
public interface IReceiverGrain : IGrainWithStringKey
{
    /// <summary>Hint: the Receiver or its Secret changed; compute the webhook path again.</summary>
    [OneWay, Alias("HintSpecChanged")]
    Task HintSpecChanged();
}
