using System.Globalization;
using System.Text;
using Fleet.Helm.Formats;
using Fleet.Helm.Template;

namespace Fleet.Helm.Functions;

/// <summary>The functions Helm adds to Sprig's (engine/funcs.go and the late-bound include, tpl, required, fail).</summary>
internal static class HelmFunctions
{
    private const int RecursionMax = 1000;

    public static Dictionary<string, TemplateFunc> Create(TimeProvider time)
    {
        var f = new Dictionary<string, TemplateFunc>(StringComparer.Ordinal);
        Sprig.Register(f, time);
        f.Remove("env");
        f.Remove("expandenv");
        f["toToml"] = TemplateFunc.Fixed(1, a => GoToml.Marshal(a[0]));
        f["fromToml"] = TemplateFunc.Fixed(1, a => GoToml.Unmarshal(GoValues.Str(a[0])));
        f["toYaml"] = TemplateFunc.Fixed(1, a => ToYaml(a[0]));
        f["toYamlPretty"] = f["toYaml"];
        f["fromYaml"] = TemplateFunc.Fixed(1, a => FromYaml(GoValues.Str(a[0])));
        f["fromYamlArray"] = TemplateFunc.Fixed(1, a => FromYamlArray(GoValues.Str(a[0])));
        f["toJson"] = TemplateFunc.Fixed(1, a => ToJson(a[0]));
        f["fromJson"] = TemplateFunc.Fixed(1, a => FromJson(GoValues.Str(a[0])));
        f["fromJsonArray"] = TemplateFunc.Fixed(1, a => FromJsonArray(GoValues.Str(a[0])));
        f["lookup"] = TemplateFunc.Fixed(4, a =>
        {
            foreach (var x in a)
            {
                GoValues.Str(x);
            }

            return GoValues.NewMap();
        });
        f["getHostByName"] = TemplateFunc.Fixed(1, a => string.Empty);
        f["required"] = TemplateFunc.Fixed(2, a =>
        {
            var warn = GoValues.Str(a[0]);
            if (a[1] is null || a[1] is string { Length: 0 })
            {
                throw new GoFuncException(WarnWrap(warn));
            }

            return a[1];
        });
        f["fail"] = TemplateFunc.Fixed(1, a => throw new GoFuncException(WarnWrap(GoValues.Str(a[0]))));
        return f;
    }

    /// <summary>Marks a message from required/fail so the engine reports it as "execution error at (...)".</summary>
    public static string WarnWrap(string warn) => "HELM_ERR_START" + warn + "HELM_ERR_END";

    private static string ToYaml(object? v)
    {
        try
        {
            var s = GoYaml.Dump(v);
            return s.EndsWith('\n') ? s[..^1] : s;
        }
        catch (GoFuncException)
        {
            return "";
        }
    }

    private static string ToJson(object? v)
    {
        try
        {
            return GoJson.Marshal(v);
        }
        catch (GoFuncException)
        {
            return "";
        }
    }

    private static object FromYaml(string s)
    {
        try
        {
            return GoYaml.Load(s, floatNumbers: true) switch
            {
                null => GoValues.NewMap(),
                Dictionary<string, object?> m => m,
                IList<object?> => ErrorMap("error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type map[string]interface {}"),
                _ => ErrorMap("error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go value of type map[string]interface {}"),
            };
        }
        catch (HelmYamlException e)
        {
            return ErrorMap("error converting YAML to JSON: " + e.Message);
        }
    }

    private static object FromYamlArray(string s)
    {
        try
        {
            return GoYaml.Load(s, floatNumbers: true) switch
            {
                null => new List<object?>(),
                List<object?> l => l,
                _ => new List<object?> { "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal object into Go value of type []interface {}" },
            };
        }
        catch (HelmYamlException e)
        {
            return new List<object?> { "error converting YAML to JSON: " + e.Message };
        }
    }

    private static object FromJson(string s)
    {
        try
        {
            return GoJson.Unmarshal(s) switch
            {
                Dictionary<string, object?> m => m,
                null => GoValues.NewMap(),
                _ => ErrorMap("json: cannot unmarshal array into Go value of type map[string]interface {}"),
            };
        }
        catch (System.Text.Json.JsonException e)
        {
            return ErrorMap(e.Message);
        }
    }

    private static object FromJsonArray(string s)
    {
        try
        {
            return GoJson.Unmarshal(s) switch
            {
                List<object?> l => l,
                null => new List<object?>(),
                _ => new List<object?> { "json: cannot unmarshal object into Go value of type []interface {}" },
            };
        }
        catch (System.Text.Json.JsonException e)
        {
            return new List<object?> { e.Message };
        }
    }

    private static Dictionary<string, object?> ErrorMap(string message) => new(StringComparer.Ordinal) { ["Error"] = message };

    /// <summary>Adds include and tpl, bound to the template set they run in.</summary>
    public static void Bind(TemplateSet set, Dictionary<string, int> includedNames) => Bind(set, new IncludeState(includedNames), new Dictionary<string, Dictionary<string, Tree>>(StringComparer.Ordinal));

    /// <summary>How often each name is being included right now (Helm's recursion guard), and the nesting depth.</summary>
    private sealed class IncludeState(Dictionary<string, int> counts)
    {
        public Dictionary<string, int> Counts { get; } = counts;

        public int Depth { get; set; }
    }

    private static void Bind(TemplateSet set, IncludeState includedNames, Dictionary<string, Dictionary<string, Tree>> parsed)
    {
        set.Funcs["include"] = TemplateFunc.Fixed(2, a =>
        {
            var name = GoValues.Str(a[0]);
            includedNames.Counts.TryGetValue(name, out var count);
            if (count > RecursionMax)
            {
                throw new GoFuncException($"rendering template has a nested reference name: {name}: unable to execute template");
            }

            includedNames.Counts[name] = count + 1;
            includedNames.Depth++;
            try
            {
                return set.Execute(name, a[1], includedNames.Depth);
            }
            finally
            {
                includedNames.Counts[name]--;
                includedNames.Depth--;
            }
        });
        set.Funcs["tpl"] = TemplateFunc.Fixed(2, a =>
        {
            var text = GoValues.Str(a[0]);

            // Helm parses the text into a clone of the whole set; an overlay over it sees the same templates, and
            // the same text (charts call tpl on the same strings many times) is parsed once per render.
            if (!parsed.TryGetValue(text, out var trees))
            {
                try
                {
                    trees = set.ParseDetached("gotpl", text);
                }
                catch (TemplateException e)
                {
                    throw new GoFuncException($"cannot parse template {GoStrings.Quote(text)}: {e.Message}");
                }

                if (parsed.Count < 10_000)
                {
                    parsed[text] = trees;
                }
            }

            var overlay = set.Overlay(trees);
            Bind(overlay, includedNames, parsed);
            try
            {
                includedNames.Depth++;
                return overlay.Execute("gotpl", a[1], includedNames.Depth).Replace("<no value>", "", StringComparison.Ordinal);
            }
            catch (TemplateException e)
            {
                throw new GoFuncException($"error during tpl function execution for {GoStrings.Quote(text)}: {e.Message}");
            }
            finally
            {
                includedNames.Depth--;
            }
        });
    }
}

/// <summary>TOML as BurntSushi/toml encodes a map for toToml: scalars first, then tables, keys sorted.</summary>
internal static class GoToml
{
    public static string Marshal(object? v)
    {
        if (v is not IDictionary<string, object?> map)
        {
            return "toml: top-level values must be Go maps or structs";
        }

        var sb = new StringBuilder();
        WriteTable(sb, map, "", 0);
        return sb.ToString();
    }

    private static void WriteTable(StringBuilder sb, IDictionary<string, object?> map, string prefix, int indent)
    {
        var keys = GoValues.SortedKeys(map);
        foreach (var k in keys)
        {
            var v = map[k];
            if (v is null || v is IDictionary<string, object?> || (v is IList<object?> l && l.Count > 0 && l.All(x => x is IDictionary<string, object?>)))
            {
                continue;
            }

            sb.Append(' ', indent).Append(Key(k)).Append(" = ").Append(Scalar(v)).Append('\n');
        }

        foreach (var k in keys)
        {
            var full = prefix.Length == 0 ? Key(k) : prefix + "." + Key(k);
            switch (map[k])
            {
                case IDictionary<string, object?> sub:
                    // As BurntSushi/toml: a blank line before top-level tables only (none at the very start).
                    if (prefix.Length == 0 && sb.Length > 0)
                    {
                        sb.Append('\n');
                    }

                    sb.Append(' ', indent).Append('[').Append(full).Append("]\n");
                    WriteTable(sb, sub, full, indent + 2);
                    break;
                case IList<object?> l when l.Count > 0 && l.All(x => x is IDictionary<string, object?>):
                    foreach (var item in l.Cast<IDictionary<string, object?>>())
                    {
                        if (sb.Length > 0)
                        {
                            sb.Append('\n');
                        }

                        sb.Append(' ', indent).Append("[[").Append(full).Append("]]\n");
                        WriteTable(sb, item, full, indent + 2);
                    }

                    break;
            }
        }
    }

    /// <summary>fromToml: the document as a map (Tomlyn parses), or a map holding "Error" when it does not parse.</summary>
    public static Dictionary<string, object?> Unmarshal(string text)
    {
        try
        {
            return (Dictionary<string, object?>)FromToml(Tomlyn.TomlSerializer.Deserialize(text, HelmTomlContext.Default.TomlTable)!)!;
        }
        catch (Tomlyn.TomlException e)
        {
            return new Dictionary<string, object?>(StringComparer.Ordinal) { ["Error"] = "toml: " + e.Message };
        }
    }

    private static object? FromToml(object? v) => v switch
    {
        Tomlyn.Model.TomlTable t => t.ToDictionary(kv => kv.Key, kv => FromToml(kv.Value), StringComparer.Ordinal),
        Tomlyn.Model.TomlTableArray ta => ta.Select(x => FromToml(x)).ToList(),
        Tomlyn.Model.TomlArray arr => arr.Select(FromToml).ToList(),
        long or double or bool or string => v,
        int i => (long)i,
        null => null,
        _ => v.ToString(),
    };

    /// <summary>BurntSushi/toml's floats: nan and inf by name, else every digit ('f', never an exponent) with ".0" added to a whole number.</summary>
    private static string Float(double d)
    {
        if (double.IsNaN(d) || double.IsInfinity(d))
        {
            return (double.IsNegative(d) ? "-" : "") + (double.IsNaN(d) ? "nan" : "inf");
        }
        var text = GoValues.FormatFloat(d, 'f', -1);
        return text.Contains('.', StringComparison.Ordinal) ? text : text + ".0";
    }

    private static string Key(string k) => k.Length > 0 && k.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-') ? k : GoJson.QuoteString(k, false);

    private static string Scalar(object? v) => v switch
    {
        string s => GoJson.QuoteString(s, false),
        bool b => b ? "true" : "false",
        int or long => Convert.ToString(v, CultureInfo.InvariantCulture)!,
        double d => Float(d),
        IList<object?> l => "[" + string.Join(", ", l.Select(Scalar)) + "]",
        _ => GoJson.QuoteString(GoValues.Format(v), false),
    };
}

/// <summary>
/// Tomlyn's metadata for its document model, made by its source generator: no reflection, so Native AOT builds that
/// include the Helm engine (the <c>fleet</c> CLI) stay free of trimming warnings.
/// </summary>
[Tomlyn.Serialization.TomlSerializable(typeof(Tomlyn.Model.TomlTable))]
internal sealed partial class HelmTomlContext : Tomlyn.Serialization.TomlSerializerContext;
