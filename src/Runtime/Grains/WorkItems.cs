namespace Fleet.Runtime.Grains;

/// <summary>One turn's worth of work for an activation.</summary>
internal abstract class WorkItem
{
    /// <summary>Whether running this item counts as activity that keeps the activation from idling out.</summary>
    public virtual bool KeepsAlive => true;

    public abstract Task RunAsync(Grain grain, CancellationToken ct);

    /// <summary>Called when the item will never run (the activation failed or was deactivated by force).</summary>
    public virtual void Abandon(Exception reason)
    {
    }
}

/// <summary>A tell: a grain method call whose caller does not wait for the result.</summary>
internal sealed class TellItem(GrainMethod method, object?[] args) : WorkItem
{
    public GrainMethod Method => method;

    public override Task RunAsync(Grain grain, CancellationToken ct) => method.Invoke(grain, args);
}

/// <summary>An ask: a grain method call whose caller awaits the result of the turn.</summary>
internal sealed class AskItem(GrainMethod method, object?[] args) : WorkItem
{
    private readonly TaskCompletionSource<object?> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<object?> Result => _result.Task;

    public override async Task RunAsync(Grain grain, CancellationToken ct)
    {
        try
        {
            var task = method.Invoke(grain, args);
            await task;
            _result.TrySetResult(method.GetResult(task));
        }
        catch (Exception ex)
        {
            _result.TrySetException(ex);
        }
    }

    public override void Abandon(Exception reason) => _result.TrySetException(reason);
}

/// <summary>A timer tick, run as a turn.</summary>
internal sealed class TimerItem(GrainTimer timer) : WorkItem
{
    public override bool KeepsAlive => timer.KeepAlive;

    public override Task RunAsync(Grain grain, CancellationToken ct) => timer.TickAsync(ct);

    public override void Abandon(Exception reason) => timer.Dispose();
}

/// <summary>A due reminder, run as a turn.</summary>
internal sealed class ReminderItem(DateTimeOffset due, Action<bool> completed) : WorkItem
{
    public DateTimeOffset Due => due;

    public override async Task RunAsync(Grain grain, CancellationToken ct)
    {
        var ok = false;
        try
        {
            await grain.InvokeReminderAsync(ct);
            ok = true;
        }
        finally
        {
            completed(ok);
        }
    }

    public override void Abandon(Exception reason) => completed(false);
}

/// <summary>A request to deactivate, run as a turn so that it never overlaps a message.</summary>
internal sealed class DeactivateItem(DeactivationReason reason, bool onlyIfIdle) : WorkItem
{
    public DeactivationReason Reason => reason;

    public bool OnlyIfIdle => onlyIfIdle;

    public override bool KeepsAlive => false;

    public override Task RunAsync(Grain grain, CancellationToken ct) => Task.CompletedTask;
}
