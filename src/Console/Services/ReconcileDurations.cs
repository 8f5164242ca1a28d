using System.Diagnostics.Metrics;

namespace Fleet.WebConsole.Services;

/// <summary>One reconcile, as the grains measured it.</summary>
internal sealed record ReconcileSample(DateTimeOffset Time, string Kind, string Outcome, double Seconds);

/// <summary>
/// Keeps the newest reconcile durations the grains of this process record (the <c>fleet_reconcile_duration</c>
/// histogram of meter <c>Fleet.Grains</c>, the same figures /metrics exports), for the console's plot. A gateway that
/// runs no grains (<c>--role gateway</c>) has none to show, and the page says so.
/// </summary>
internal sealed class ReconcileDurations : IDisposable
{
    public const int Capacity = 2000;

    private readonly MeterListener _listener = new();
    private readonly Queue<ReconcileSample> _samples = new();
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;

    public ReconcileDurations(TimeProvider time)
    {
        _time = time;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Fleet.Grains" && instrument.Name == "fleet_reconcile_duration")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>(OnMeasurement);
        _listener.Start();
    }

    public IReadOnlyList<ReconcileSample> Samples()
    {
        lock (_lock)
        {
            return [.. _samples];
        }
    }

    private void OnMeasurement(Instrument instrument, double seconds, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        string kind = "", outcome = "";
        foreach (var tag in tags)
        {
            if (tag.Key == "kind")
            {
                kind = tag.Value?.ToString() ?? "";
            }
            else if (tag.Key == "outcome")
            {
                outcome = tag.Value?.ToString() ?? "";
            }
        }
        lock (_lock)
        {
            _samples.Enqueue(new ReconcileSample(_time.GetUtcNow(), kind, outcome, seconds));
            if (_samples.Count > Capacity)
            {
                _samples.Dequeue();
            }
        }
    }

    public void Dispose() => _listener.Dispose();
}
