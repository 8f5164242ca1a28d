using System.Globalization;
using System.Text;
using Fleet.Helm.Template;

namespace Fleet.Helm.Functions;

/// <summary>A Go time.Time (UTC offset kept) with the methods templates call on it.</summary>
internal sealed class GoTime(DateTimeOffset value, string zone) : GoObject
{
    public DateTimeOffset Value { get; } = value;

    public string Zone { get; } = zone;

    public override string GoType => "time.Time";

    public override string? GoString()
    {
        var frac = Value.Ticks % TimeSpan.TicksPerSecond;
        var fracText = frac == 0 ? "" : "." + (frac * 100).ToString("D9", CultureInfo.InvariantCulture).TrimEnd('0');
        return Value.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + fracText + " " + GoLayout.Offset(Value.Offset, false, false) + " " + Zone;
    }

    public override bool TryGetField(string name, out object? value)
    {
        value = name switch
        {
            "Unix" => Value.ToUnixTimeSeconds(),
            "UnixNano" => (Value.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100,
            "UnixMilli" => Value.ToUnixTimeMilliseconds(),
            "Year" => Value.Year,
            "Month" => Value.Month,
            "Day" => Value.Day,
            "Hour" => Value.Hour,
            "Minute" => Value.Minute,
            "Second" => Value.Second,
            "YearDay" => Value.DayOfYear,
            "Weekday" => Value.DayOfWeek.ToString(),
            "UTC" => new GoTime(Value.ToUniversalTime(), "UTC"),
            "Local" => new GoTime(Value.ToUniversalTime(), "UTC"),
            "String" => GoString(),
            "IsZero" => Value == DateTimeOffset.MinValue,
            _ => null,
        };
        return value is not null;
    }

    public override Func<object?[], object?>? Method(string name) => name switch
    {
        "Format" => a => GoLayout.Format(Value, GoValues.Str(a[0]), Zone),
        "Add" => a => new GoTime(Value.AddTicks(GoValues.ToInt64(a[0]) / 100), Zone),
        "AddDate" => a => new GoTime(Value.AddYears(GoValues.ToInt(a[0])).AddMonths(GoValues.ToInt(a[1])).AddDays(GoValues.ToInt(a[2])), Zone),
        "Before" => a => Value < ((GoTime)a[0]!).Value,
        "After" => a => Value > ((GoTime)a[0]!).Value,
        "Equal" => a => Value == ((GoTime)a[0]!).Value,
        "Sub" => a => (Value - ((GoTime)a[0]!).Value).Ticks * 100,
        _ => null,
    };
}

/// <summary>Go's reference-time layouts ("2006-01-02T15:04:05Z07:00") and durations.</summary>
internal static class GoLayout
{
    private static readonly string[] Tokens =
    [
        "January", "Monday", "2006", "-07:00:00", "-0700", "-07:00", "Z07:00", "Z0700", "Jan", "Mon", "MST", "002", "-07", "Z07",
        "01", "02", "_2", "03", "04", "05", "06", "15", "PM", "pm", "1", "2", "3", "4", "5",
    ];

    public static string Offset(TimeSpan offset, bool colon, bool z)
    {
        if (z && offset == TimeSpan.Zero)
        {
            return "Z";
        }

        var sign = offset < TimeSpan.Zero ? '-' : '+';
        var abs = offset.Duration();
        return colon ? $"{sign}{abs.Hours:D2}:{abs.Minutes:D2}" : $"{sign}{abs.Hours:D2}{abs.Minutes:D2}";
    }

    public static string Format(DateTimeOffset t, string layout, string zone)
    {
        var sb = new StringBuilder();
        var i = 0;
        while (i < layout.Length)
        {
            if (layout[i] is '.' or ',' && i + 1 < layout.Length && layout[i + 1] is '0' or '9')
            {
                var j = i + 1;
                while (j < layout.Length && layout[j] == layout[i + 1])
                {
                    j++;
                }

                if (j >= layout.Length || !char.IsAsciiDigit(layout[j]))
                {
                    var digits = j - i - 1;
                    var frac = (t.Ticks % TimeSpan.TicksPerSecond * 100).ToString("D9", CultureInfo.InvariantCulture)[..Math.Min(9, digits)];
                    if (layout[i + 1] == '9')
                    {
                        frac = frac.TrimEnd('0');
                        if (frac.Length > 0)
                        {
                            sb.Append(layout[i]).Append(frac);
                        }
                    }
                    else
                    {
                        sb.Append(layout[i]).Append(frac);
                    }

                    i = j;
                    continue;
                }
            }

            var token = Tokens.FirstOrDefault(tk => string.CompareOrdinal(layout, i, tk, 0, tk.Length) == 0);
            if (token is null)
            {
                sb.Append(layout[i]);
                i++;
                continue;
            }

            sb.Append(token switch
            {
                "January" => CultureInfo.InvariantCulture.DateTimeFormat.GetMonthName(t.Month),
                "Jan" => CultureInfo.InvariantCulture.DateTimeFormat.GetAbbreviatedMonthName(t.Month),
                "Monday" => t.DayOfWeek.ToString(),
                "Mon" => t.DayOfWeek.ToString()[..3],
                "2006" => t.Year.ToString("D4", CultureInfo.InvariantCulture),
                "06" => (t.Year % 100).ToString("D2", CultureInfo.InvariantCulture),
                "01" => t.Month.ToString("D2", CultureInfo.InvariantCulture),
                "1" => t.Month.ToString(CultureInfo.InvariantCulture),
                "02" => t.Day.ToString("D2", CultureInfo.InvariantCulture),
                "_2" => t.Day.ToString(CultureInfo.InvariantCulture).PadLeft(2),
                "2" => t.Day.ToString(CultureInfo.InvariantCulture),
                "002" => t.DayOfYear.ToString("D3", CultureInfo.InvariantCulture),
                "15" => t.Hour.ToString("D2", CultureInfo.InvariantCulture),
                "03" => (t.Hour % 12 == 0 ? 12 : t.Hour % 12).ToString("D2", CultureInfo.InvariantCulture),
                "3" => (t.Hour % 12 == 0 ? 12 : t.Hour % 12).ToString(CultureInfo.InvariantCulture),
                "04" => t.Minute.ToString("D2", CultureInfo.InvariantCulture),
                "4" => t.Minute.ToString(CultureInfo.InvariantCulture),
                "05" => t.Second.ToString("D2", CultureInfo.InvariantCulture),
                "5" => t.Second.ToString(CultureInfo.InvariantCulture),
                "PM" => t.Hour >= 12 ? "PM" : "AM",
                "pm" => t.Hour >= 12 ? "pm" : "am",
                "MST" => zone,
                "-0700" => Offset(t.Offset, false, false),
                "-07:00" or "-07:00:00" => Offset(t.Offset, true, false),
                "-07" => Offset(t.Offset, false, false)[..3],
                "Z0700" => Offset(t.Offset, false, true),
                "Z07:00" => Offset(t.Offset, true, true),
                "Z07" => t.Offset == TimeSpan.Zero ? "Z" : Offset(t.Offset, false, false)[..3],
                _ => token,
            });
            i += token.Length;
        }

        return sb.ToString();
    }

    /// <summary>time.Duration.String: "1h2m3.5s", "0s", "1.5ms".</summary>
    public static string Duration(long nanos)
    {
        if (nanos == 0)
        {
            return "0s";
        }

        var neg = nanos < 0;
        var u = (ulong)(neg ? -nanos : nanos);
        string s;
        if (u < 1_000_000_000UL)
        {
            s = u < 1000 ? u + "ns" : u < 1_000_000 ? Frac(u, 1000) + "µs" : Frac(u, 1_000_000) + "ms";
        }
        else
        {
            var sb = new StringBuilder();
            var hours = u / 3_600_000_000_000UL;
            var rem = u % 3_600_000_000_000UL;
            var minutes = rem / 60_000_000_000UL;
            rem %= 60_000_000_000UL;
            if (hours > 0)
            {
                sb.Append(hours).Append('h');
            }

            if (hours > 0 || minutes > 0)
            {
                sb.Append(minutes).Append('m');
            }

            sb.Append(Frac(rem, 1_000_000_000UL)).Append('s');
            s = sb.ToString();
        }

        return neg ? "-" + s : s;
    }

    private static string Frac(ulong v, ulong unit)
    {
        var whole = v / unit;
        var frac = v % unit;
        if (frac == 0)
        {
            return whole.ToString(CultureInfo.InvariantCulture);
        }

        var width = unit.ToString(CultureInfo.InvariantCulture).Length - 1;
        return whole.ToString(CultureInfo.InvariantCulture) + "." + frac.ToString(CultureInfo.InvariantCulture).PadLeft(width, '0').TrimEnd('0');
    }

    /// <summary>time.ParseDuration for the units ns us µs ms s m h, signed and fractional.</summary>
    public static long? ParseDuration(string s)
    {
        if (s is "0")
        {
            return 0;
        }

        var neg = s.StartsWith('-');
        var rest = s.TrimStart('-', '+');
        if (rest.Length == 0)
        {
            return null;
        }

        double total = 0;
        var i = 0;
        while (i < rest.Length)
        {
            var start = i;
            while (i < rest.Length && (char.IsAsciiDigit(rest[i]) || rest[i] == '.'))
            {
                i++;
            }

            if (start == i || !double.TryParse(rest.AsSpan(start, i - start), NumberStyles.Float, CultureInfo.InvariantCulture, out var n))
            {
                return null;
            }

            var unitStart = i;
            while (i < rest.Length && !char.IsAsciiDigit(rest[i]) && rest[i] != '.')
            {
                i++;
            }

            double mult = rest[unitStart..i] switch
            {
                "ns" => 1,
                "us" or "µs" or "μs" => 1e3,
                "ms" => 1e6,
                "s" => 1e9,
                "m" => 60e9,
                "h" => 3600e9,
                _ => double.NaN,
            };
            if (double.IsNaN(mult))
            {
                return null;
            }

            total += n * mult;
        }

        return (long)(neg ? -total : total);
    }
}

internal static partial class Sprig
{
    private static GoTime? AsTime(object? v) => v switch
    {
        GoTime t => t,
        int or long => new GoTime(DateTimeOffset.FromUnixTimeSeconds(GoValues.AsLong(v)), "UTC"),
        _ => null,
    };

    private static void RegisterDates(Dictionary<string, TemplateFunc> f, TimeProvider time)
    {
        GoTime Now() => new(time.GetUtcNow(), "UTC");
        string DateFormat(string layout, object? date, string? zone)
        {
            var t = AsTime(date) ?? Now();
            if (zone is not null && zone is not ("UTC" or "Local" or ""))
            {
                try
                {
                    var tz = TimeZoneInfo.FindSystemTimeZoneById(zone);
                    var converted = TimeZoneInfo.ConvertTime(t.Value, tz);
                    return GoLayout.Format(converted, layout, tz.IsDaylightSavingTime(converted) ? tz.DaylightName : tz.StandardName);
                }
                catch (TimeZoneNotFoundException)
                {
                    // Sprig falls back to UTC for an unknown zone.
                }
            }

            return GoLayout.Format(t.Value.ToUniversalTime(), layout, "UTC");
        }

        f["now"] = TemplateFunc.Fixed(0, _ => Now());
        f["date"] = TemplateFunc.Fixed(2, a => DateFormat(GoValues.Str(a[0]), a[1], null));
        f["dateInZone"] = TemplateFunc.Fixed(3, a => DateFormat(GoValues.Str(a[0]), a[1], GoValues.Str(a[2])));
        f["date_in_zone"] = f["dateInZone"];
        f["htmlDate"] = F1(d => DateFormat("2006-01-02", d, null));
        f["htmlDateInZone"] = F2((d, z) => DateFormat("2006-01-02", d, GoValues.Str(z)));
        f["unixEpoch"] = F1(d => (AsTime(d) ?? Now()).Value.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
        f["dateModify"] = F2((fmt, d) =>
        {
            var t = AsTime(d) ?? throw new GoArgException($"wrong type for value; expected time.Time; got {GoValues.TypeName(d)}");
            return GoLayout.ParseDuration(GoValues.Str(fmt)) is { } n ? new GoTime(t.Value.AddTicks(n / 100), t.Zone) : t;
        });
        f["date_modify"] = f["dateModify"];
        f["mustDateModify"] = F2((fmt, d) =>
        {
            var t = AsTime(d) ?? throw new GoArgException($"wrong type for value; expected time.Time; got {GoValues.TypeName(d)}");
            return GoLayout.ParseDuration(GoValues.Str(fmt)) is { } n ? new GoTime(t.Value.AddTicks(n / 100), t.Zone) : throw new GoFuncException($"time: invalid duration {GoStrings.Quote(GoValues.Str(fmt))}");
        });
        f["toDate"] = S2((fmt, s) => ParseTime(fmt, s) ?? new GoTime(new DateTimeOffset(1, 1, 1, 0, 0, 0, TimeSpan.Zero), "UTC"));
        f["mustToDate"] = S2((fmt, s) => ParseTime(fmt, s) ?? throw new GoFuncException($"parsing time {GoStrings.Quote(s)} as {GoStrings.Quote(fmt)}: cannot parse"));
        f["ago"] = F1(d => GoLayout.Duration((long)Math.Round((Now().Value - (AsTime(d) ?? Now()).Value).TotalSeconds) * 1_000_000_000L));
        f["duration"] = F1(v => GoLayout.Duration(v switch
        {
            // Sprig takes only a string or an int64 here; any other type counts as zero.
            string s => long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n * 1_000_000_000L : 0,
            long l => l * 1_000_000_000L,
            _ => 0,
        }));
        f["durationRound"] = F1(v =>
        {
            var nanos = v switch
            {
                string s => GoLayout.ParseDuration(s) ?? 0,
                GoTime t => (Now().Value - t.Value).Ticks * 100,
                _ => GoValues.ToInt64(v),
            };
            return DurationRound(nanos);
        });
    }

    private static GoTime? ParseTime(string layout, string value)
    {
        var net = layout.Replace("2006", "yyyy", StringComparison.Ordinal).Replace("01", "MM", StringComparison.Ordinal).Replace("02", "dd", StringComparison.Ordinal)
            .Replace("15", "HH", StringComparison.Ordinal).Replace("04", "mm", StringComparison.Ordinal).Replace("05", "ss", StringComparison.Ordinal)
            .Replace("Z07:00", "K", StringComparison.Ordinal).Replace("-07:00", "zzz", StringComparison.Ordinal).Replace("MST", "'UTC'", StringComparison.Ordinal);
        return DateTimeOffset.TryParseExact(value, net, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? new GoTime(t, t.Offset == TimeSpan.Zero ? "UTC" : "") : null;
    }

    private static string DurationRound(long nanos)
    {
        var u = (ulong)Math.Abs(nanos);
        const ulong second = 1_000_000_000UL, minute = 60 * second, hour = 60 * minute, day = 24 * hour, month = 30 * day, year = 365 * day;
        return u switch
        {
            > year => u / year + "y",
            > month => u / month + "mo",
            > day => u / day + "d",
            > hour => u / hour + "h",
            > minute => u / minute + "m",
            > second => u / second + "s",
            _ => "0s",
        };
    }
}
