using System.Diagnostics.Metrics;

namespace Fleet.Runtime.Diagnostics;

/// <summary>The runtime's instruments on the meter <c>Fleet.Runtime</c>.</summary>
internal sealed class RuntimeMetrics : IDisposable
{
    public const string MeterName = "Fleet.Runtime";

    private readonly Meter _meter;
    private readonly Counter<long> _activations;
    private readonly Counter<long> _deactivations;
    private readonly Counter<long> _turns;
    private readonly Counter<long> _tells;
    private readonly Counter<long> _stateWrites;
    private readonly Counter<long> _stateConflicts;
    private readonly Counter<long> _remindersFired;
    private readonly Histogram<double> _turnDuration;
    private long _active;

    public RuntimeMetrics(IMeterFactory? factory, string siloId)
    {
        var tags = new[] { new KeyValuePair<string, object?>("silo", siloId) };
        _meter = factory?.Create(new MeterOptions(MeterName) { Tags = tags }) ?? new Meter(new MeterOptions(MeterName) { Tags = tags });
        _activations = _meter.CreateCounter<long>("fleet.runtime.activations", "{activation}", "Grain activations created.");
        _deactivations = _meter.CreateCounter<long>("fleet.runtime.deactivations", "{activation}", "Grain activations deactivated.");
        _turns = _meter.CreateCounter<long>("fleet.runtime.turns", "{turn}", "Grain turns run (messages, timer ticks, reminders).");
        _tells = _meter.CreateCounter<long>("fleet.runtime.tells", "{message}", "Messages sent to grains.");
        _stateWrites = _meter.CreateCounter<long>("fleet.runtime.state_writes", "{write}", "Grain state writes committed.");
        _stateConflicts = _meter.CreateCounter<long>("fleet.runtime.state_write_conflicts", "{write}", "Grain state writes refused (etag conflict or lost lease).");
        _remindersFired = _meter.CreateCounter<long>("fleet.runtime.reminders_fired", "{reminder}", "Durable reminders delivered.");
        _turnDuration = _meter.CreateHistogram<double>("fleet.runtime.turn_duration", "s", "Duration of grain turns.");
        _meter.CreateObservableGauge("fleet.runtime.active_activations", () => Interlocked.Read(ref _active), "{activation}", "Grain activations alive on this silo.");
    }

    public long ActiveActivations => Interlocked.Read(ref _active);

    public void Activated(string grainType)
    {
        Interlocked.Increment(ref _active);
        _activations.Add(1, new KeyValuePair<string, object?>("grain_type", grainType));
    }

    public void Deactivated(string grainType)
    {
        Interlocked.Decrement(ref _active);
        _deactivations.Add(1, new KeyValuePair<string, object?>("grain_type", grainType));
    }

    public void TurnCompleted(string grainType, TimeSpan duration)
    {
        if (_turns.Enabled)
        {
            _turns.Add(1, new KeyValuePair<string, object?>("grain_type", grainType));
        }

        if (_turnDuration.Enabled)
        {
            _turnDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("grain_type", grainType));
        }
    }

    public void Tell(bool remote)
    {
        if (_tells.Enabled)
        {
            _tells.Add(1, new KeyValuePair<string, object?>("remote", remote));
        }
    }

    public void StateWritten() => _stateWrites.Add(1);

    public void StateConflict() => _stateConflicts.Add(1);

    public void ReminderFired() => _remindersFired.Add(1);

    public void Dispose() => _meter.Dispose();
}
