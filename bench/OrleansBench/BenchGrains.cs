using Fleet.Store;
using Orleans.Concurrency;

namespace Fleet.Bench.Orleans;

[Alias("fleet.bench.IHintGrain")]
public interface IHintGrain : IGrainWithStringKey
{
    [OneWay, Alias("Hint")]
    Task Hint();

    [Alias("Count")]
    Task<int> Count();

    [Alias("Write")]
    Task Write(int value);
}

[GenerateSerializer, Alias("fleet.bench.HintState")]
public sealed record HintState
{
    [Id(0)]
    public int Value { get; init; }

    [Id(1)]
    public string Payload { get; init; } = "";
}

/// <summary>A grain shaped like Fleet's: counts hints, persists a small state through Fleet's grain storage.</summary>
internal sealed class HintGrain([PersistentState("state", StoreServiceCollectionExtensions.GrainStorageName)] IPersistentState<HintState> state) : Grain, IHintGrain
{
    private int _hints;

    public static int TotalHints;

    public Task Hint()
    {
        _hints++;
        Interlocked.Increment(ref TotalHints);
        return Task.CompletedTask;
    }

    public Task<int> Count() => Task.FromResult(_hints);

    public Task Write(int value)
    {
        state.State = new HintState { Value = value, Payload = new string('x', 200) };
        return state.WriteStateAsync();
    }
}
