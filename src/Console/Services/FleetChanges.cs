using Fleet.Store;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fleet.WebConsole.Services;

/// <summary>
/// Tells open console pages that Fleet changed, within a second: it reads the store's change feed (which kinds
/// changed, never the objects: pages read those through the resource service) and the event log's newest events.
/// It wakes on this process's commits (<see cref="StoreChangeSignal"/>) and polls every <see cref="Period"/> for
/// writes of other processes (silos, when this is a gateway alone).
/// </summary>
internal sealed partial class FleetChanges(IResourceStore store, IEventLog events, StoreChangeSignal signal, ILogger<FleetChanges> logger) : BackgroundService
{
    /// <summary>The longest a change takes to reach an open page.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromMilliseconds(500);

    /// <summary>How many of the newest events are kept for the live feeds.</summary>
    public const int RecentCapacity = 200;

    private readonly Dictionary<string, long> _versions = new(StringComparer.Ordinal);
    private readonly LinkedList<FleetEvent> _recent = new();
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _wake = new(0, 1);
    private int _woken;
    private long _changePosition;
    private long _eventPosition;

    /// <summary>Raised (off the UI thread) with the kinds that changed; handlers must be quick and must not throw.</summary>
    public event Action<IReadOnlySet<string>>? Changed;

    /// <summary>Raised (off the UI thread) when new events were stored.</summary>
    public event Action? EventsAppended;

    /// <summary>A number that grows whenever objects of <paramref name="kind"/> change: a cache of a list is fresh while it stays the same.</summary>
    public long Version(string kind)
    {
        lock (_lock)
        {
            return _versions.GetValueOrDefault(kind);
        }
    }

    /// <summary>The newest events, oldest first (at most <see cref="RecentCapacity"/>); callers filter by what their caller may see.</summary>
    public IReadOnlyList<FleetEvent> Recent()
    {
        lock (_lock)
        {
            return [.. _recent];
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        signal.Committed += OnCommitted;
        try
        {
            _changePosition = await store.LatestChangeAsync(stoppingToken);
            await LoadRecentEventsAsync(stoppingToken);
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await PollAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogPollFailed(logger, ex);
                }
                await _wake.WaitAsync(Period, stoppingToken);
                // Commits from here on wake the next wait; those before it are read by the poll that follows.
                Volatile.Write(ref _woken, 0);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host is stopping.
        }
        finally
        {
            signal.Committed -= OnCommitted;
        }
    }

    /// <summary>Wakes the loop once per poll, however many commits arrive (without a semaphore's full-count exception per extra commit).</summary>
    private void OnCommitted()
    {
        if (Interlocked.CompareExchange(ref _woken, 1, 0) == 0 && _wake.CurrentCount == 0)
        {
            try
            {
                _wake.Release();
            }
            catch (SemaphoreFullException)
            {
                // Released just after a wait timed out: already woken.
            }
        }
    }

    private async Task PollAsync(CancellationToken ct)
    {
        var kinds = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            var changes = await store.ChangesAsync(_changePosition, 5000, ct);
            foreach (var change in changes)
            {
                kinds.Add(change.Kind);
                _changePosition = Math.Max(_changePosition, change.Sequence);
            }
            if (changes.Count < 5000)
            {
                break;
            }
        }
        if (kinds.Count > 0)
        {
            lock (_lock)
            {
                foreach (var kind in kinds)
                {
                    _versions[kind] = _versions.GetValueOrDefault(kind) + 1;
                }
            }
            Changed?.Invoke(kinds);
        }

        var fresh = await events.ListAsync(new EventQuery(After: _eventPosition, Limit: RecentCapacity), ct);
        if (fresh.Count > 0)
        {
            Remember(fresh);
            EventsAppended?.Invoke();
        }
    }

    private async Task LoadRecentEventsAsync(CancellationToken ct)
    {
        // The log is read oldest first; page through to its end, keeping the newest.
        while (true)
        {
            var page = await events.ListAsync(new EventQuery(After: _eventPosition, Limit: 1000), ct);
            Remember(page);
            if (page.Count < 1000)
            {
                return;
            }
        }
    }

    private void Remember(IReadOnlyList<FleetEvent> page)
    {
        lock (_lock)
        {
            foreach (var e in page)
            {
                _recent.AddLast(e);
                _eventPosition = Math.Max(_eventPosition, e.Sequence);
                if (_recent.Count > RecentCapacity)
                {
                    _recent.RemoveFirst();
                }
            }
        }
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "Reading the change feed for the console failed; retrying")]
    private static partial void LogPollFailed(ILogger logger, Exception ex);
}
