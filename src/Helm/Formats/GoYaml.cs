using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Fleet.Helm.Template;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Fleet.Helm.Formats;

/// <summary>YAML that cannot be read, with the line it failed at.</summary>
public sealed class HelmYamlException(string message) : Exception(message);

/// <summary>
/// YAML as Helm reads and writes it: sigs.k8s.io/yaml over go-yaml v2, so YAML 1.1 scalars (<c>yes</c>, <c>on</c>,
/// <c>0777</c>), merge keys, keys turned into strings, and (for values) every number a float64 as after its JSON step.
/// YamlDotNet does the parsing; scalar resolution is go-yaml's and is written here.
/// </summary>
internal static partial class GoYaml
{
    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();

    [GeneratedRegex(@"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$")]
    private static partial Regex DatePattern();

    /// <summary>Reads the first document (as sigs.k8s.io/yaml.Unmarshal does). <paramref name="floatNumbers"/> makes every number a double.</summary>
    public static object? Load(string text, bool floatNumbers, int maxDepth = 200)
    {
        var docs = LoadAll(text, floatNumbers, maxDepth, firstOnly: true);
        return docs.Count == 0 ? null : docs[0];
    }

    public static List<object?> LoadAll(string text, bool floatNumbers, int maxDepth = 200, bool firstOnly = false)
    {
        var result = new List<object?>();
        try
        {
            var parser = new YamlDotNet.Core.Parser(new StringReader(BlankWhitespaceLines(text)));
            parser.Consume<StreamStart>();
            while (!parser.TryConsume<StreamEnd>(out _))
            {
                parser.Consume<DocumentStart>();
                var reader = new Reader(parser, floatNumbers, maxDepth);
                var value = parser.Accept<DocumentEnd>(out _) ? null : reader.Read(0);
                parser.Consume<DocumentEnd>();
                result.Add(value);
                if (firstOnly)
                {
                    break;
                }
            }
        }
        catch (YamlException e)
        {
            var message = e.InnerException is YamlException inner ? inner.Message : e.Message;
            throw new HelmYamlException($"yaml: line {e.Start.Line}: {StripMark(message)}");
        }

        return result;
    }

    /// <summary>
    /// Empties lines made only of spaces that are no deeper than the next non-blank line. They mean the same to
    /// libyaml either way, but YamlDotNet rejects one at the start of a block scalar ("found extra spaces in first
    /// line"), which templates using indent produce all the time.
    /// </summary>
    private static string BlankWhitespaceLines(string text)
    {
        if (!text.Contains("\n ", StringComparison.Ordinal) && !text.StartsWith(' '))
        {
            return text;
        }

        var lines = text.Split('\n');
        var changed = false;
        var nextIndent = 0;
        for (var i = lines.Length - 1; i >= 0; i--)
        {
            var line = lines[i];
            var spaces = 0;
            while (spaces < line.Length && line[spaces] == ' ')
            {
                spaces++;
            }

            if (spaces == line.Length)
            {
                if (spaces > 0 && spaces <= nextIndent)
                {
                    lines[i] = "";
                    changed = true;
                }

                continue;
            }

            nextIndent = spaces;
        }

        return changed ? string.Join('\n', lines) : text;
    }

    /// <summary>YamlDotNet's wording made closer to libyaml's ("While parsing a node, did not find ..." becomes "did not find ...").</summary>
    private static string StripMark(string message)
    {
        var i = message.IndexOf("): ", StringComparison.Ordinal);
        message = message.StartsWith("(Line", StringComparison.Ordinal) && i > 0 ? message[(i + 3)..] : message;
        var comma = message.IndexOf(", ", StringComparison.Ordinal);
        if (message.StartsWith("While ", StringComparison.Ordinal) && comma > 0)
        {
            message = message[(comma + 2)..];
        }

        return message.TrimEnd('.');
    }

    private sealed class Reader(IParser parser, bool floatNumbers, int maxDepth)
    {
        private readonly Dictionary<string, object?> _anchors = new(StringComparer.Ordinal);

        public object? Read(int depth)
        {
            if (depth > maxDepth)
            {
                throw new HelmYamlException($"yaml: nesting deeper than {maxDepth} levels");
            }

            if (parser.TryConsume<AnchorAlias>(out var alias))
            {
                if (!_anchors.TryGetValue(alias.Value.Value, out var target))
                {
                    throw new HelmYamlException($"yaml: unknown anchor '{alias.Value.Value}' referenced");
                }

                return DeepCopy(target);
            }

            if (parser.TryConsume<Scalar>(out var scalar))
            {
                var v = Resolve(scalar, floatNumbers);
                Remember(scalar.Anchor, v);
                return v;
            }

            if (parser.TryConsume<SequenceStart>(out var seqStart))
            {
                var list = new List<object?>();
                Remember(seqStart.Anchor, list);
                while (!parser.TryConsume<SequenceEnd>(out _))
                {
                    list.Add(Read(depth + 1));
                }

                return list;
            }

            var mapStart = parser.Consume<MappingStart>();
            var map = GoValues.NewMap();
            Remember(mapStart.Anchor, map);
            var merged = new List<IDictionary<string, object?>>();
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var isMerge = parser.Accept<Scalar>(out var keyScalar) && keyScalar.Value == "<<" && keyScalar.Style == ScalarStyle.Plain;
                var key = Read(depth + 1);
                var value = Read(depth + 1);
                if (isMerge)
                {
                    switch (value)
                    {
                        case IDictionary<string, object?> m:
                            merged.Add(m);
                            break;
                        case IList<object?> l:
                            for (var i = l.Count - 1; i >= 0; i--)
                            {
                                if (l[i] is IDictionary<string, object?> lm)
                                {
                                    merged.Add(lm);
                                }
                                else
                                {
                                    throw new HelmYamlException("yaml: map merge requires map or sequence of maps as the value");
                                }
                            }

                            break;
                        default:
                            throw new HelmYamlException("yaml: map merge requires map or sequence of maps as the value");
                    }

                    continue;
                }

                map[KeyString(key)] = value;
            }

            foreach (var m in merged)
            {
                foreach (var (k, v) in m)
                {
                    map.TryAdd(k, DeepCopy(v));
                }
            }

            return map;
        }

        private void Remember(AnchorName anchor, object? value)
        {
            if (!anchor.IsEmpty)
            {
                _anchors[anchor.Value] = value;
            }
        }
    }

    private static string KeyString(object? key) => key switch
    {
        null => "null",
        string s => s,
        bool b => b ? "true" : "false",
        double d => GoValues.FormatFloat(d, 'g', -1),
        long l => l.ToString(CultureInfo.InvariantCulture),
        _ => GoValues.Format(key),
    };

    public static object? DeepCopy(object? v) => v switch
    {
        IDictionary<string, object?> m => m.ToDictionary(kv => kv.Key, kv => DeepCopy(kv.Value), StringComparer.Ordinal),
        IList<object?> l => l.Select(DeepCopy).ToList(),
        _ => v,
    };

    private static object? Resolve(Scalar scalar, bool floatNumbers)
    {
        var tag = scalar.Tag.IsEmpty ? "" : scalar.Tag.Value;
        var s = scalar.Value;
        if (tag is "tag:yaml.org,2002:str" or "!!str" || (scalar.Style != ScalarStyle.Plain && tag.Length == 0))
        {
            return s;
        }

        if (tag is "tag:yaml.org,2002:binary" or "!!binary")
        {
            return s;
        }

        var v = ResolvePlain(s);
        if (tag is "tag:yaml.org,2002:float" or "!!float" && v is long lv)
        {
            v = (double)lv;
        }

        if (floatNumbers && v is long l)
        {
            return (double)l;
        }

        return v;
    }

    /// <summary>go-yaml v2's resolution of a plain scalar: null, bool (YAML 1.1 words), int, float, else string.</summary>
    public static object? ResolvePlain(string s)
    {
        switch (s)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "y" or "Y" or "yes" or "Yes" or "YES" or "on" or "On" or "ON" or "true" or "True" or "TRUE":
                return true;
            case "n" or "N" or "no" or "No" or "NO" or "off" or "Off" or "OFF" or "false" or "False" or "FALSE":
                return false;
            case ".nan" or ".NaN" or ".NAN":
                return double.NaN;
            case ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF":
                return double.PositiveInfinity;
            case "-.inf" or "-.Inf" or "-.INF":
                return double.NegativeInfinity;
        }

        var c = s[0];
        if (c is not ('-' or '+' or '.' or (>= '0' and <= '9')))
        {
            return s;
        }

        var plain = s.Replace("_", "", StringComparison.Ordinal);
        if (GoValues.TryParseGoInt(plain, out var i))
        {
            return i;
        }

        if (plain.StartsWith("0b", StringComparison.Ordinal) || plain.StartsWith("-0b", StringComparison.Ordinal))
        {
            return s;
        }

        if (FloatPattern().IsMatch(plain) && double.TryParse(plain, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
        {
            return d;
        }

        return s;
    }

    // ---- writing, as sigs.k8s.io/yaml.Marshal (JSON first, so sorted keys and JSON number forms) ----

    /// <summary>YAML text of a value, ending in a newline, as sigs.k8s.io/yaml.Marshal writes it.</summary>
    public static string Dump(object? v)
    {
        var sb = new StringBuilder();
        var normalized = GoJson.Normalize(v);
        if (normalized is IDictionary<string, object?> { Count: > 0 } or IList<object?> { Count: > 0 })
        {
            WriteBlock(sb, normalized, 0);
        }
        else
        {
            sb.Append(Scalar(normalized, 0)).Append('\n');
        }

        return sb.ToString();
    }

    private static void WriteBlock(StringBuilder sb, object? v, int indent)
    {
        switch (v)
        {
            case IDictionary<string, object?> map:
                foreach (var key in GoValues.SortedKeys(map))
                {
                    sb.Append(' ', indent).Append(Scalar(key, indent)).Append(':');
                    WriteValue(sb, map[key], indent, inSequence: false);
                }

                break;
            case IList<object?> list:
                foreach (var item in list)
                {
                    sb.Append(' ', indent).Append('-');
                    if (item is IDictionary<string, object?> { Count: > 0 } m)
                    {
                        var first = true;
                        foreach (var key in GoValues.SortedKeys(m))
                        {
                            if (first)
                            {
                                sb.Append(' ');
                                first = false;
                            }
                            else
                            {
                                sb.Append(' ', indent + 2);
                            }

                            sb.Append(Scalar(key, indent + 2)).Append(':');
                            WriteValue(sb, m[key], indent + 2, inSequence: false);
                        }
                    }
                    else
                    {
                        WriteValue(sb, item, indent, inSequence: true);
                    }
                }

                break;
        }
    }

    private static void WriteValue(StringBuilder sb, object? value, int indent, bool inSequence)
    {
        switch (value)
        {
            case IDictionary<string, object?> { Count: > 0 } m:
                sb.Append('\n');
                WriteBlock(sb, m, indent + 2);
                break;
            case IList<object?> { Count: > 0 } l:
                sb.Append('\n');
                WriteBlock(sb, l, inSequence ? indent + 2 : indent);
                break;
            default:
                sb.Append(' ').Append(Scalar(value, indent + 2)).Append('\n');
                break;
        }
    }

    private static string Scalar(object? v, int indent) => v switch
    {
        null => "null",
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        int i => i.ToString(CultureInfo.InvariantCulture),
        double d => YamlFloat(d),
        string s => YamlString(s, indent),
        IDictionary<string, object?> => "{}",
        IList<object?> => "[]",
        _ => YamlString(GoValues.Format(v), indent),
    };

    private static string YamlFloat(double d)
    {
        if (double.IsNaN(d))
        {
            return ".nan";
        }

        if (double.IsInfinity(d))
        {
            return d > 0 ? ".inf" : "-.inf";
        }

        // JSON carried the number; go-yaml reads "3" back as an int and "1.5" or "1e+21" as a float.
        var json = GoValues.FormatJsonFloat(d);
        return GoValues.TryParseGoInt(json, out var asInt) ? asInt.ToString(CultureInfo.InvariantCulture) : GoValues.FormatFloat(d, 'g', -1);
    }

    private static string YamlString(string s, int indent)
    {
        if (s.Contains('\n', StringComparison.Ordinal) && CanUseLiteral(s))
        {
            var sb = new StringBuilder("|");
            if (s[0] is ' ' or '\n')
            {
                sb.Append('2');
            }

            var trailing = s.Length - s.TrimEnd('\n').Length;
            sb.Append(trailing == 0 ? "-" : trailing > 1 ? "+" : "");
            var body = trailing > 0 ? s[..^1] : s;
            foreach (var line in body.Split('\n'))
            {
                sb.Append('\n');
                if (line.Length > 0)
                {
                    sb.Append(' ', indent).Append(line);
                }
            }

            return sb.ToString();
        }

        if (IsPlainSafe(s))
        {
            return s;
        }

        // go-yaml double-quotes what would read back as another type ("true", "1.5"); otherwise the emitter falls
        // back from plain to single quotes, which templates run through tpl rely on ('{{ include "x" . }}').
        if (ResolvePlain(s) is string && !s.Contains('\n', StringComparison.Ordinal) && s.All(c => c >= ' ' && c != '\u007f' && c != '\uFEFF'))
        {
            return "'" + s.Replace("'", "''", StringComparison.Ordinal) + "'";
        }

        return GoJson.QuoteString(s, escapeHtml: false);
    }

    private static bool CanUseLiteral(string s)
    {
        foreach (var c in s)
        {
            if ((c < ' ' && c != '\n') || c == '\u007f' || c == '\uFEFF')
            {
                return false;
            }
        }

        // libyaml refuses block style for a space before a line break or at the very end.
        return !s.Contains(" \n", StringComparison.Ordinal) && !s.EndsWith(' ');
    }

    /// <summary>libyaml's test for a plain scalar in block context (go-yaml asks for plain when the text reads back as a string).</summary>
    private static bool IsPlainSafe(string s)
    {
        if (s.Length == 0 || ResolvePlain(s) is not string || DatePattern().IsMatch(s) || s[0] == ' ' || s[^1] == ' ')
        {
            return false;
        }

        var first = s[0];
        if (first is '#' or ',' or '[' or ']' or '{' or '}' or '&' or '*' or '!' or '|' or '>' or '\'' or '"' or '%' or '@' or '`')
        {
            return false;
        }

        if (first is '?' or ':' or '-' && (s.Length == 1 || s[1] == ' '))
        {
            return false;
        }

        foreach (var c in s)
        {
            if (c < ' ' || c == '\u007f' || (c > '\u007e' && !IsPrintableUnicode(c)))
            {
                return false;
            }
        }

        return !s.Contains(": ", StringComparison.Ordinal) && !s.Contains(" #", StringComparison.Ordinal) && !s.EndsWith(':');
    }

    private static bool IsPrintableUnicode(char c) =>
        c == '\u0085' || (c >= '\u00a0' && c <= '\ud7ff') || (c >= '\ue000' && c <= '\ufffd' && c != '\ufeff') || char.IsSurrogate(c);
}
