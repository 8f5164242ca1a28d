using System.Diagnostics.Metrics;
using Fleet.Store;
using Microsoft.Extensions.Logging;

namespace Fleet.Gateway.Watch;

/// <summary>
/// The one reader of the store's change feed in a gateway process, shared by every watch (REST <c>watch=true</c>,
/// gRPC <c>Watch</c>, the console): it reads each batch of changes once, each change carrying its object as that
/// change left it (<see cref="IResourceStore.ChangesWithObjectsAsync"/>), and offers it to every subscribed watch
/// through a bounded channel of its own. A watch's filter (kind, namespaces, fields, the caller's tenant rules) runs
/// here, so a channel holds only what its watch may show; the watch itself applies the label selector, which needs
/// what it has shown. A watch whose channel is full is dropped at once (<see cref="WatchSubscription.Overflowed"/>)
/// and counted, so one slow client never holds up the others or the reader. The reader starts with the first
/// subscription, stops when the last one leaves, and stops with the host.
/// </summary>
internal sealed partial class WatchFeed : IDisposable
{
    /// <summary>Changes read from the feed at a time.</summary>
    public const int Batch = 500;

    /// <summary>How often the reader polls the feed when this process signals nothing (writes of other processes).</summary>
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long the store keeps the changes' objects after the last watch ended (SQLite copies them only while asked,
    /// <see cref="StoreChangeSignal.KeepObjects"/>), so that a client reconnecting from its last version still gets
    /// every version since it left.
    /// </summary>
    public static readonly TimeSpan KeepObjectsAfterLastWatch = TimeSpan.FromMinutes(10);

    private readonly IResourceStore _store;
    private readonly StoreChangeSignal _signal;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly Meter _meter = new("Fleet.Gateway.Watch");
    private readonly Counter<long> _overflowCounter;
    private readonly Lock _gate = new();
    private readonly HashSet<WatchSubscription> _subscriptions = [];
    private readonly CancellationTokenRegistration _onStopping;
    private Run? _run;
    private IDisposable? _keepObjects;
    private ITimer? _releaseObjects;
    private long _overflows;
    private long _reads;
    private bool _stopped;

    /// <param name="store">The store whose change feed is read.</param>
    /// <param name="signal">Wakes the reader when this process commits a change.</param>
    /// <param name="time">The clock of the feed's gap handling.</param>
    /// <param name="options">The size of each watch's channel.</param>
    /// <param name="log">Where failed reads are reported.</param>
    /// <param name="stopping">Stops the reader and ends every subscription when the host stops.</param>
    public WatchFeed(IResourceStore store, StoreChangeSignal signal, TimeProvider time, WatchFeedOptions options, ILogger<WatchFeed> log, CancellationToken stopping)
    {
        _store = store;
        _signal = signal;
        _time = time;
        _log = log;
        Options = options;
        _overflowCounter = _meter.CreateCounter<long>("fleet_watch_overflows", description: "Watches ended because their client did not keep up (their buffer of changes filled).");
        _meter.CreateObservableUpDownCounter("fleet_watch_subscriptions", () => Subscriptions, description: "Watches subscribed to the gateway's shared change-feed reader now.");
        _onStopping = stopping.Register(Stop);
    }

    public WatchFeedOptions Options { get; }

    /// <summary>Watches subscribed now.</summary>
    public int Subscriptions
    {
        get
        {
            lock (_gate)
            {
                return _subscriptions.Count;
            }
        }
    }

    /// <summary>Whether the shared reader runs now (it does exactly while a watch is subscribed).</summary>
    public bool Reading
    {
        get
        {
            lock (_gate)
            {
                return _run is not null;
            }
        }
    }

    /// <summary>Watches dropped because their channel filled, since the process started.</summary>
    public long Overflows => Interlocked.Read(ref _overflows);

    /// <summary>Reads of the change feed the shared reader made, since the process started.</summary>
    public long Reads => Interlocked.Read(ref _reads);

    /// <summary>
    /// Subscribes a watch: from now on it is offered every change the reader passes that <paramref name="filter"/>
    /// accepts. The subscription's <see cref="WatchSubscription.HandOver"/> says what the reader had passed already,
    /// which the watch reads from the store itself. Dispose it to leave.
    /// </summary>
    public async Task<WatchSubscription> SubscribeAsync(Func<ResourceChange, bool> filter, CancellationToken ct)
    {
        // The store keeps the objects of changes from before the reader's start position on.
        lock (_gate)
        {
            _releaseObjects?.Dispose();
            _releaseObjects = null;
            _keepObjects ??= _signal.KeepObjects();
        }

        // Read before taking the lock; used only when this subscription starts the reader.
        var latest = await _store.LatestChangeAsync(ct);
        lock (_gate)
        {
            if (_stopped)
            {
                throw new OperationCanceledException("The gateway is stopping.");
            }

            if (_run is null)
            {
                _run = new Run(new ChangeFeedCursor(latest));
                var run = _run;
                _ = Task.Run(() => ReadAsync(run), CancellationToken.None);
            }

            var subscription = new WatchSubscription(this, filter, Options.Buffer, new FeedPosition(_run.Cursor.Position, _run.Cursor.DeliveredBeyond.ToHashSet()));
            _subscriptions.Add(subscription);
            return subscription;
        }
    }

    internal void Unsubscribe(WatchSubscription subscription)
    {
        lock (_gate)
        {
            if (_subscriptions.Remove(subscription) && _subscriptions.Count == 0)
            {
                StopReader();
            }
        }
    }

    public void Dispose()
    {
        Stop();
        _onStopping.Dispose();
        _meter.Dispose();
    }

    /// <summary>Stops the reader and ends every subscription (their watches end as when the host stops).</summary>
    private void Stop()
    {
        lock (_gate)
        {
            _stopped = true;
            foreach (var s in _subscriptions)
            {
                s.Complete();
            }
            _subscriptions.Clear();
            StopReader();
            _releaseObjects?.Dispose();
            _keepObjects?.Dispose();
            _keepObjects = null;
        }
    }

    private void StopReader()
    {
        if (_run is { } run)
        {
            _run = null;
            run.Stop.Cancel();
            _releaseObjects?.Dispose();
            _releaseObjects = _time.CreateTimer(_ => ReleaseObjects(), null, KeepObjectsAfterLastWatch, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>No watch came back in time: the store may stop keeping the changes' objects.</summary>
    private void ReleaseObjects()
    {
        lock (_gate)
        {
            if (_run is null && _keepObjects is not null)
            {
                _keepObjects.Dispose();
                _keepObjects = null;
            }
        }
    }

    private async Task ReadAsync(Run run)
    {
        var token = run.Stop.Token;
        var wake = new WakeUp();
        _signal.Committed += wake.Set;
        try
        {
            // After a full read the next one starts where it ended, not at the cursor: behind a gap still open the
            // cursor stays put, and reading from it again returned the same full batch while later changes waited.
            long? after = null;
            while (!token.IsCancellationRequested)
            {
                var armed = wake.Arm();
                IReadOnlyList<ResourceChange> read;
                try
                {
                    read = await WithObjectsAsync(await _store.ChangesWithObjectsAsync(after ?? run.Cursor.Position, Batch, token), token);
                    Interlocked.Increment(ref _reads);
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    // The database is away for a moment: the watches wait, as they would for a change.
                    LogReadFailed(_log, ex);
                    read = [];
                }

                lock (_gate)
                {
                    if (_run != run)
                    {
                        return;
                    }
                    FanOut(run.Cursor.Accept(read, _time.GetUtcNow()));
                }

                if (read.Count == Batch)
                {
                    after = read[^1].Sequence;
                    continue;
                }

                after = null;
                if (!await WaitAsync(armed, token))
                {
                    return;
                }
            }
        }
        finally
        {
            _signal.Committed -= wake.Set;
            run.Stop.Dispose();
        }
    }

    /// <summary>Offers each change to every subscription (under the lock); drops those whose channel is full.</summary>
    private void FanOut(IReadOnlyList<ResourceChange> changes)
    {
        if (changes.Count == 0)
        {
            return;
        }

        List<WatchSubscription>? full = null;
        foreach (var s in _subscriptions)
        {
            foreach (var change in changes)
            {
                if (!s.Offer(change))
                {
                    (full ??= []).Add(s);
                    break;
                }
            }
        }

        foreach (var s in full ?? [])
        {
            _subscriptions.Remove(s);
            Interlocked.Increment(ref _overflows);
            _overflowCounter.Add(1);
        }

        if (_subscriptions.Count == 0)
        {
            StopReader();
        }
    }

    /// <summary>
    /// The changes with their objects: a change recorded before the feed kept objects has none, and its object is read
    /// once here, for every watch (it shows the newest state, as watches did then).
    /// </summary>
    internal async Task<IReadOnlyList<ResourceChange>> WithObjectsAsync(IReadOnlyList<ResourceChange> changes, CancellationToken ct)
    {
        if (changes.All(c => c.Object is not null || c.Type == ResourceChangeType.Deleted))
        {
            return changes;
        }

        var list = new List<ResourceChange>(changes.Count);
        foreach (var c in changes)
        {
            list.Add(c.Object is not null || c.Type == ResourceChangeType.Deleted ? c : c with { Object = await _store.GetAsync(c.Kind, c.Namespace, c.Name, ct) });
        }
        return list;
    }

    /// <summary>Waits for a commit signal or the poll period; false once the reader is stopped.</summary>
    private async Task<bool> WaitAsync(Task armed, CancellationToken ct)
    {
        try
        {
            await armed.WaitAsync(Poll, _time, ct);
        }
        catch (TimeoutException)
        {
            // Poll: another process may have written.
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        return !ct.IsCancellationRequested;
    }

    [LoggerMessage(EventId = 2201, Level = LogLevel.Warning, Message = "Reading the store's change feed for watches failed; retrying")]
    private static partial void LogReadFailed(ILogger logger, Exception ex);

    /// <summary>One run of the reader, from a subscription that found none to the last one leaving.</summary>
    private sealed class Run(ChangeFeedCursor cursor)
    {
        public ChangeFeedCursor Cursor { get; } = cursor;

        public CancellationTokenSource Stop { get; } = new();
    }

    /// <summary>A wake-up a commit signal sets; armed before each read of the feed, so no commit between read and wait is missed.</summary>
    private sealed class WakeUp
    {
        private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Arm()
        {
            var current = Volatile.Read(ref _next);
            if (current.Task.IsCompleted)
            {
                Interlocked.CompareExchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), current);
            }
            return Volatile.Read(ref _next).Task;
        }

        public void Set() => Volatile.Read(ref _next).TrySetResult();
    }
}
