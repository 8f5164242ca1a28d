using System.Runtime.CompilerServices;
using Fleet.Store;

namespace Fleet.Gateway.Services;

/// <summary>Fleet's events as a caller may see them: only those of its namespaces.</summary>
public sealed class EventService
{
    /// <summary>How often a watch reads the log for new events (the log has no change signal).</summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    private readonly IEventLog _log;

    internal EventService(IEventLog log) => _log = log;

    /// <summary>
    /// The events matching <paramref name="query"/> after its <see cref="EventQuery.After"/>, then every new one,
    /// until <paramref name="ct"/> is cancelled. A namespace the caller cannot see has no events.
    /// </summary>
    public async IAsyncEnumerable<FleetEvent> WatchAsync(Caller caller, EventQuery query, [EnumeratorCancellation] CancellationToken ct)
    {
        if (query.Namespace is { } ns && !caller.CanSee(ns))
        {
            yield break;
        }
        var last = query.After;
        while (!ct.IsCancellationRequested)
        {
            var page = await _log.ListAsync(query with { After = last }, ct);
            foreach (var e in page)
            {
                last = e.Sequence;
                if (caller.CanSee(e.Namespace))
                {
                    yield return e;
                }
            }
            if (page.Count < query.Limit)
            {
                await Task.Delay(PollInterval, ct);
            }
        }
    }
}
