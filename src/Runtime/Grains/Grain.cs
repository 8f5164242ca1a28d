using Fleet.Runtime.Grains;
using Microsoft.Extensions.Logging;

namespace Fleet.Runtime;

/// <summary>
/// The base of every grain. The runtime creates grains through dependency injection (constructor parameters are
/// resolved from the silo's services); <see cref="Key"/> and the other members below are available from
/// <see cref="OnActivateAsync"/> on, not in the constructor. Every method, timer tick and reminder runs as a turn:
/// never two at once for one grain.
/// </summary>
public abstract class Grain
{
    private GrainActivation? _activation;

    /// <summary>The grain's key.</summary>
    public string Key => Activation.Key;

    /// <summary>The silo's clock; use it (not DateTime.UtcNow) so that tests can control time.</summary>
    protected TimeProvider TimeProvider => Activation.Runtime.Time;

    /// <summary>A logger named after the grain class.</summary>
    protected ILogger Logger => Activation.Type.Logger ??= Activation.Runtime.LoggerFactory.CreateLogger(Activation.Type.Implementation);

    /// <summary>References to other grains.</summary>
    protected IGrainFactory GrainFactory => Activation.Runtime;

    private GrainActivation Activation => _activation ?? throw new InvalidOperationException($"{GetType().Name}: the grain context is available from OnActivateAsync on, not in the constructor.");

    /// <summary>
    /// Starts a timer that runs <paramref name="callback"/> as a turn after <paramref name="dueTime"/> and then every
    /// <paramref name="period"/> (counted from the end of the previous tick, randomly spread by ±<paramref name="jitter"/>
    /// of the period, 0..1). <see cref="Timeout.InfiniteTimeSpan"/> as period means once. The timer lives only as long
    /// as this activation; by default its ticks do not keep the activation from idling out (use a reminder to be woken).
    /// Dispose the result to stop it.
    /// </summary>
    protected IDisposable RegisterTimer(Func<CancellationToken, Task> callback, TimeSpan dueTime, TimeSpan period, double jitter = 0, bool keepAlive = false)
    {
        ArgumentNullException.ThrowIfNull(callback);
        ArgumentOutOfRangeException.ThrowIfLessThan(jitter, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(jitter, 1);
        if (dueTime < TimeSpan.Zero && dueTime != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(dueTime), dueTime, "The due time of a grain timer must not be negative.");
        }

        var a = Activation;
        var timer = new GrainTimer(a, callback, dueTime, period, jitter, keepAlive, a.Runtime.Time);
        a.AddTimer(timer);
        return timer;
    }

    /// <summary>
    /// Sets this grain's durable reminder (one per grain) to <paramref name="due"/>, replacing any earlier one. When it
    /// is due, the owning silo activates the grain if needed and calls <see cref="OnReminderAsync"/>, also after a
    /// restart or failover; the reminder is then removed unless the grain set a new one during that turn.
    /// </summary>
    protected Task SetReminderAsync(DateTimeOffset due, CancellationToken ct = default)
    {
        var a = Activation;
        return a.Runtime.Reminders.SetAsync(a.Type.Name, a.Key, a.Partition, due, ct);
    }

    /// <summary>Removes this grain's reminder.</summary>
    protected Task ClearReminderAsync(CancellationToken ct = default)
    {
        var a = Activation;
        return a.Runtime.Reminders.ClearAsync(a.Type.Name, a.Key, null, ct);
    }

    /// <summary>When this grain's reminder is due, or null.</summary>
    protected Task<DateTimeOffset?> GetReminderAsync(CancellationToken ct = default)
    {
        var a = Activation;
        return a.Runtime.Reminders.GetAsync(a.Type.Name, a.Key, ct);
    }

    /// <summary>Deactivates this grain after the current turn (unless more messages are waiting).</summary>
    protected void DeactivateOnIdle() => Activation.RequestDeactivation();

    /// <summary>Runs as the first turn, after the state was loaded.</summary>
    protected virtual Task OnActivateAsync(CancellationToken ct) => Task.CompletedTask;

    /// <summary>Runs as the last turn. Not called when the silo dies; keep durable work in state and reminders.</summary>
    protected virtual Task OnDeactivateAsync(DeactivationReason reason, CancellationToken ct) => Task.CompletedTask;

    /// <summary>Runs as a turn when the grain's reminder is due.</summary>
    protected virtual Task OnReminderAsync(CancellationToken ct) => Task.CompletedTask;

    internal void Attach(GrainActivation activation) => _activation = activation;

    internal GrainActivation ActivationContext => Activation;

    internal virtual Task LoadStateAsync(CancellationToken ct) => Task.CompletedTask;

    internal Task InvokeActivateAsync(CancellationToken ct) => OnActivateAsync(ct);

    internal Task InvokeDeactivateAsync(DeactivationReason reason, CancellationToken ct) => OnDeactivateAsync(reason, ct);

    internal Task InvokeReminderAsync(CancellationToken ct) => OnReminderAsync(ct);
}
