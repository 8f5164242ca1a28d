using System.Diagnostics;

namespace Fleet.Runtime.Grains;

/// <summary>
/// One live grain on this silo: a mailbox of work items run one at a time on the thread pool. The grain object is
/// created and its state loaded by the first turn. Kept small because a silo holds many idle activations.
/// </summary>
internal sealed class GrainActivation
{
    private const int New = 0;
    private const int Active = 1;
    private const int Dead = 2;

    /// <summary>Turns run back to back before the activation yields its thread to others.</summary>
    private const int TurnsPerSlice = 64;

    private readonly GrainRuntime _runtime;
    private GrainActivation? _predecessor;
    private Queue<WorkItem>? _queue;
    private List<GrainTimer>? _timers;
    private TaskCompletionSource? _deactivated;
    private Grain? _grain;
    private long _lastActivityTicks;
    private int _state;
    private bool _running;
    private bool _deactivateRequested;

    public GrainActivation(GrainRuntime runtime, GrainType type, string key, int partition, long epoch, GrainActivation? predecessor)
    {
        _runtime = runtime;
        Type = type;
        Key = key;
        Partition = partition;
        Epoch = epoch;
        _predecessor = predecessor;
        _lastActivityTicks = runtime.Time.GetUtcNow().UtcTicks;
    }

    public GrainType Type { get; }

    public string Key { get; }

    public int Partition { get; }

    /// <summary>The lease epoch of the partition when this activation was created: the fencing token of its writes.</summary>
    public long Epoch { get; }

    public GrainRuntime Runtime => _runtime;

    public bool IsDead => Volatile.Read(ref _state) == Dead;

    /// <summary>Completes when the activation has finished deactivating (its last state write is done).</summary>
    public Task Deactivated
    {
        get
        {
            lock (this)
            {
                _deactivated ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                if (_state == Dead && !_running)
                {
                    _deactivated.TrySetResult();
                }

                return _deactivated.Task;
            }
        }
    }

    /// <summary>Adds a work item; false when the activation is dead and the caller must use a new one.</summary>
    public bool TryEnqueue(WorkItem item)
    {
        lock (this)
        {
            if (_state == Dead)
            {
                return false;
            }

            _queue ??= new Queue<WorkItem>();
            _queue.Enqueue(item);
            if (_running)
            {
                return true;
            }

            _running = true;
        }

        ThreadPool.UnsafeQueueUserWorkItem(static a => _ = a.RunAsync(), this, preferLocal: false);
        return true;
    }

    /// <summary>True when nothing ran or waited since <paramref name="cutoffTicks"/>.</summary>
    public bool IsIdleSince(long cutoffTicks)
    {
        lock (this)
        {
            return _state != Dead && !_running && (_queue is null || _queue.Count == 0) && Volatile.Read(ref _lastActivityTicks) < cutoffTicks;
        }
    }

    public void RequestDeactivation() => _deactivateRequested = true;

    public void AddTimer(GrainTimer timer)
    {
        lock (this)
        {
            (_timers ??= []).Add(timer);
        }
    }

    public void RemoveTimer(GrainTimer timer)
    {
        lock (this)
        {
            _timers?.Remove(timer);
        }
    }

    private async Task RunAsync()
    {
        var slice = 0;
        while (true)
        {
            WorkItem item;
            lock (this)
            {
                if (_queue!.Count == 0 || _state == Dead)
                {
                    _running = false;
                    if (_state == Dead)
                    {
                        AbandonQueued(new GrainCallException($"Grain {Type.Name}/{Key} was deactivated before the call ran."));
                        _deactivated?.TrySetResult();
                    }

                    return;
                }

                item = _queue.Dequeue();
            }

            await RunItemAsync(item);
            if (++slice == TurnsPerSlice)
            {
                slice = 0;
                await Task.Yield();
            }
        }
    }

    private async Task RunItemAsync(WorkItem item)
    {
        if (item is DeactivateItem d)
        {
            await DeactivateAsync(d.Reason, d.OnlyIfIdle);
            return;
        }

        if (_state == New && !await ActivateAsync(item))
        {
            return;
        }

        if (item.KeepsAlive)
        {
            // Activity is stamped when a turn starts; a running turn keeps the activation busy anyway.
            Volatile.Write(ref _lastActivityTicks, _runtime.Time.GetUtcNow().UtcTicks);
        }

        var start = Stopwatch.GetTimestamp();
        try
        {
            await item.RunAsync(_grain!, _runtime.Stopping);
        }
        catch (PartitionLeaseLostException ex)
        {
            _runtime.Log.TurnFailed(Type.Name, Key, ex);
            await DeactivateAsync(DeactivationReason.PartitionLost, onlyIfIdle: false);
            return;
        }
        catch (Exception ex)
        {
            _runtime.Log.TurnFailed(Type.Name, Key, ex);
        }
        finally
        {
            _runtime.Metrics.TurnCompleted(Type.Name, Stopwatch.GetElapsedTime(start));
        }

        if (_deactivateRequested)
        {
            await DeactivateAsync(DeactivationReason.Requested, onlyIfIdle: true);
        }
    }

    private async Task<bool> ActivateAsync(WorkItem first)
    {
        try
        {
            if (_predecessor is { } previous)
            {
                // The previous activation of this grain may still be writing its last state; wait for it so that
                // this one loads what it wrote.
                await previous.Deactivated;
                _predecessor = null;
            }

            var grain = Type.Create(_runtime.Services);
            grain.Attach(this);
            _grain = grain;
            await grain.LoadStateAsync(_runtime.Stopping);
            await grain.InvokeActivateAsync(_runtime.Stopping);
            _state = Active;
            _runtime.Metrics.Activated(Type.Name);
            return true;
        }
        catch (Exception ex)
        {
            _runtime.Log.ActivationFailed(Type.Name, Key, ex);
            first.Abandon(new GrainCallException($"Activation of grain {Type.Name}/{Key} failed: {ex.Message}", ex));
            lock (this)
            {
                _state = Dead;
                AbandonQueued(new GrainCallException($"Activation of grain {Type.Name}/{Key} failed: {ex.Message}", ex));
            }

            Type.Activations.TryRemove(new KeyValuePair<string, GrainActivation>(Key, this));
            return false;
        }
    }

    private async Task DeactivateAsync(DeactivationReason reason, bool onlyIfIdle)
    {
        List<GrainTimer>? timers;
        lock (this)
        {
            if (_state == Dead || onlyIfIdle && _queue!.Count > 0)
            {
                _deactivateRequested = false;
                return;
            }

            var wasActive = _state == Active;
            _state = Dead;
            AbandonQueued(new GrainCallException($"Grain {Type.Name}/{Key} was deactivated ({reason}) before the call ran."));
            timers = _timers;
            _timers = null;
            if (!wasActive)
            {
                _grain = null;
            }
        }

        if (timers is not null)
        {
            foreach (var t in timers.ToArray())
            {
                t.Dispose();
            }
        }

        if (_grain is { } grain)
        {
            try
            {
                await grain.InvokeDeactivateAsync(reason, CancellationToken.None);
            }
            catch (Exception ex)
            {
                _runtime.Log.DeactivationFailed(Type.Name, Key, ex);
            }

            _runtime.Metrics.Deactivated(Type.Name);
        }

        _grain = null;
        Type.Activations.TryRemove(new KeyValuePair<string, GrainActivation>(Key, this));
    }

    private void AbandonQueued(Exception reason)
    {
        if (_queue is null)
        {
            return;
        }

        while (_queue.TryDequeue(out var item))
        {
            item.Abandon(reason);
        }
    }
}
