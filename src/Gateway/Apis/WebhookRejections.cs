using System.Collections.Concurrent;
using Fleet.Gateway.Diagnostics;

namespace Fleet.Gateway.Apis;

/// <summary>
/// Decides whether a refused webhook request is written as a Warning event: at most one per receiver per minute,
/// so that anyone who knows a hook path cannot flood the event log; the others are counted in a metric.
/// </summary>
internal sealed class WebhookRejections(TimeProvider time)
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastRecorded = new(StringComparer.Ordinal);

    /// <summary>True when this rejection should be recorded as an event; otherwise it is counted.</summary>
    public bool ShouldRecord(string ns, string receiver)
    {
        var now = time.GetUtcNow();
        var key = ns + "/" + receiver;
        while (true)
        {
            if (!_lastRecorded.TryGetValue(key, out var last))
            {
                if (_lastRecorded.TryAdd(key, now))
                {
                    return true;
                }
                continue;
            }
            if (now - last < Window)
            {
                FleetTelemetry.WebhookRejectionsUnrecorded.Add(1, new KeyValuePair<string, object?>("namespace", ns), new KeyValuePair<string, object?>("receiver", receiver));
                return false;
            }
            if (_lastRecorded.TryUpdate(key, now, last))
            {
                return true;
            }
        }
    }
}
