using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Fleet.Rendering.Yaml;

namespace Fleet.Rendering;

/// <summary>
/// Flux's postBuild variable substitution over rendered objects: <c>${var}</c> and the bash-like forms of
/// Flux's envsubst (<c>${var:=default}</c>, <c>${var:-default}</c>, <c>${var=default}</c>, <c>${var-default}</c>,
/// case changes, substrings, prefix and suffix removal, replacement, <c>${#var}</c>); <c>$${var}</c> is an
/// escaped literal <c>${var}</c>; a bare <c>$var</c> is left alone. Like Flux it works on each object's YAML text,
/// so a substituted number or boolean becomes one.
/// </summary>
public static partial class PostBuild
{
    /// <summary>The annotation or label that turns substitution off for one object.</summary>
    public const string DisableAnnotation = "kustomize.toolkit.fluxcd.io/substitute";

    [GeneratedRegex("^[_a-zA-Z][_a-zA-Z0-9]*$")]
    private static partial Regex VarName();

    /// <summary>Substitutes <paramref name="vars"/> into copies of <paramref name="objects"/>; the inputs are not changed.</summary>
    /// <param name="objects">Rendered objects.</param>
    /// <param name="vars">Variable values.</param>
    /// <param name="strict">Fail on a variable that is unset and has no default, as Flux's strict mode.</param>
    /// <exception cref="RenderException">A variable name is invalid, an expression is malformed, or (strict) a variable is unset.</exception>
    public static IReadOnlyList<JsonObject> Substitute(IReadOnlyList<JsonObject> objects, IReadOnlyDictionary<string, string> vars, bool strict = false)
    {
        foreach (var name in vars.Keys)
        {
            if (!VarName().IsMatch(name))
            {
                throw new RenderException($"postBuild: '{name}' var name is invalid, must match '^[_[:alpha:]][_[:alpha:][:digit:]]*$'");
            }
        }

        var result = new List<JsonObject>(objects.Count);
        foreach (var obj in objects)
        {
            var meta = obj["metadata"] as JsonObject;
            if (IsDisabled(meta?["annotations"]) || IsDisabled(meta?["labels"]))
            {
                result.Add((JsonObject)obj.DeepClone());
                continue;
            }

            var sb = new StringBuilder();
            YamlWriter.WriteDocument(sb, obj);
            var text = sb.ToString();
            if (!text.Contains("${", StringComparison.Ordinal))
            {
                result.Add((JsonObject)obj.DeepClone());
                continue;
            }

            var nsText = meta?["namespace"]?.ToString();
            var where = $"{obj["kind"]} {(string.IsNullOrEmpty(nsText) ? string.Empty : nsText + "/")}{meta?["name"]}";
            var substituted = Expand(text, vars, strict, where);
            var docs = YamlReader.ReadAll(substituted, where + " (after substitution)", new RenderLimits());
            if (docs.Count != 1 || docs[0] is not JsonObject parsed)
            {
                throw new RenderException($"{where}: substitution produced invalid YAML");
            }

            result.Add(parsed);
        }

        return result;
    }

    private static bool IsDisabled(JsonNode? map) =>
        map is JsonObject o && o[DisableAnnotation]?.ToString() == "disabled";

    /// <summary>Expands every <c>${...}</c> in <paramref name="text"/>.</summary>
    internal static string Expand(string text, IReadOnlyDictionary<string, string> vars, bool strict, string where)
    {
        var sb = new StringBuilder(text.Length);
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '$' && i + 2 < text.Length && text[i + 1] == '$' && text[i + 2] == '{')
            {
                // $${var} is an escaped literal ${var}.
                sb.Append('$');
                i += 2;
                var close = text.IndexOf('}', i);
                var end = close < 0 ? text.Length : close + 1;
                sb.Append(text, i, end - i);
                i = end;
                continue;
            }

            if (c == '$' && i + 1 < text.Length && text[i + 1] == '{')
            {
                var close = FindClose(text, i + 2);
                if (close < 0)
                {
                    throw new RenderException($"{where}: unterminated '${{' in substitution expression");
                }

                var expr = text[(i + 2)..close];
                sb.Append(Evaluate(expr, vars, strict, where));
                i = close + 1;
                continue;
            }

            sb.Append(c);
            i++;
        }

        return sb.ToString();
    }

    private static int FindClose(string text, int start)
    {
        var depth = 0;
        for (var i = start; i < text.Length; i++)
        {
            if (text[i] == '{')
            {
                depth++;
            }
            else if (text[i] == '}')
            {
                if (depth == 0)
                {
                    return i;
                }

                depth--;
            }
            else if (text[i] == '\n')
            {
                return -1;
            }
        }

        return -1;
    }

    private static string Evaluate(string expr, IReadOnlyDictionary<string, string> vars, bool strict, string where)
    {
        if (expr.StartsWith('#'))
        {
            var n = expr[1..];
            return Lookup(n, vars, strict, where, out var lv) ? lv.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) : "0";
        }

        var nameEnd = 0;
        while (nameEnd < expr.Length && (char.IsAsciiLetterOrDigit(expr[nameEnd]) || expr[nameEnd] == '_'))
        {
            nameEnd++;
        }

        var name = expr[..nameEnd];
        if (name.Length == 0)
        {
            throw new RenderException($"{where}: bad substitution '${{{expr}}}'");
        }

        var op = expr[nameEnd..];
        var set = vars.TryGetValue(name, out var value);
        value ??= string.Empty;
        string Arg(int skip) => Expand(op[skip..], vars, strict, where);

        if (op.Length == 0)
        {
            if (!set && strict)
            {
                throw new RenderException($"{where}: variable '{name}' is not set (strict substitution)");
            }

            return value;
        }

        switch (op)
        {
            case var o when o.StartsWith(":=", StringComparison.Ordinal) || o.StartsWith(":-", StringComparison.Ordinal):
                return set && value.Length > 0 ? value : Arg(2);
            case var o when o.StartsWith('=') || o.StartsWith('-'):
                return set ? value : Arg(1);
            case "^^":
                return Need(set, strict, name, where, value).ToUpperInvariant();
            case "^":
                value = Need(set, strict, name, where, value);
                return value.Length == 0 ? value : char.ToUpperInvariant(value[0]) + value[1..];
            case ",,":
                return Need(set, strict, name, where, value).ToLowerInvariant();
            case ",":
                value = Need(set, strict, name, where, value);
                return value.Length == 0 ? value : char.ToLowerInvariant(value[0]) + value[1..];
            case var o when o.StartsWith("##", StringComparison.Ordinal):
                return TrimPrefix(Need(set, strict, name, where, value), Arg(2), longest: true);
            case var o when o.StartsWith('#'):
                return TrimPrefix(Need(set, strict, name, where, value), Arg(1), longest: false);
            case var o when o.StartsWith("%%", StringComparison.Ordinal):
                return TrimSuffix(Need(set, strict, name, where, value), Arg(2), longest: true);
            case var o when o.StartsWith('%'):
                return TrimSuffix(Need(set, strict, name, where, value), Arg(1), longest: false);
            case var o when o.StartsWith('/'):
                return Replace(Need(set, strict, name, where, value), o[1..], vars, strict, where);
            case var o when o.StartsWith(':'):
                return Substring(Need(set, strict, name, where, value), o[1..], where);
            default:
                throw new RenderException($"{where}: bad substitution '${{{expr}}}'");
        }
    }

    private static bool Lookup(string name, IReadOnlyDictionary<string, string> vars, bool strict, string where, out string value)
    {
        if (vars.TryGetValue(name, out var v))
        {
            value = v;
            return true;
        }

        if (strict)
        {
            throw new RenderException($"{where}: variable '{name}' is not set (strict substitution)");
        }

        value = string.Empty;
        return false;
    }

    private static string Need(bool set, bool strict, string name, string where, string value) =>
        !set && strict ? throw new RenderException($"{where}: variable '{name}' is not set (strict substitution)") : value;

    private static Regex Glob(string pattern, bool greedy)
    {
        var sb = new StringBuilder();
        foreach (var c in pattern)
        {
            sb.Append(c switch
            {
                '*' => greedy ? ".*" : ".*?",
                '?' => ".",
                _ => Regex.Escape(c.ToString()),
            });
        }

        return new Regex(sb.ToString(), RegexOptions.CultureInvariant | RegexOptions.Singleline, TimeSpan.FromSeconds(1));
    }

    private static Regex Anchored(string pattern) =>
        new("^(?:" + Glob(pattern, greedy: true) + ")$", RegexOptions.CultureInvariant | RegexOptions.Singleline, TimeSpan.FromSeconds(1));

    private static string TrimPrefix(string value, string pattern, bool longest)
    {
        var rx = Anchored(pattern);
        var best = -1;
        for (var len = 0; len <= value.Length; len++)
        {
            if (rx.IsMatch(value[..len]))
            {
                best = len;
                if (!longest)
                {
                    break;
                }
            }
        }

        return best < 0 ? value : value[best..];
    }

    private static string TrimSuffix(string value, string pattern, bool longest)
    {
        var rx = Anchored(pattern);
        var best = -1;
        for (var len = 0; len <= value.Length; len++)
        {
            var tail = value[(value.Length - len)..];
            if (rx.IsMatch(tail))
            {
                best = len;
                if (!longest)
                {
                    break;
                }
            }
        }

        return best < 0 ? value : value[..(value.Length - best)];
    }

    private static string Replace(string value, string spec, IReadOnlyDictionary<string, string> vars, bool strict, string where)
    {
        var all = spec.StartsWith('/');
        var anchorStart = spec.StartsWith('#');
        var anchorEnd = spec.StartsWith('%');
        if (all || anchorStart || anchorEnd)
        {
            spec = spec[1..];
        }

        var slash = spec.IndexOf('/', StringComparison.Ordinal);
        var pattern = slash < 0 ? spec : spec[..slash];
        var replacement = slash < 0 ? string.Empty : Expand(spec[(slash + 1)..], vars, strict, where);
        if (pattern.Length == 0)
        {
            return value;
        }

        var rx = Glob(pattern, greedy: true).ToString();
        if (anchorStart)
        {
            rx = "^" + rx;
        }

        if (anchorEnd)
        {
            rx += "$";
        }

        var regex = new Regex(rx, RegexOptions.CultureInvariant | RegexOptions.Singleline, TimeSpan.FromSeconds(1));
        return all ? regex.Replace(value, replacement.Replace("$", "$$", StringComparison.Ordinal)) : regex.Replace(value, replacement.Replace("$", "$$", StringComparison.Ordinal), 1);
    }

    private static string Substring(string value, string spec, string where)
    {
        var parts = spec.Split(':');
        if (!int.TryParse(parts[0].Trim(), System.Globalization.CultureInfo.InvariantCulture, out var pos))
        {
            throw new RenderException($"{where}: bad substring offset '{parts[0]}'");
        }

        if (pos < 0)
        {
            pos = Math.Max(0, value.Length + pos);
        }

        pos = Math.Min(pos, value.Length);
        if (parts.Length == 1)
        {
            return value[pos..];
        }

        if (!int.TryParse(parts[1].Trim(), System.Globalization.CultureInfo.InvariantCulture, out var len))
        {
            throw new RenderException($"{where}: bad substring length '{parts[1]}'");
        }

        return value.Substring(pos, Math.Clamp(len, 0, value.Length - pos));
    }
}
