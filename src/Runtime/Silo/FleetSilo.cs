using System.Collections.Concurrent;
using Fleet.Runtime.Grains;
using Fleet.Runtime.Storage;
using Microsoft.Extensions.Hosting;

namespace Fleet.Runtime.Silo;

/// <summary>
/// The silo as a hosted service: opens storage (retrying while PostgreSQL is unreachable), joins the cluster
/// (PostgreSQL), and runs the background loops: reminder scan, idle collection, event retention.
/// </summary>
internal sealed class FleetSilo : IHostedService, ISiloStatus, IAsyncDisposable
{
    private readonly GrainRuntime _runtime;
    private readonly IStorageProvider _storage;
    private readonly FleetRuntimeOptions _options;
    private readonly IClusterMembership? _cluster;
    private readonly ConcurrentDictionary<(string, string), byte> _remindersInFlight = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private volatile bool _ready;
    private volatile string? _lastError;

    public FleetSilo(GrainRuntime runtime, IStorageProvider storage, FleetRuntimeOptions options, IClusterMembership? cluster)
    {
        _runtime = runtime;
        _storage = storage;
        _options = options;
        _cluster = cluster;
    }

    public string SiloId => _options.SiloId;

    public bool IsReady => _ready;

    public string? LastError => _lastError;

    public IReadOnlyCollection<int> OwnedPartitions => _runtime.Ownership.OwnedPartitions;

    public int ActivationCount => _runtime.ActivationCount;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        await OpenStorageAsync(linked.Token);
        if (_cluster is not null)
        {
            await _cluster.StartAsync(_runtime, linked.Token);
        }

        _ready = true;
        _lastError = null;
        _runtime.Log.SiloStarted(_options.SiloId, _storage.Description, _options.PartitionCount);
        _loops.Add(LoopAsync("reminders", _options.ReminderScanPeriod, ScanRemindersAsync, runFirst: true));
        _loops.Add(LoopAsync("idle collection", _options.IdleCollectionPeriod, _ => { _runtime.CollectIdle(); return Task.CompletedTask; }, runFirst: false));
        _loops.Add(LoopAsync("event retention", TimeSpan.FromMinutes(10), PruneEventsAsync, runFirst: true));
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync();
        await WaitLoopsAsync();
        var count = await _runtime.DeactivateAsync(_ => true, DeactivationReason.SiloStopping).WaitAsync(cancellationToken);
        _runtime.SignalStopping();
        if (_cluster is not null)
        {
            await _cluster.StopAsync(release: true);
        }

        _ready = false;
        _runtime.Log.SiloStopped(_options.SiloId, count);
    }

    /// <summary>Stops the silo as if its process died: no deactivation, no lease release, no goodbye (tests and drills).</summary>
    internal async Task HaltAsync()
    {
        await _stop.CancelAsync();
        await WaitLoopsAsync();
        if (_cluster is not null)
        {
            await _cluster.StopAsync(release: false);
        }

        _ready = false;
    }

    /// <summary>Runs one reminder scan now (tests use it instead of waiting for the period).</summary>
    internal Task ScanRemindersNowAsync() => ScanRemindersAsync(_stop.Token);

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
        }

        await WaitLoopsAsync();
        _stop.Dispose();
    }

    private async Task OpenStorageAsync(CancellationToken ct)
    {
        var delay = TimeSpan.FromSeconds(1);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _storage.InitializeAsync(ct);
                return;
            }
            catch (Exception ex) when (ex is not FleetStorageException && _storage.IsTransient(ex) && !ct.IsCancellationRequested)
            {
                // The database may come up after us (a container starting beside us): wait for it with backoff
                // rather than exiting and being restarted in a loop.
                _lastError = ex.Message;
                _runtime.Log.StorageStartRetry(_storage.Description, attempt, ex.Message, delay);
                await Task.Delay(delay, ct);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
    }

    private async Task ScanRemindersAsync(CancellationToken ct)
    {
        var owned = _cluster is null ? null : _runtime.Ownership.OwnedPartitions;
        if (owned is { Count: 0 })
        {
            return;
        }

        var due = await _storage.Reminders.DueAsync(_runtime.Time.GetUtcNow(), owned, 10_000, ct);
        foreach (var r in due)
        {
            var id = (r.GrainType, r.Key);
            if (!_remindersInFlight.TryAdd(id, 0))
            {
                continue;
            }

            if (!_runtime.FireReminder(r, ok => _ = CompleteReminderAsync(r, ok)))
            {
                _remindersInFlight.TryRemove(id, out _);
            }
        }
    }

    private async Task CompleteReminderAsync(ReminderRecord r, bool ok)
    {
        try
        {
            if (ok)
            {
                // Removed only if the grain did not set a new due time during the turn.
                await _storage.Reminders.ClearAsync(r.GrainType, r.Key, r.Due, CancellationToken.None);
            }
        }
        catch (Exception ex)
        {
            _runtime.Log.LoopFailed("reminder completion", ex);
        }
        finally
        {
            _remindersInFlight.TryRemove((r.GrainType, r.Key), out _);
        }
    }

    private async Task PruneEventsAsync(CancellationToken ct)
    {
        var n = await _storage.Events.ApplyRetentionAsync(_options.EventRetention, _options.EventRetentionCount, ct);
        if (n > 0)
        {
            _runtime.Log.EventsPruned(n);
        }
    }

    private async Task LoopAsync(string name, TimeSpan period, Func<CancellationToken, Task> body, bool runFirst)
    {
        await Task.Yield();
        var ct = _stop.Token;
        using var timer = new PeriodicTimer(period, _runtime.Time);
        try
        {
            if (runFirst)
            {
                await RunOnce(name, body, ct);
            }

            while (await timer.WaitForNextTickAsync(ct))
            {
                await RunOnce(name, body, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private async Task RunOnce(string name, Func<CancellationToken, Task> body, CancellationToken ct)
    {
        try
        {
            await body(ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            _runtime.Log.LoopFailed(name, ex);
        }
    }

    private async Task WaitLoopsAsync()
    {
        try
        {
            await Task.WhenAll(_loops);
        }
        catch (OperationCanceledException)
        {
        }
    }
}

/// <summary>Multi-silo coordination (PostgreSQL): partition leases and tells between silos.</summary>
internal interface IClusterMembership
{
    Task StartAsync(GrainRuntime runtime, CancellationToken ct);

    /// <summary>Stops renewing; with <paramref name="release"/>, hands the partitions back at once.</summary>
    Task StopAsync(bool release);
}
