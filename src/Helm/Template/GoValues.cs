using System.Globalization;
using System.Text;

namespace Fleet.Helm.Template;

/// <summary>
/// A Go struct (or other non-map value with fields and methods) as templates see it: <c>.Chart.Name</c>,
/// <c>.Files.Get "x"</c>, <c>.Capabilities.APIVersions.Has "v1"</c>.
/// </summary>
internal abstract class GoObject
{
    /// <summary>The Go type name, used in error messages and by <c>typeOf</c>.</summary>
    public abstract string GoType { get; }

    /// <summary>A field or a method that takes no arguments.</summary>
    public abstract bool TryGetField(string name, out object? value);

    /// <summary>A method taking arguments, or null.</summary>
    public virtual Func<object?[], object?>? Method(string name) => null;

    /// <summary>The value's String() method (fmt.Stringer), or null when it has none.</summary>
    public virtual string? GoString() => null;

    /// <summary>The %v rendering of the value without a String() method.</summary>
    public virtual string FormatValue() => "{}";

    /// <summary>What encoding/json makes of the value (its exported fields under their JSON names).</summary>
    public virtual object? JsonValue() => GoString() ?? FormatValue();
}

/// <summary>An error a template function returned (wrapped as "error calling NAME: ...").</summary>
internal sealed class GoFuncException(string message) : Exception(message);

/// <summary>An argument a function cannot take (Go's "wrong type for value" before the call).</summary>
internal sealed class GoArgException(string message) : Exception(message);

/// <summary>Go's view of the .NET values templates work on: kinds, truth, %v formatting and the numeric conversions of Go and Sprig.</summary>
internal static class GoValues
{
    public static string TypeName(object? v) => v switch
    {
        null => "<nil>",
        bool => "bool",
        int => "int",
        long => "int64",
        double => "float64",
        string => "string",
        byte[] => "[]uint8",
        IDictionary<string, object?> => "map[string]interface {}",
        IList<object?> => "[]interface {}",
        GoObject o => o.GoType,
        _ => v.GetType().Name,
    };

    /// <summary>reflect.Kind names, as Sprig's kindOf prints them.</summary>
    public static string KindName(object? v) => v switch
    {
        null => "invalid",
        bool => "bool",
        int => "int",
        long => "int64",
        double => "float64",
        string => "string",
        byte[] => "slice",
        IDictionary<string, object?> => "map",
        IList<object?> => "slice",
        GoObject o when o.GoType.StartsWith('*') => "ptr",
        _ => "struct",
    };

    public static bool IsTrue(object? v) => v switch
    {
        null => false,
        bool b => b,
        int i => i != 0,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        byte[] b => b.Length > 0,
        IDictionary<string, object?> m => m.Count > 0,
        IList<object?> l => l.Count > 0,
        IGoRangeable r => r.Entries().Any(),
        _ => true,
    };

    public static bool IsInteger(object? v) => v is int or long;

    public static long AsLong(object? v) => v switch
    {
        int i => i,
        long l => l,
        _ => throw new InvalidOperationException("not an integer"),
    };

    /// <summary>fmt's %v (Print) of a value.</summary>
    public static string Format(object? v)
    {
        var sb = new StringBuilder();
        Format(sb, v, top: true);
        return sb.ToString();
    }

    public static void Format(StringBuilder sb, object? v, bool top = false)
    {
        switch (v)
        {
            case null:
                sb.Append("<nil>");
                break;
            case string s:
                sb.Append(s);
                break;
            case bool b:
                sb.Append(b ? "true" : "false");
                break;
            case int i:
                sb.Append(i.ToString(CultureInfo.InvariantCulture));
                break;
            case long l:
                sb.Append(l.ToString(CultureInfo.InvariantCulture));
                break;
            case double d:
                sb.Append(FormatFloat(d, 'g', -1));
                break;
            case byte[] bytes:
                sb.Append('[');
                for (var i = 0; i < bytes.Length; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(' ');
                    }

                    sb.Append(bytes[i].ToString(CultureInfo.InvariantCulture));
                }

                sb.Append(']');
                break;
            case IDictionary<string, object?> map:
                sb.Append("map[");
                var first = true;
                foreach (var key in SortedKeys(map))
                {
                    if (!first)
                    {
                        sb.Append(' ');
                    }

                    first = false;
                    sb.Append(key).Append(':');
                    Format(sb, map[key]);
                }

                sb.Append(']');
                break;
            case IList<object?> list:
                sb.Append('[');
                for (var i = 0; i < list.Count; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(' ');
                    }

                    Format(sb, list[i]);
                }

                sb.Append(']');
                break;
            case GoObject o:
                sb.Append(o.GoString() ?? o.FormatValue());
                break;
            default:
                sb.Append(v);
                break;
        }

        _ = top;
    }

    public static List<string> SortedKeys(IDictionary<string, object?> map)
    {
        var keys = new List<string>(map.Keys);
        keys.Sort(StringComparer.Ordinal);
        return keys;
    }

    /// <summary>The shortest decimal digits of |d| and the decimal point position: |d| = 0.DIGITS x 10^dp.</summary>
    public static (string Digits, int Dp) ShortestDigits(double d)
    {
        var shortest = Math.Abs(d).ToString("R", CultureInfo.InvariantCulture);
        var exp = 0;
        var e = shortest.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            exp = int.Parse(shortest.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            shortest = shortest[..e];
        }

        var dot = shortest.IndexOf('.', StringComparison.Ordinal);
        var intPart = dot >= 0 ? shortest[..dot] : shortest;
        var frac = dot >= 0 ? shortest[(dot + 1)..] : "";
        var digits = (intPart + frac).TrimStart('0');
        var lead = (intPart + frac).Length - digits.Length;
        var dp = intPart.Length + exp - lead;
        digits = digits.TrimEnd('0');
        if (digits.Length == 0)
        {
            return ("0", 1);
        }

        return (digits, dp);
    }

    /// <summary>strconv.FormatFloat(d, fmt, prec, 64) for fmt in e, E, f, g, G (prec -1 is the shortest).</summary>
    public static string FormatFloat(double d, char fmt, int prec)
    {
        if (double.IsNaN(d))
        {
            return "NaN";
        }

        if (double.IsInfinity(d))
        {
            return d > 0 ? "+Inf" : "-Inf";
        }

        var neg = d < 0 || (d == 0 && double.IsNegative(d));
        string digits;
        int dp;
        if (prec < 0)
        {
            (digits, dp) = d == 0 ? ("0", 1) : ShortestDigits(d);
        }
        else
        {
            (digits, dp) = RoundedDigits(Math.Abs(d), fmt, prec);
        }

        var sb = new StringBuilder();
        if (neg)
        {
            sb.Append('-');
        }

        var shortest = prec < 0;
        switch (fmt)
        {
            case 'e' or 'E':
                AppendE(sb, digits, dp, shortest ? digits.Length - 1 : prec, fmt);
                break;
            case 'f':
                AppendF(sb, digits, dp, shortest ? Math.Max(digits.Length - dp, 0) : prec);
                break;
            default:
                var eprec = prec;
                if (eprec > digits.Length && digits.Length >= dp)
                {
                    eprec = digits.Length;
                }

                if (shortest)
                {
                    eprec = 6;
                }

                var exp = dp - 1;
                if (d == 0)
                {
                    exp = 0;
                }

                if (exp < -4 || exp >= eprec)
                {
                    AppendE(sb, digits, dp, (shortest ? digits.Length : Math.Min(prec, digits.Length)) - 1, fmt == 'G' ? 'E' : 'e');
                }
                else
                {
                    AppendF(sb, digits, dp, Math.Max((shortest ? digits.Length : Math.Min(prec, digits.Length)) - dp, 0));
                }

                break;
        }

        return sb.ToString();
    }

    private static (string Digits, int Dp) RoundedDigits(double d, char fmt, int prec)
    {
        if (d == 0)
        {
            return ("0", 1);
        }

        string s;
        if (fmt == 'f')
        {
            s = d.ToString("F" + prec.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
            var dot = s.IndexOf('.', StringComparison.Ordinal);
            var ip = dot >= 0 ? s[..dot] : s;
            var fr = dot >= 0 ? s[(dot + 1)..] : "";
            var all = ip + fr;
            var trimmed = all.TrimStart('0');
            var dp = ip.Length - (all.Length - trimmed.Length);
            return trimmed.Length == 0 ? ("0", 1) : (trimmed, dp);
        }

        var sig = fmt is 'e' or 'E' ? prec + 1 : Math.Max(prec, 1);
        s = d.ToString("E" + (sig - 1).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        var e = s.IndexOf('E', StringComparison.Ordinal);
        var exp = int.Parse(s.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var mant = s[..e].Replace(".", "", StringComparison.Ordinal);
        if (fmt is 'g' or 'G')
        {
            mant = mant.TrimEnd('0');
            if (mant.Length == 0)
            {
                mant = "0";
            }
        }

        return (mant, exp + 1);
    }

    private static void AppendE(StringBuilder sb, string digits, int dp, int prec, char fmt)
    {
        sb.Append(digits[0]);
        if (prec > 0)
        {
            sb.Append('.');
            for (var i = 1; i <= prec; i++)
            {
                sb.Append(i < digits.Length ? digits[i] : '0');
            }
        }

        var exp = digits == "0" ? 0 : dp - 1;
        sb.Append(fmt == 'E' ? 'E' : 'e').Append(exp < 0 ? '-' : '+');
        exp = Math.Abs(exp);
        if (exp < 10)
        {
            sb.Append('0');
        }

        sb.Append(exp.ToString(CultureInfo.InvariantCulture));
    }

    private static void AppendF(StringBuilder sb, string digits, int dp, int prec)
    {
        if (dp > 0)
        {
            for (var i = 0; i < dp; i++)
            {
                sb.Append(i < digits.Length ? digits[i] : '0');
            }
        }
        else
        {
            sb.Append('0');
        }

        if (prec > 0)
        {
            sb.Append('.');
            for (var i = 0; i < prec; i++)
            {
                var j = dp + i;
                sb.Append(j >= 0 && j < digits.Length ? digits[j] : '0');
            }
        }
    }

    /// <summary>encoding/json's float64 formatting.</summary>
    public static string FormatJsonFloat(double d)
    {
        var abs = Math.Abs(d);
        if (abs != 0 && (abs < 1e-6 || abs >= 1e21))
        {
            var s = FormatFloat(d, 'e', -1);
            var n = s.Length;
            if (n >= 4 && s[n - 4] == 'e' && s[n - 3] == '-' && s[n - 2] == '0')
            {
                s = s[..(n - 2)] + s[n - 1];
            }

            return s;
        }

        return FormatFloat(d, 'f', -1);
    }

    // ---- Sprig's (spf13/cast) conversions ----

    public static long ToInt64(object? v)
    {
        switch (v)
        {
            case null:
                return 0;
            case int i:
                return i;
            case long l:
                return l;
            case double d:
                return double.IsNaN(d) ? long.MinValue : (long)d;
            case bool b:
                return b ? 1 : 0;
            case string s:
                var t = TrimZeroDecimal(s);
                if (TryParseGoInt(t, out var parsed))
                {
                    return parsed;
                }

                return 0;
            default:
                return 0;
        }
    }

    private static string TrimZeroDecimal(string s)
    {
        var dot = s.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0 && s[(dot + 1)..].All(c => c == '0'))
        {
            return s[..dot];
        }

        return s;
    }

    /// <summary>strconv.ParseInt(s, 0, 64): decimal, 0x, 0o, 0b and leading-zero octal, with underscores after a prefix.</summary>
    public static bool TryParseGoInt(string s, out long value)
    {
        value = 0;
        if (s.Length == 0)
        {
            return false;
        }

        var neg = false;
        var body = s;
        if (body[0] is '+' or '-')
        {
            neg = body[0] == '-';
            body = body[1..];
        }

        ulong mag;
        try
        {
            if (body.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            {
                if (!ulong.TryParse(body.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out mag))
                {
                    return false;
                }
            }
            else if (body.StartsWith("0b", StringComparison.OrdinalIgnoreCase) || body.StartsWith("0o", StringComparison.OrdinalIgnoreCase) || (body.Length > 1 && body[0] == '0' && body.All(char.IsAsciiDigit)))
            {
                var radix = body[1] is 'b' or 'B' ? 2 : 8;
                var digits = char.IsAsciiDigit(body[1]) ? body[1..] : body[2..];
                if (digits.Length == 0)
                {
                    return false;
                }

                mag = 0;
                foreach (var c in digits)
                {
                    var dgt = c - '0';
                    if (dgt < 0 || dgt >= radix)
                    {
                        return false;
                    }

                    mag = checked((mag * (ulong)radix) + (ulong)dgt);
                }
            }
            else if (!ulong.TryParse(body, NumberStyles.None, CultureInfo.InvariantCulture, out mag))
            {
                return false;
            }
        }
        catch (OverflowException)
        {
            return false;
        }

        if (mag > (neg ? 9223372036854775808UL : long.MaxValue))
        {
            return false;
        }

        value = neg ? (long)(0 - mag) : (long)mag;
        return true;
    }

    public static int ToInt(object? v) => unchecked((int)ToInt64(v));

    public static double ToFloat64(object? v) => v switch
    {
        null => 0,
        int i => i,
        long l => l,
        double d => d,
        bool b => b ? 1 : 0,
        string s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : 0,
        _ => 0,
    };

    /// <summary>Sprig's strval: strings as they are, []byte as text, Stringers by String(), everything else by %v.</summary>
    public static string StrVal(object? v) => v switch
    {
        string s => s,
        byte[] b => Encoding.UTF8.GetString(b),
        GoObject o when o.GoString() is { } str => str,
        _ => Format(v),
    };

    /// <summary>A function parameter of Go type string.</summary>
    public static string Str(object? v) => v switch
    {
        string s => s,
        null => throw new GoArgException("invalid value; expected string"),
        _ => throw new GoArgException($"wrong type for value; expected string; got {TypeName(v)}"),
    };

    /// <summary>A function parameter of Go type int.</summary>
    public static int Int(object? v) => v switch
    {
        int i => i,
        long l => (int)l,
        null => throw new GoArgException("invalid value; expected int"),
        _ => throw new GoArgException($"wrong type for value; expected int; got {TypeName(v)}"),
    };

    public static IList<object?>? ListOrNull(object? v) => v switch
    {
        IList<object?> l => l,
        _ => null,
    };

    public static IDictionary<string, object?> Map(object? v) => v switch
    {
        IDictionary<string, object?> m => m,
        null => throw new GoArgException("invalid value; expected map[string]interface {}"),
        _ => throw new GoArgException($"wrong type for value; expected map[string]interface {{}}; got {TypeName(v)}"),
    };

    public static Dictionary<string, object?> NewMap() => new(StringComparer.Ordinal);
}

/// <summary>Map lookups on the interface type templates use.</summary>
internal static class MapExtensions
{
    public static object? Get(this IDictionary<string, object?> map, string key) => map.TryGetValue(key, out var v) ? v : null;
}
