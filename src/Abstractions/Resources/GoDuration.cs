using System.Globalization;

namespace Fleet.Abstractions.Resources;

/// <summary>
/// Go's <c>time.ParseDuration</c> format (<c>1h30m</c>, <c>90s</c>, <c>500ms</c>), which Flux uses for every interval.
/// Hand-written because .NET's TimeSpan formats differ and no package here parses Go durations.
/// </summary>
public static class GoDuration
{
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }
        if (text == "0")
        {
            return true;
        }
        var i = 0;
        var total = 0.0;
        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.'))
            {
                i++;
            }
            if (start == i || !double.TryParse(text.AsSpan(start, i - start), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }
            var unitStart = i;
            while (i < text.Length && !char.IsAsciiDigit(text[i]) && text[i] != '.')
            {
                i++;
            }
            double? millis = text[unitStart..i] switch
            {
                "ns" => number / 1_000_000,
                "us" or "µs" => number / 1000,
                "ms" => number,
                "s" => number * 1000,
                "m" => number * 60_000,
                "h" => number * 3_600_000,
                _ => null,
            };
            if (millis is null)
            {
                return false;
            }
            total += millis.Value;
        }
        value = TimeSpan.FromMilliseconds(total);
        return true;
    }

    public static TimeSpan Parse(string? text, TimeSpan fallback) => TryParse(text, out var v) ? v : fallback;

    public static string Format(TimeSpan value)
    {
        if (value == TimeSpan.Zero)
        {
            return "0s";
        }
        var parts = new List<string>();
        if (value.TotalHours >= 1)
        {
            parts.Add($"{(int)value.TotalHours}h");
        }
        if (value.Minutes > 0)
        {
            parts.Add($"{value.Minutes}m");
        }
        if (value.Seconds > 0 || value.Milliseconds > 0)
        {
            parts.Add(value.Milliseconds > 0 ? $"{value.Seconds + (value.Milliseconds / 1000.0):0.###}s" : $"{value.Seconds}s");
        }
        return string.Concat(parts);
    }
}
