namespace Fleet.Runtime.Grains;

/// <summary>
/// A grain timer: in memory, while the activation lives. Each tick is enqueued as a turn; the next tick is scheduled
/// only after the turn finished, so ticks never pile up or overlap, and the period (with jitter) counts from the end
/// of the previous tick.
/// </summary>
internal sealed class GrainTimer : IDisposable
{
    private readonly GrainActivation _activation;
    private readonly Func<CancellationToken, Task> _callback;
    private readonly TimeSpan _period;
    private readonly double _jitter;
    private readonly ITimer _timer;
    private volatile bool _disposed;

    public GrainTimer(GrainActivation activation, Func<CancellationToken, Task> callback, TimeSpan dueTime, TimeSpan period, double jitter, bool keepAlive, TimeProvider time)
    {
        _activation = activation;
        _callback = callback;
        _period = period;
        _jitter = jitter;
        KeepAlive = keepAlive;
        _timer = time.CreateTimer(static s => ((GrainTimer)s!).Fire(), this, dueTime, Timeout.InfiniteTimeSpan);
    }

    public bool KeepAlive { get; }

    public async Task TickAsync(CancellationToken ct)
    {
        if (_disposed)
        {
            return;
        }

        try
        {
            await _callback(ct);
        }
        finally
        {
            if (!_disposed && _period > TimeSpan.Zero && _period != Timeout.InfiniteTimeSpan)
            {
                _timer.Change(NextPeriod(), Timeout.InfiniteTimeSpan);
            }
        }
    }

    public void Dispose()
    {
        _disposed = true;
        _timer.Dispose();
        _activation.RemoveTimer(this);
    }

    private void Fire()
    {
        if (!_disposed && !_activation.TryEnqueue(new TimerItem(this)))
        {
            Dispose();
        }
    }

    private TimeSpan NextPeriod()
    {
        if (_jitter <= 0)
        {
            return _period;
        }

        // Spread ticks of many grains over time so that, after a restart, they do not all fire at once.
        var factor = 1 + ((Random.Shared.NextDouble() * 2) - 1) * _jitter;
        return TimeSpan.FromTicks((long)(_period.Ticks * factor));
    }
}
