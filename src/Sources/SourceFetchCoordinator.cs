using System.Collections.Concurrent;

namespace Fleet.Sources;

/// <summary>
/// Fetch once per source per interval, however many callers ask: concurrent requests for one source join
/// the fetch in flight, and requests within <c>interval</c> of the last completed fetch get its outcome
/// (a failure too, so that many consumers do not hammer a broken remote). <see cref="Invalidate"/> makes
/// the next request fetch at once (a webhook's "fetch now").
/// </summary>
public sealed class SourceFetchCoordinator<T>
{
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, Slot> _slots = new(StringComparer.Ordinal);
    private long _fetches;

    public SourceFetchCoordinator(TimeProvider? timeProvider = null)
    {
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>How many fetches have actually run.</summary>
    public long FetchCount => Interlocked.Read(ref _fetches);

    public Task<T> GetAsync(string sourceKey, TimeSpan interval, Func<CancellationToken, Task<T>> fetch, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sourceKey);
        ArgumentNullException.ThrowIfNull(fetch);
        var slot = _slots.GetOrAdd(sourceKey, _ => new Slot());
        Task<T> task;
        lock (slot)
        {
            var now = _time.GetUtcNow();
            var stale = slot.Current is null
                || (slot.Current.IsCompleted && (slot.Invalidated || now - slot.CompletedAt >= interval));
            if (stale)
            {
                slot.Invalidated = false;
                Interlocked.Increment(ref _fetches);
                slot.Current = RunAsync(slot, fetch);
            }

            task = slot.Current!;
        }

        // One caller giving up must not cancel the fetch the others are waiting for.
        return task.WaitAsync(ct);
    }

    /// <summary>Makes the next request for <paramref name="sourceKey"/> fetch, even within the interval.</summary>
    public void Invalidate(string sourceKey)
    {
        if (_slots.TryGetValue(sourceKey, out var slot))
        {
            lock (slot)
            {
                slot.Invalidated = true;
            }
        }
    }

    /// <summary>Forgets a source (when it is deleted).</summary>
    public void Remove(string sourceKey) => _slots.TryRemove(sourceKey, out _);

    private async Task<T> RunAsync(Slot slot, Func<CancellationToken, Task<T>> fetch)
    {
        await Task.Yield();
        try
        {
            return await fetch(CancellationToken.None);
        }
        finally
        {
            lock (slot)
            {
                slot.CompletedAt = _time.GetUtcNow();
            }
        }
    }

    private sealed class Slot
    {
        public Task<T>? Current { get; set; }

        public DateTimeOffset CompletedAt { get; set; }

        public bool Invalidated { get; set; }
    }
}
