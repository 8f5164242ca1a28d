using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Fleet.Gateway.Diagnostics;

/// <summary>
/// Collects every <c>Fleet.*</c> meter's instruments through a <see cref="MeterListener"/> and writes them in the
/// Prometheus text exposition format (version 0.0.4). Hand-written because the OpenTelemetry Prometheus exporter
/// cannot be restored here (DESIGN.md); the format is small and stable.
/// </summary>
public sealed class PrometheusMetrics : IDisposable
{
    private static readonly double[] Buckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<(Instrument Instrument, string Tags), Series> _series = new();

    public PrometheusMetrics()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name.StartsWith("Fleet", StringComparison.Ordinal))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    public string Scrape()
    {
        _listener.RecordObservableInstruments();
        var sb = new StringBuilder();
        foreach (var group in _series.GroupBy(p => p.Key.Instrument).OrderBy(g => Name(g.Key), StringComparer.Ordinal))
        {
            var instrument = group.Key;
            var name = Name(instrument);
            var type = instrument switch
            {
                Histogram<double> or Histogram<long> or Histogram<int> => "histogram",
                Counter<long> or Counter<int> or Counter<double> or ObservableCounter<long> or ObservableCounter<double> => "counter",
                _ => "gauge",
            };
            if (!string.IsNullOrEmpty(instrument.Description))
            {
                sb.Append("# HELP ").Append(name).Append(' ').Append(instrument.Description.Replace("\n", " ", StringComparison.Ordinal)).Append('\n');
            }
            sb.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
            foreach (var (key, series) in group.OrderBy(p => p.Key.Tags, StringComparer.Ordinal))
            {
                series.Write(sb, name, key.Tags, type);
            }
        }
        return sb.ToString();
    }

    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var tagText = FormatTags(tags);
        var series = _series.GetOrAdd((instrument, tagText), _ => new Series());
        switch (instrument)
        {
            case Histogram<double> or Histogram<long> or Histogram<int>:
                series.Observe(value);
                break;
            case ObservableGauge<long> or ObservableGauge<double> or ObservableGauge<int> or ObservableCounter<long> or ObservableCounter<double> or ObservableUpDownCounter<long>:
                series.Set(value);
                break;
            default:
                series.Add(value);
                break;
        }
    }

    private static string Name(Instrument instrument)
    {
        var sb = new StringBuilder();
        foreach (var c in instrument.Name)
        {
            sb.Append(char.IsAsciiLetterOrDigit(c) ? c : '_');
        }
        if (!string.IsNullOrEmpty(instrument.Unit) && instrument.Unit == "s")
        {
            sb.Append("_seconds");
        }
        return sb.ToString();
    }

    private static string FormatTags(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0)
        {
            return "";
        }
        var parts = new List<string>(tags.Length);
        foreach (var (k, v) in tags)
        {
            var value = Convert.ToString(v, CultureInfo.InvariantCulture) ?? "";
            value = value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
            parts.Add($"{k.Replace('.', '_')}=\"{value}\"");
        }
        parts.Sort(StringComparer.Ordinal);
        return string.Join(",", parts);
    }

    private sealed class Series
    {
        private readonly Lock _lock = new();
        private readonly long[] _buckets = new long[Buckets.Length];
        private double _value;
        private double _sum;
        private long _count;

        public void Add(double v)
        {
            lock (_lock)
            {
                _value += v;
            }
        }

        public void Set(double v)
        {
            lock (_lock)
            {
                _value = v;
            }
        }

        public void Observe(double v)
        {
            lock (_lock)
            {
                _sum += v;
                _count++;
                for (var i = 0; i < Buckets.Length; i++)
                {
                    if (v <= Buckets[i])
                    {
                        _buckets[i]++;
                    }
                }
            }
        }

        public void Write(StringBuilder sb, string name, string tags, string type)
        {
            lock (_lock)
            {
                if (type != "histogram")
                {
                    sb.Append(name).Append(Braces(tags)).Append(' ').Append(Num(_value)).Append('\n');
                    return;
                }
                for (var i = 0; i < Buckets.Length; i++)
                {
                    sb.Append(name).Append("_bucket").Append(Braces(Join(tags, $"le=\"{Num(Buckets[i])}\""))).Append(' ').Append(_buckets[i]).Append('\n');
                }
                sb.Append(name).Append("_bucket").Append(Braces(Join(tags, "le=\"+Inf\""))).Append(' ').Append(_count).Append('\n');
                sb.Append(name).Append("_sum").Append(Braces(tags)).Append(' ').Append(Num(_sum)).Append('\n');
                sb.Append(name).Append("_count").Append(Braces(tags)).Append(' ').Append(_count).Append('\n');
            }
        }

        private static string Join(string a, string b) => a.Length == 0 ? b : a + "," + b;

        private static string Braces(string tags) => tags.Length == 0 ? "" : "{" + tags + "}";

        private static string Num(double v) => v.ToString("R", CultureInfo.InvariantCulture);
    }
}
