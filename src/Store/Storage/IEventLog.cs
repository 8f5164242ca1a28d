namespace Fleet.Store;

/// <summary>The type of an event, as Kubernetes events have it.</summary>
public enum FleetEventType
{
    Normal,
    Warning,
}

/// <summary>One stored event. <see cref="Sequence"/> increases in commit order, so a reader can stream with <c>after</c>.</summary>
public sealed record FleetEvent(
    long Sequence,
    string Namespace,
    string InvolvedKind,
    string InvolvedName,
    FleetEventType Type,
    string Reason,
    string Message,
    DateTimeOffset Time);

/// <summary>Filters of <see cref="IEventLog.ListAsync"/>; null means any. Results are ordered by sequence, ascending.</summary>
public sealed record EventQuery(
    string? Namespace = null,
    string? InvolvedKind = null,
    string? InvolvedName = null,
    FleetEventType? Type = null,
    long After = 0,
    int Limit = 500);

/// <summary>An append-only event log with retention by age and count.</summary>
public interface IEventLog
{
    Task<FleetEvent> AppendAsync(string ns, string involvedKind, string involvedName, FleetEventType type, string reason, string message, CancellationToken ct = default);

    Task<IReadOnlyList<FleetEvent>> ListAsync(EventQuery query, CancellationToken ct = default);

    /// <summary>Deletes events older than <paramref name="maxAge"/> and all but the newest <paramref name="maxCount"/>; returns how many were deleted.</summary>
    Task<int> ApplyRetentionAsync(TimeSpan maxAge, int maxCount, CancellationToken ct = default);
}
