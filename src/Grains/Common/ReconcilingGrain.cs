using System.Text.Json;
using Fleet.Abstractions.Resources;
using Fleet.Store;
using Microsoft.Extensions.Logging;

namespace Fleet.Grains.Common;

/// <summary>
/// The scheduling every reconciling grain shares. All work runs in <see cref="ReconcileAsync"/>, always from one
/// grain timer tick (a turn that does not interleave), so there is one reconcile at a time. Hints only arm that
/// timer to fire at once: hints that arrive while a reconcile runs wait in the grain's queue (they do not interleave
/// either) and then merely re-arm the timer, so any number of them makes one follow-up reconcile. A durable Orleans
/// reminder, a little longer than the interval, reactivates the grain after a restart, a failover or idle collection;
/// while the grain is active the timer does the work and the reminder's ticks are ignored.
/// </summary>
internal abstract partial class ReconcilingGrain<TState>(IPersistentState<TState> state, IResourceStore store, IEventLog events, ILogger logger)
    : Grain, IRemindable
    where TState : class, new()
{
    private const string ReminderName = "reconcile";
    private static readonly TimeSpan ReminderSlack = TimeSpan.FromSeconds(30);
    private IGrainTimer? _timer;

    /// <summary>When a hint armed the timer to fire, or null when it is armed for the next interval (or not at all).</summary>
    private DateTimeOffset? _hintedFor;
    private TimeSpan? _reminderPeriod;
    private DateTimeOffset? _lastRun;

    protected IResourceStore Store { get; } = store;

    protected IEventLog Events { get; } = events;

    protected ILogger Logger { get; } = logger;

    private TimeProvider? _time;

    /// <summary>The silo's clock, resolved once per activation.</summary>
    protected TimeProvider Time => _time ??= ServiceProvider.GetService(typeof(TimeProvider)) as TimeProvider ?? TimeProvider.System;

    protected TState State
    {
        get => state.State;
        set => state.State = value;
    }

    protected Task WriteStateAsync() => state.WriteStateAsync();

    protected Task ClearStateAsync() => state.ClearStateAsync();

    /// <summary>The grain's key.</summary>
    protected string Key => this.GetPrimaryKeyString();

    /// <summary>The namespace part of the key <c>{ns}/{name}</c>.</summary>
    protected string Namespace => Key[..Key.IndexOf('/', StringComparison.Ordinal)];

    /// <summary>The name of the stored object this grain reconciles (by default the part of the key after the namespace).</summary>
    protected virtual string Name => Key[(Key.IndexOf('/', StringComparison.Ordinal) + 1)..];

    /// <summary>The kind this grain reconciles, for events, logs and metrics.</summary>
    protected abstract string KindName { get; }

    /// <summary>Does the work; returns when to run again, or null to stop (the object is gone or suspended).</summary>
    protected abstract Task<TimeSpan?> ReconcileAsync(CancellationToken ct);

    /// <summary>How the current reconcile ended, for metrics: <c>success</c> unless the grain says otherwise (<c>failure</c>, <c>error</c>).</summary>
    protected string Outcome { get; set; } = "success";

    /// <summary>Asks for a reconcile as soon as the current one (if any) has finished; repeated calls merge.</summary>
    protected Task Hint() => HintWithin(TimeSpan.Zero);

    /// <summary>
    /// Asks for a reconcile within <paramref name="delay"/>: reports that come in bursts (a placement each, during a
    /// rollout over thousands of clusters) are gathered into one reconcile. An earlier request wins; calls merge.
    /// </summary>
    protected Task HintWithin(TimeSpan delay)
    {
        var due = Time.GetUtcNow() + delay;
        if (_hintedFor is { } armed && armed <= due)
        {
            return Task.CompletedTask;
        }

        _hintedFor = due;
        Arm(delay);
        return Task.CompletedTask;
    }

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        // Woken by the reminder after idle collection: its period is known without asking the reminder table.
        _reminderPeriod ??= status.Period;

        // Active and reconciling on its timer: the reminder is only the safety net for when it is not.
        if (_lastRun is { } last && Time.GetUtcNow() - last < (_reminderPeriod ?? TimeSpan.Zero))
        {
            return Task.CompletedTask;
        }

        // Just woken, and the grain's state says it did the work less than a period ago (a placement deactivated
        // right after applying a commit): the tick comes early; the next one does the work.
        if (_lastRun is null && StoredLastRun is { } stored && Time.GetUtcNow() - stored < status.Period * 0.9)
        {
            return Task.CompletedTask;
        }

        return Hint();
    }

    private void Arm(TimeSpan due)
    {
        if (_timer is null)
        {
            _timer = this.RegisterGrainTimer(TickAsync, new GrainTimerCreationOptions(due, Timeout.InfiniteTimeSpan) { Interleave = false });
        }
        else
        {
            _timer.Change(due, Timeout.InfiniteTimeSpan);
        }
    }

    private async Task TickAsync(CancellationToken ct)
    {
        _hintedFor = null;
        TimeSpan? next;
        var started = Time.GetTimestamp();
        Outcome = "success";
        try
        {
            next = await ReconcileAsync(ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The engines report expected failures as status; anything else is a bug or an outage: log it with its
            // stack trace, say so in an event, and retry after a minute.
            next = TimeSpan.FromMinutes(1);
            Outcome = "error";
            LogReconcileFailed(Logger, ex, KindName, Key);
            await TryEventAsync(FleetEventType.Warning, Reasons.ReconciliationFailed, $"reconcile failed: {ex.Message}");
        }

        // The stored object is read again at the start of every reconcile: not kept between them (at 50,000
        // placements its status alone, with the inventory, was several hundred megabytes).
        Current = null;
        _lastRun = Time.GetUtcNow();
        GrainMetrics.Reconciled(KindName, Outcome, Time.GetElapsedTime(started));
        await ScheduleAsync(next);
        if (_hintedFor is null && DeactivateBetweenRuns(next))
        {
            // Nothing to do before the reminder: do not stay resident until then.
            this.DeactivateOnIdle();
        }
    }

    /// <summary>
    /// Whether the grain deactivates after a reconcile that returned <paramref name="next"/> (its reminder brings
    /// it back); by default it stays active and its timer does the next run.
    /// </summary>
    protected virtual bool DeactivateBetweenRuns(TimeSpan? next) => false;

    /// <summary>When the grain last did its work, as its state keeps it (null where it keeps none): a reminder tick sooner than that after a reactivation is skipped.</summary>
    protected virtual DateTimeOffset? StoredLastRun => null;

    private async Task ScheduleAsync(TimeSpan? delay)
    {
        if (delay is not { } d)
        {
            if (_hintedFor is null)
            {
                _timer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }

            if (_reminderPeriod is not null || await this.GetReminder(ReminderName) is not null)
            {
                if (await this.GetReminder(ReminderName) is { } reminder)
                {
                    await this.UnregisterReminder(reminder);
                }

                _reminderPeriod = null;
                StoredReminderPeriod = null;
            }

            return;
        }

        if (_hintedFor is null)
        {
            Arm(d);
        }

        // Reminders tick at least once a minute apart in Orleans, so periods are whole minutes.
        var period = WholeMinutes(d + ReminderSlack);
        _reminderPeriod ??= StoredReminderPeriod;
        if (!ReminderFits(_reminderPeriod, period, d))
        {
            await RegisterReminderAsync(period);
        }
    }

    /// <summary>A reminder period: <paramref name="t"/> rounded up to whole minutes, at least one (Orleans' shortest).</summary>
    private static TimeSpan WholeMinutes(TimeSpan t) => TimeSpan.FromMinutes(Math.Max(1, Math.Ceiling(t.TotalMinutes)));

    private async Task RegisterReminderAsync(TimeSpan period)
    {
        await this.RegisterOrUpdateReminder(ReminderName, period, period);
        _reminderPeriod = period;
        StoredReminderPeriod = period;
    }

    /// <summary>
    /// The reminder period as the grain's own state keeps it, for grains that keep it (null otherwise): a grain
    /// woken by a hint after idle collection then knows its reminder without registering it again (a write per
    /// placement per commit at 10,000 clusters, all of them collected between commits).
    /// </summary>
    protected virtual TimeSpan? StoredReminderPeriod
    {
        get => null;
        set { }
    }

    /// <summary>
    /// Registers the reminder for <paramref name="interval"/> now, early in a reconcile, when the one registered does
    /// not suit it, so that a grain keeping the period in its state writes it with the state it writes anyway.
    /// </summary>
    protected async Task EnsureReminderAsync(TimeSpan interval)
    {
        _reminderPeriod ??= StoredReminderPeriod;
        var period = WholeMinutes(interval);
        if (!ReminderFits(_reminderPeriod, period, interval))
        {
            await RegisterReminderAsync(period);
        }
    }

    /// <summary>
    /// Whether the registered reminder period still suits a next run after <paramref name="next"/>: it is the one
    /// wanted, or within 15% of it (plus the slack). Intervals are jittered by ±10% on every run; rewriting the
    /// reminder row whenever the rounded period moved cost a database write per reconcile, 50,000 of them per
    /// interval at 10,000 clusters × 5 applications.
    /// </summary>
    internal static bool ReminderFits(TimeSpan? registered, TimeSpan wanted, TimeSpan next) =>
        registered is { } r && (r == wanted || (r >= next * 0.85 && r <= (next * 1.15) + ReminderSlack));

    /// <summary>A period spread by ±10% so that thousands of grains with one interval do not fire together.</summary>
    protected static TimeSpan Jitter(TimeSpan period) =>
        TimeSpan.FromMilliseconds(period.TotalMilliseconds * (0.9 + (Random.Shared.NextDouble() * 0.2)));

    protected async Task<TSpec?> ReadSpecAsync<TSpec>(string kind, CancellationToken ct)
        where TSpec : class
    {
        var stored = await Store.GetAsync(kind, Namespace, Name, ct);
        Current = stored;
        return stored is null ? null : JsonSerializer.Deserialize<TSpec>(stored.SpecJson, FleetJson.Options);
    }

    /// <summary>As <see cref="ReadSpecAsync{TSpec}(string, CancellationToken)"/>, and another object of the namespace in the same round trip.</summary>
    protected async Task<(TSpec? Spec, StoredResource? Other)> ReadSpecAsync<TSpec>(string kind, string otherKind, string otherName, CancellationToken ct)
        where TSpec : class
    {
        var found = await Store.GetManyAsync([(kind, Namespace, Name), (otherKind, Namespace, otherName)], ct);
        Current = found[0];
        return (found[0] is { } stored ? JsonSerializer.Deserialize<TSpec>(stored.SpecJson, FleetJson.Options) : null, found[1]);
    }

    /// <summary>The stored object as read by <see cref="ReadSpecAsync{TSpec}"/> in the current reconcile (null between reconciles).</summary>
    protected StoredResource? Current { get; private set; }

    /// <summary>Writes the status of this grain's object; returns the object as stored (null when it no longer exists).</summary>
    protected Task<StoredResource?> WriteStatusAsync<TStatus>(string kind, TStatus status, CancellationToken ct) =>
        Store.UpdateStatusAsync(kind, Namespace, Name, JsonSerializer.Serialize(status, FleetJson.Options), ct);

    /// <summary>Writes an event about this grain's object and the same line to the log (Warning events at Warning, others at Information).</summary>
    protected async Task EventAsync(FleetEventType type, string reason, string message, CancellationToken ct)
    {
        LogEvent(Logger, type == FleetEventType.Warning ? LogLevel.Warning : LogLevel.Information, KindName, Namespace, Name, reason, message);
        await Events.AppendAsync(Namespace, KindName, Name, type, reason, message, ct);
    }

    private async Task TryEventAsync(FleetEventType type, string reason, string message)
    {
        try
        {
            await EventAsync(type, reason, message, CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The store itself may be what failed; the log line above already says what happened.
        }
    }

    /// <summary>
    /// The new conditions merged into those of the stored status, keeping each condition's last transition time while
    /// its status does not flip; types not in <paramref name="next"/> (Reconciling, Stalled when no longer true) are dropped.
    /// </summary>
    protected List<Condition> Conditions(params Condition[] next)
    {
        List<Condition>? previous = null;
        if (Current?.StatusJson is { } json)
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.TryGetProperty("conditions", out var c))
            {
                previous = c.Deserialize(FleetJsonContext.Default.ListCondition);
            }
        }

        var merged = new List<Condition>();
        foreach (var condition in next)
        {
            var old = previous?.FirstOrDefault(p => p.Type == condition.Type);
            merged.Add(old is not null && old.Status == condition.Status ? condition with { LastTransitionTime = old.LastTransitionTime } : condition);
        }

        return merged;
    }

    protected static Condition NewCondition(string type, bool status, string reason, string message, long generation, DateTimeOffset now) => new()
    {
        Type = type,
        Status = status ? ConditionStatus.True : ConditionStatus.False,
        Reason = reason,
        Message = message,
        ObservedGeneration = generation,
        LastTransitionTime = now,
    };

    [LoggerMessage(EventId = GrainEventIds.ReconcileFailed, Level = LogLevel.Error, Message = "{Kind} {Key}: reconcile failed")]
    private static partial void LogReconcileFailed(ILogger logger, Exception ex, string kind, string key);

    [LoggerMessage(EventId = GrainEventIds.Event, Message = "{Kind} {Namespace}/{Name}: {Reason}: {Message}")]
    private static partial void LogEvent(ILogger logger, LogLevel level, string kind, string @namespace, string name, string reason, string message);
}
