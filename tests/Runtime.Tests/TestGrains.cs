using Fleet.Abstractions;
using Fleet.Runtime;

namespace Fleet.Runtime.Tests;

public interface ICounterGrain : IGrainWithStringKey
{
    Task Add(int amount);

    Task<int> Get();

    Task<int> Overlaps();

    /// <summary>An ask, so that the caller knows the state is stored when it returns.</summary>
    Task<int> Save();

    Task<string> Fail(string message);

    Task<string> WhoAmI();
}

public sealed class CounterState
{
    public int Count { get; set; }
}

/// <summary>Counts, detects overlapping turns, persists on request.</summary>
public sealed class CounterGrain(ActivationLog log) : Grain<CounterState>, ICounterGrain
{
    private int _inTurn;
    private int _overlaps;

    public async Task Add(int amount)
    {
        if (Interlocked.Exchange(ref _inTurn, 1) == 1)
        {
            Interlocked.Increment(ref _overlaps);
        }

        var before = State.Count;
        await Task.Yield();
        State.Count = before + amount;
        Volatile.Write(ref _inTurn, 0);
    }

    public Task<int> Get() => Task.FromResult(State.Count);

    public Task<int> Overlaps() => Task.FromResult(_overlaps);

    public async Task<int> Save()
    {
        await WriteStateAsync();
        return State.Count;
    }

    public Task<string> Fail(string message) => throw new InvalidOperationException(message);

    public Task<string> WhoAmI() => Task.FromResult(Key);

    protected override Task OnActivateAsync(CancellationToken ct)
    {
        log.Record($"activate {Key} count={State.Count}");
        return Task.CompletedTask;
    }

    protected override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken ct)
    {
        log.Record($"deactivate {Key} {reason}");
        return Task.CompletedTask;
    }
}

/// <summary>A thread-safe record of lifecycle events, injected into grains through DI.</summary>
public sealed class ActivationLog
{
    private readonly List<string> _entries = [];

    public void Record(string entry)
    {
        lock (_entries)
        {
            _entries.Add(entry);
        }
    }

    public IReadOnlyList<string> Entries
    {
        get
        {
            lock (_entries)
            {
                return _entries.ToArray();
            }
        }
    }

    public int Count(string prefix) => Entries.Count(e => e.StartsWith(prefix, StringComparison.Ordinal));
}

public interface ITimerGrain : IGrainWithStringKey
{
    Task<bool> Start(int periodSeconds);

    Task<int> Ticks();

    Task<int> Overlaps();

    Task Ping();
}

public sealed class TimerGrain : Grain, ITimerGrain
{
    private int _ticks;
    private int _inTurn;
    private int _overlaps;

    public Task<bool> Start(int periodSeconds)
    {
        RegisterTimer(TickAsync, TimeSpan.FromSeconds(periodSeconds), TimeSpan.FromSeconds(periodSeconds), jitter: 0, keepAlive: true);
        return Task.FromResult(true);
    }

    public Task<int> Ticks() => Task.FromResult(Volatile.Read(ref _ticks));

    public Task<int> Overlaps() => Task.FromResult(_overlaps);

    public async Task Ping()
    {
        Enter();
        await Task.Yield();
        Exit();
    }

    private async Task TickAsync(CancellationToken ct)
    {
        Enter();
        await Task.Yield();
        Interlocked.Increment(ref _ticks);
        Exit();
    }

    private void Enter()
    {
        if (Interlocked.Exchange(ref _inTurn, 1) == 1)
        {
            Interlocked.Increment(ref _overlaps);
        }
    }

    private void Exit() => Volatile.Write(ref _inTurn, 0);
}

public interface IReminderGrain : IGrainWithStringKey
{
    Task RemindAt(DateTimeOffset due);

    Task<DateTimeOffset?> Reminder();
}

public sealed class ReminderGrain(ActivationLog log) : Grain, IReminderGrain
{
    public Task RemindAt(DateTimeOffset due) => SetReminderAsync(due);

    public Task<DateTimeOffset?> Reminder() => GetReminderAsync();

    protected override Task OnReminderAsync(CancellationToken ct)
    {
        log.Record($"reminder {Key}");
        return Task.CompletedTask;
    }
}

public interface IVersionedGrain : IGrainWithStringKey
{
    Task<int> Get();
}

/// <summary>A grain whose code understands state version 1 only.</summary>
public sealed class VersionedGrain : Grain<CounterState>, IVersionedGrain
{
    public Task<int> Get() => Task.FromResult(State.Count);
}
