using System.Diagnostics.Metrics;

namespace Fleet.Grains.Common;

/// <summary>
/// Reconcile durations and outcomes per grain kind, and object changes on clusters (meter <c>Fleet.Grains</c>).
/// A static meter: grains are created by the runtime, and the listener (the gateway's /metrics) finds it by name.
/// </summary>
internal static class GrainMetrics
{
    private static readonly Meter Meter = new("Fleet.Grains");
    private static readonly Histogram<double> Reconcile = Meter.CreateHistogram<double>("fleet_reconcile_duration", "s", "Time of one reconcile, by grain kind and outcome.");
    private static readonly Counter<long> Changes = Meter.CreateCounter<long>("fleet_object_changes", description: "Objects created, configured, deleted or corrected on clusters, by action.");

    public static void Reconciled(string kind, string outcome, TimeSpan duration) =>
        Reconcile.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("outcome", outcome));

    public static void Changed(string action, long count)
    {
        if (count > 0)
        {
            Changes.Add(count, new KeyValuePair<string, object?>("action", action));
        }
    }
}
