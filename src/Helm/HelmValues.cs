using System.Globalization;
using System.Text;
using Fleet.Helm.Charts;
using Fleet.Helm.Formats;
using Fleet.Helm.Template;

namespace Fleet.Helm;

/// <summary>
/// User values as `helm template` builds them from -f files and --set / --set-string (Helm's strvals syntax:
/// dotted keys, list indexes a[0], lists {a,b}, backslash escapes), merged in order with later values winning.
/// </summary>
public static class HelmValues
{
    /// <summary>Values from a YAML document (numbers become floats, as in Helm).</summary>
    public static Dictionary<string, object?> Parse(string yaml, string source = "values") => ChartLoader.LoadValues(yaml, source);

    /// <summary>
    /// Values given as JSON (an Application spec, a Secret's JSON), as Helm would read the same document from YAML:
    /// objects become maps, every number a float64.
    /// </summary>
    public static Dictionary<string, object?> FromJson(System.Text.Json.Nodes.JsonObject json)
    {
        ArgumentNullException.ThrowIfNull(json);
        using var doc = System.Text.Json.JsonDocument.Parse(json.ToJsonString());
        return (Dictionary<string, object?>)GoJson.FromElement(doc.RootElement)!;
    }

    /// <summary>Deep merge: maps merge, anything else in <paramref name="overrides"/> replaces.</summary>
    public static Dictionary<string, object?> Merge(Dictionary<string, object?> values, IDictionary<string, object?> overrides) => Values.MergeMaps(values, overrides);

    /// <summary>
    /// Values as `helm template -f ... --set ... --set-string ...` builds them: every file in order, then every
    /// --set, then every --set-string (Helm applies the kinds in that order, not as given on the command line).
    /// </summary>
    public static Dictionary<string, object?> Build(IEnumerable<string> valueFiles, IEnumerable<string> sets, IEnumerable<string> setStrings)
    {
        var values = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var file in valueFiles)
        {
            if (!File.Exists(file))
            {
                throw new HelmException($"open {file}: no such file or directory");
            }

            values = Merge(values, Parse(File.ReadAllText(file), $"failed to parse {file}"));
        }

        foreach (var set in sets)
        {
            ApplySet(values, set);
        }

        foreach (var set in setStrings)
        {
            ApplySetString(values, set);
        }

        return values;
    }

    /// <summary>Applies one --set expression ("a.b=1,c[0]=x,d={y,z}").</summary>
    public static void ApplySet(Dictionary<string, object?> values, string expression) => new SetParser(expression, stringsOnly: false).Apply(values);

    /// <summary>Applies one --set-string expression (every value a string).</summary>
    public static void ApplySetString(Dictionary<string, object?> values, string expression) => new SetParser(expression, stringsOnly: true).Apply(values);

    /// <summary>The values as YAML (sorted keys), as toYaml writes them.</summary>
    public static string ToYaml(IDictionary<string, object?> values) => GoYaml.Dump(values);

    private sealed class SetParser(string text, bool stringsOnly)
    {
        private int _pos;

        public void Apply(Dictionary<string, object?> values)
        {
            while (_pos < text.Length)
            {
                ParseAssignment(values);
            }
        }

        private HelmException Error(string message) => new($"failed parsing --set data: {message}");

        /// <summary>Reads until one of the stop characters (backslash escapes one character); returns the text and the stop (or -1 at end).</summary>
        private (string Text, int Stop) Until(string stops)
        {
            var sb = new StringBuilder();
            while (_pos < text.Length)
            {
                var c = text[_pos++];
                if (c == '\\' && _pos < text.Length)
                {
                    sb.Append(text[_pos++]);
                    continue;
                }

                if (stops.Contains(c, StringComparison.Ordinal))
                {
                    return (sb.ToString(), c);
                }

                sb.Append(c);
            }

            return (sb.ToString(), -1);
        }

        private void ParseAssignment(Dictionary<string, object?> data)
        {
            var (key, stop) = Until(".[=,");
            if (key.Length == 0 && stop == ',')
            {
                return;
            }

            switch (stop)
            {
                case -1:
                    throw Error($"key \"{key}\" has no value");
                case ',':
                    throw Error($"key \"{key}\" has no value (cannot end with ,)");
                case '.':
                    var inner = data.Get(key) as Dictionary<string, object?> ?? GoValues.NewMap();
                    data[key] = inner;
                    ParseAssignment(inner);
                    return;
                case '[':
                    var list = data.Get(key) as List<object?> ?? [];
                    data[key] = ParseIndexed(list);
                    return;
                default:
                    data[key] = ParseValue();
                    return;
            }
        }

        private List<object?> ParseIndexed(List<object?> list)
        {
            var (idxText, stop) = Until("]");
            if (stop != ']' || !int.TryParse(idxText, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            {
                throw Error($"invalid index {idxText}");
            }

            if (index > 65536)
            {
                throw Error($"index of {index} is greater than maximum supported index of 65536");
            }

            while (list.Count <= index)
            {
                list.Add(null);
            }

            if (_pos >= text.Length)
            {
                throw Error("unexpected end after index");
            }

            var next = text[_pos++];
            switch (next)
            {
                case '=':
                    list[index] = ParseValue();
                    return list;
                case '.':
                    var inner = list[index] as Dictionary<string, object?> ?? GoValues.NewMap();
                    list[index] = inner;
                    ParseAssignment(inner);
                    return list;
                case '[':
                    list[index] = ParseIndexed(list[index] as List<object?> ?? []);
                    return list;
                default:
                    throw Error($"unexpected '{next}' after index");
            }
        }

        private object? ParseValue()
        {
            if (_pos < text.Length && text[_pos] == '{')
            {
                _pos++;
                var items = new List<object?>();
                while (true)
                {
                    var (item, stop) = Until(",}");
                    if (stop == -1)
                    {
                        throw Error("list must terminate with '}'");
                    }

                    if (item.Length > 0 || stop == ',')
                    {
                        items.Add(Typed(item));
                    }

                    if (stop == '}')
                    {
                        break;
                    }
                }

                if (_pos < text.Length && text[_pos] == ',')
                {
                    _pos++;
                }

                return items;
            }

            var (value, _) = Until(",");
            return Typed(value);
        }

        private object? Typed(string v)
        {
            if (stringsOnly)
            {
                return v;
            }

            if (v.Equals("true", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            if (v.Equals("false", StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }

            if (v.Equals("null", StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }

            if (v == "0")
            {
                return 0L;
            }

            if (v.Length > 0 && v[0] != '0' && long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
            {
                return n;
            }

            return v;
        }
    }
}
