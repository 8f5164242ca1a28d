using System.Text.Json;
using Fleet.Abstractions.Resources;
using Fleet.Runtime;

namespace Fleet.Grains.Common;

/// <summary>
/// The scheduling every reconciling grain shares: work runs in <see cref="ReconcileAsync"/> as a turn, then again after
/// the delay it returns. While active, a jittered grain timer drives it; a durable reminder a little later than the
/// timer guarantees the grain is woken after a restart or failover. "Reconcile now" is a tell, not a shorter timer.
/// </summary>
internal abstract class ResourceGrain<TState>(IResourceStore store, IEventLog events) : Grain<TState>
    where TState : class, new()
{
    private static readonly TimeSpan ReminderSlack = TimeSpan.FromSeconds(30);
    private IDisposable? _timer;

    protected IResourceStore Store { get; } = store;

    protected IEventLog Events { get; } = events;

    /// <summary>The namespace part of the key <c>{ns}/{name}</c>.</summary>
    protected string Namespace => Key[..Key.IndexOf('/', StringComparison.Ordinal)];

    /// <summary>The name part of the key <c>{ns}/{name}</c>.</summary>
    protected virtual string Name => Key[(Key.IndexOf('/', StringComparison.Ordinal) + 1)..];

    /// <summary>Does the work; returns when to run again, or null to stop (the object is gone or suspended).</summary>
    protected abstract Task<TimeSpan?> ReconcileAsync(CancellationToken ct);

    protected override async Task OnActivateAsync(CancellationToken ct)
    {
        await ReadStateAsync(ct);
    }

    protected override Task OnReminderAsync(CancellationToken ct) => RunAsync(ct);

    /// <summary>Runs the work now, as part of the current turn, and schedules the next run.</summary>
    protected async Task RunAsync(CancellationToken ct)
    {
        TimeSpan? next;
        var started = TimeProvider.GetTimestamp();
        Outcome = "success";
        try
        {
            next = await ReconcileAsync(ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The engines report expected failures as status; anything else is retried after a minute.
            next = TimeSpan.FromMinutes(1);
            Outcome = "error";
            await Events.AppendAsync(Namespace, KindName, Name, FleetEventType.Warning, Reasons.ReconciliationFailed, ex.Message, ct);
        }
        GrainMetrics.Reconciled(KindName, Outcome, TimeProvider.GetElapsedTime(started));
        await ScheduleAsync(next, ct);
    }

    /// <summary>How the current reconcile ended, for metrics: <c>success</c> unless the grain says otherwise (<c>failure</c>, <c>error</c>).</summary>
    protected string Outcome { get; set; } = "success";

    /// <summary>The kind this grain reconciles, for events.</summary>
    protected abstract string KindName { get; }

    private async Task ScheduleAsync(TimeSpan? delay, CancellationToken ct)
    {
        _timer?.Dispose();
        _timer = null;
        if (delay is not { } d)
        {
            await ClearReminderAsync(ct);
            return;
        }
        _timer = RegisterTimer(RunAsync, d, Timeout.InfiniteTimeSpan);
        await SetReminderAsync(TimeProvider.GetUtcNow() + d + ReminderSlack, ct);
    }

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

    /// <summary>The stored object as last read by <see cref="ReadSpecAsync{TSpec}"/>.</summary>
    protected StoredResource? Current { get; private set; }

    protected Task WriteStatusAsync<TStatus>(string kind, TStatus status, CancellationToken ct) =>
        Store.UpdateStatusAsync(kind, Namespace, Name, JsonSerializer.Serialize(status, FleetJson.Options), ct);

    protected Task EventAsync(FleetEventType type, string reason, string message, CancellationToken ct) =>
        Events.AppendAsync(Namespace, KindName, Name, type, reason, message, ct);

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
}
