using Fleet.Abstractions;
using Fleet.Runtime;

namespace Fleet.Bench.Runtime;

public interface IPingGrain : IGrainWithStringKey
{
    Task Ping();
}

/// <summary>A stateless grain that counts the tells it received.</summary>
public sealed class PingGrain : Grain, IPingGrain
{
    public static long Received;

    public Task Ping()
    {
        Interlocked.Increment(ref Received);
        return Task.CompletedTask;
    }
}

public interface IWriterGrain : IGrainWithStringKey
{
    Task Write(int value);
}

public sealed class WriterState
{
    public int Value { get; set; }

    public string Note { get; set; } = "";
}

/// <summary>A grain that persists its state on every tell.</summary>
public sealed class WriterGrain : Grain<WriterState>, IWriterGrain
{
    public static long Written;

    public async Task Write(int value)
    {
        State.Value = value;
        State.Note = "revision main@sha1:0123456789abcdef0123456789abcdef01234567";
        await WriteStateAsync();
        Interlocked.Increment(ref Written);
    }
}
