using System.Globalization;
using System.Text;

namespace Fleet.Helm.Template;

/// <summary>
/// Go's fmt.Sprintf, Sprint and Sprintln over template values (verbs v s d q x X o b c U e E f F g G t T and %%,
/// flags, width and precision, and fmt's %!verb(type=value) notes for mismatches). Written by hand: .NET's
/// composite formatting has other verbs and other number formatting.
/// </summary>
internal static class GoFormat
{
    public static string Sprint(IReadOnlyList<object?> args)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < args.Count; i++)
        {
            // Spaces are added between operands when neither is a string.
            if (i > 0 && args[i] is not string && args[i - 1] is not string)
            {
                sb.Append(' ');
            }

            GoValues.Format(sb, args[i]);
        }

        return sb.ToString();
    }

    public static string Sprintln(IReadOnlyList<object?> args)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < args.Count; i++)
        {
            if (i > 0)
            {
                sb.Append(' ');
            }

            GoValues.Format(sb, args[i]);
        }

        return sb.Append('\n').ToString();
    }

    private sealed class Flags
    {
        public bool Plus;
        public bool Minus;
        public bool Sharp;
        public bool Space;
        public bool Zero;
        public int Width = -1;
        public int Prec = -1;
    }

    public static string Sprintf(string format, IReadOnlyList<object?> args)
    {
        var sb = new StringBuilder();
        var argNum = 0;
        var i = 0;
        while (i < format.Length)
        {
            var c = format[i];
            if (c != '%')
            {
                var next = format.IndexOf('%', i);
                if (next < 0)
                {
                    next = format.Length;
                }

                sb.Append(format, i, next - i);
                i = next;
                continue;
            }

            i++;
            var f = new Flags();
            for (; i < format.Length; i++)
            {
                switch (format[i])
                {
                    case '#': f.Sharp = true; continue;
                    case '0': f.Zero = true; continue;
                    case '+': f.Plus = true; continue;
                    case '-': f.Minus = true; continue;
                    case ' ': f.Space = true; continue;
                }

                break;
            }

            if (i < format.Length && format[i] == '*')
            {
                i++;
                if (argNum < args.Count && GoValues.IsInteger(args[argNum]))
                {
                    f.Width = (int)GoValues.AsLong(args[argNum++]);
                    if (f.Width < 0)
                    {
                        f.Minus = true;
                        f.Width = -f.Width;
                    }
                }
                else
                {
                    argNum++;
                    sb.Append("%!(BADWIDTH)");
                }
            }
            else
            {
                f.Width = ParseNum(format, ref i);
            }

            if (i < format.Length && format[i] == '.')
            {
                i++;
                if (i < format.Length && format[i] == '*')
                {
                    i++;
                    if (argNum < args.Count && GoValues.IsInteger(args[argNum]))
                    {
                        f.Prec = (int)GoValues.AsLong(args[argNum++]);
                        if (f.Prec < 0)
                        {
                            f.Prec = -1;
                        }
                    }
                    else
                    {
                        argNum++;
                        sb.Append("%!(BADPREC)");
                    }
                }
                else
                {
                    var p = ParseNum(format, ref i);
                    f.Prec = p < 0 ? 0 : p;
                }
            }

            if (i >= format.Length)
            {
                sb.Append("%!(NOVERB)");
                break;
            }

            var verb = char.ConvertToUtf32(format, i);
            i += char.IsSurrogatePair(format, i) ? 2 : 1;
            if (verb == '%')
            {
                sb.Append('%');
                continue;
            }

            if (argNum >= args.Count)
            {
                sb.Append("%!").Append(char.ConvertFromUtf32(verb)).Append("(MISSING)");
                continue;
            }

            PrintArg(sb, args[argNum++], verb, f);
        }

        if (argNum < args.Count)
        {
            sb.Append("%!(EXTRA ");
            for (var k = argNum; k < args.Count; k++)
            {
                if (k > argNum)
                {
                    sb.Append(", ");
                }

                if (args[k] is null)
                {
                    sb.Append("<nil>");
                }
                else
                {
                    sb.Append(GoValues.TypeName(args[k])).Append('=');
                    GoValues.Format(sb, args[k]);
                }
            }

            sb.Append(')');
        }

        return sb.ToString();
    }

    private static int ParseNum(string s, ref int i)
    {
        var start = i;
        var n = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i]))
        {
            n = (n * 10) + (s[i] - '0');
            i++;
        }

        return i == start ? -1 : n;
    }

    private static void BadVerb(StringBuilder sb, object? arg, int verb)
    {
        sb.Append("%!").Append(char.ConvertFromUtf32(verb)).Append('(');
        if (arg is null)
        {
            sb.Append("<nil>");
        }
        else
        {
            sb.Append(GoValues.TypeName(arg)).Append('=');
            GoValues.Format(sb, arg);
        }

        sb.Append(')');
    }

    private static void Pad(StringBuilder sb, string s, Flags f, bool numeric = false)
    {
        var len = new StringInfo(s).LengthInTextElements;
        if (f.Width <= len)
        {
            sb.Append(s);
            return;
        }

        var pad = f.Width - len;
        if (f.Minus)
        {
            sb.Append(s).Append(' ', pad);
        }
        else if (f.Zero && numeric)
        {
            var sign = s.Length > 0 && s[0] is '-' or '+' or ' ' ? 1 : 0;
            sb.Append(s, 0, sign).Append('0', pad).Append(s, sign, s.Length - sign);
        }
        else
        {
            sb.Append(' ', pad).Append(s);
        }
    }

    private static void PrintArg(StringBuilder sb, object? arg, int verb, Flags f)
    {
        if (verb == 'T')
        {
            Pad(sb, GoValues.TypeName(arg), f);
            return;
        }

        switch (arg)
        {
            case null:
                if (verb == 'v')
                {
                    Pad(sb, "<nil>", f);
                }
                else
                {
                    BadVerb(sb, arg, verb);
                }

                return;
            case bool b:
                if (verb is 't' or 'v')
                {
                    Pad(sb, b ? "true" : "false", f);
                }
                else
                {
                    BadVerb(sb, arg, verb);
                }

                return;
            case int or long:
                FormatInteger(sb, GoValues.AsLong(arg), verb, f, arg);
                return;
            case double d:
                FormatFloatVerb(sb, d, verb, f, arg);
                return;
            case string s:
                FormatString(sb, s, verb, f, arg);
                return;
            case byte[] bytes:
                if (verb is 's' or 'q' or 'x' or 'X')
                {
                    FormatString(sb, Encoding.UTF8.GetString(bytes), verb, f, arg);
                    return;
                }

                break;
            case GoObject o when o.GoString() is { } str && verb is 'v' or 's' or 'q' or 'x' or 'X':
                FormatString(sb, str, verb, f, arg);
                return;
        }

        switch (arg)
        {
            case IDictionary<string, object?> map:
                var open = new StringBuilder("map[");
                var first = true;
                foreach (var key in GoValues.SortedKeys(map))
                {
                    if (!first)
                    {
                        open.Append(' ');
                    }

                    first = false;
                    PrintArg(open, key, verb, new Flags { Plus = f.Plus, Sharp = f.Sharp, Zero = f.Zero, Width = f.Width, Prec = f.Prec });
                    open.Append(':');
                    PrintArg(open, map[key], verb, new Flags { Plus = f.Plus, Sharp = f.Sharp, Zero = f.Zero, Width = f.Width, Prec = f.Prec });
                }

                sb.Append(open).Append(']');
                return;
            case IList<object?> list:
                sb.Append('[');
                for (var i = 0; i < list.Count; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(' ');
                    }

                    PrintArg(sb, list[i], verb, f);
                }

                sb.Append(']');
                return;
            case byte[] bytes2:
                sb.Append('[');
                for (var i = 0; i < bytes2.Length; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(' ');
                    }

                    FormatInteger(sb, bytes2[i], verb, f, (int)bytes2[i]);
                }

                sb.Append(']');
                return;
        }

        if (verb == 'v')
        {
            Pad(sb, GoValues.Format(arg), f);
            return;
        }

        BadVerb(sb, arg, verb);
    }

    private static void FormatInteger(StringBuilder sb, long v, int verb, Flags f, object arg)
    {
        string digits;
        var neg = v < 0;
        var mag = neg ? (ulong)(-(v + 1)) + 1 : (ulong)v;
        string prefix = "";
        switch (verb)
        {
            case 'v' or 'd':
                digits = mag.ToString(CultureInfo.InvariantCulture);
                break;
            case 'x':
                digits = mag.ToString("x", CultureInfo.InvariantCulture);
                prefix = f.Sharp ? "0x" : "";
                break;
            case 'X':
                digits = mag.ToString("X", CultureInfo.InvariantCulture);
                prefix = f.Sharp ? "0X" : "";
                break;
            case 'o' or 'O':
                digits = Convert.ToString((long)mag, 8);
                prefix = verb == 'O' ? "0o" : f.Sharp ? "0" : "";
                break;
            case 'b':
                digits = Convert.ToString((long)mag, 2);
                break;
            case 'c':
                Pad(sb, char.ConvertFromUtf32(ValidRune(v)), f);
                return;
            case 'q':
                Pad(sb, GoStrings.QuoteRune(ValidRune(v)), f);
                return;
            case 'U':
                var u = "U+" + mag.ToString("X4", CultureInfo.InvariantCulture);
                if (f.Sharp)
                {
                    u += " '" + char.ConvertFromUtf32(ValidRune(v)) + "'";
                }

                Pad(sb, u, f);
                return;
            case 'e' or 'E' or 'f' or 'F' or 'g' or 'G':
                BadVerb(sb, arg, verb);
                return;
            default:
                BadVerb(sb, arg, verb);
                return;
        }

        if (f.Prec >= 0)
        {
            if (f.Prec == 0 && v == 0)
            {
                digits = "";
            }

            if (digits.Length < f.Prec)
            {
                digits = new string('0', f.Prec - digits.Length) + digits;
            }
        }

        var sign = neg ? "-" : f.Plus ? "+" : f.Space ? " " : "";
        var s = sign + prefix + digits;
        if (f.Zero && !f.Minus && f.Prec < 0 && f.Width > s.Length)
        {
            s = sign + prefix + new string('0', f.Width - s.Length) + digits;
        }

        Pad(sb, s, f);
    }

    private static int ValidRune(long v) => v is < 0 or > 0x10FFFF or (>= 0xD800 and <= 0xDFFF) ? 0xFFFD : (int)v;

    private static void FormatFloatVerb(StringBuilder sb, double d, int verb, Flags f, object arg)
    {
        string s;
        switch (verb)
        {
            case 'v':
                s = GoValues.FormatFloat(d, 'g', f.Prec);
                break;
            case 'e' or 'E':
                s = GoValues.FormatFloat(d, (char)verb, f.Prec < 0 ? 6 : f.Prec);
                break;
            case 'f' or 'F':
                s = GoValues.FormatFloat(d, 'f', f.Prec < 0 ? 6 : f.Prec);
                break;
            case 'g' or 'G':
                s = GoValues.FormatFloat(d, (char)verb, f.Prec);
                break;
            default:
                BadVerb(sb, arg, verb);
                return;
        }

        if (f.Plus && !s.StartsWith('-') && !s.StartsWith('+'))
        {
            s = "+" + s;
        }
        else if (f.Space && !s.StartsWith('-'))
        {
            s = " " + s;
        }

        if (s is "+Inf" && !f.Plus)
        {
            s = "+Inf";
        }

        Pad(sb, s, f, numeric: !double.IsInfinity(d) && !double.IsNaN(d));
    }

    private static void FormatString(StringBuilder sb, string s, int verb, Flags f, object arg)
    {
        if (f.Prec >= 0 && verb is 's' or 'v' or 'q' or 'x' or 'X')
        {
            var info = new StringInfo(s);
            if (info.LengthInTextElements > f.Prec)
            {
                s = info.SubstringByTextElements(0, f.Prec);
            }
        }

        switch (verb)
        {
            case 'v' or 's':
                Pad(sb, s, f);
                return;
            case 'q':
                Pad(sb, f.Sharp && !s.Contains('`', StringComparison.Ordinal) && s.All(c => c >= ' ' || c == '\t') ? "`" + s + "`" : f.Plus ? GoStrings.QuoteAscii(s) : GoStrings.Quote(s), f);
                return;
            case 'x' or 'X':
                var hex = Convert.ToHexString(Encoding.UTF8.GetBytes(s));
                Pad(sb, verb == 'x' ? hex.ToLowerInvariant() : hex, f);
                return;
            default:
                BadVerb(sb, arg, verb);
                return;
        }
    }
}
