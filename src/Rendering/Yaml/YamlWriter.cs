using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fleet.Rendering.Yaml;

/// <summary>
/// Writes JSON nodes as block-style YAML the way kustomize prints (two-space indent, sequences at
/// their key's indentation). Hand-written because YamlDotNet's emitter cannot take JsonNode and
/// does not quote strings by the YAML 1.2 core schema that Kubernetes tools use.
/// </summary>
internal static class YamlWriter
{
    public static void WriteDocument(StringBuilder sb, JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o when o.Count > 0:
                WriteMapping(sb, o, 0);
                break;
            case JsonArray a when a.Count > 0:
                WriteSequence(sb, a, 0);
                break;
            default:
                sb.Append(Inline(node)).Append('\n');
                break;
        }
    }

    private static void WriteMapping(StringBuilder sb, JsonObject obj, int indent)
    {
        var first = true;
        foreach (var (key, value) in obj)
        {
            if (!first)
            {
                sb.Append(' ', indent);
            }

            first = false;
            sb.Append(Scalar(key)).Append(':');
            WriteValueAfterKey(sb, value, indent, inSequence: false);
        }
    }

    private static void WriteValueAfterKey(StringBuilder sb, JsonNode? value, int indent, bool inSequence)
    {
        switch (value)
        {
            case JsonObject o when o.Count > 0:
                sb.Append('\n').Append(' ', indent + 2);
                WriteMapping(sb, o, indent + 2);
                break;
            case JsonArray a when a.Count > 0:
                sb.Append('\n');
                var seqIndent = inSequence ? indent + 2 : indent;
                sb.Append(' ', seqIndent);
                WriteSequence(sb, a, seqIndent);
                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String && IsBlockCandidate(v.GetValue<string>()):
                WriteBlock(sb, v.GetValue<string>(), indent + 2);
                break;
            default:
                sb.Append(' ').Append(Inline(value)).Append('\n');
                break;
        }
    }

    private static void WriteSequence(StringBuilder sb, JsonArray array, int indent)
    {
        var first = true;
        foreach (var item in array)
        {
            if (!first)
            {
                sb.Append(' ', indent);
            }

            first = false;
            sb.Append('-');
            switch (item)
            {
                case JsonObject o when o.Count > 0:
                    sb.Append(' ');
                    WriteMapping(sb, o, indent + 2);
                    break;
                case JsonArray a when a.Count > 0:
                    sb.Append(' ');
                    WriteSequence(sb, a, indent + 2);
                    break;
                case JsonValue v when v.GetValueKind() == JsonValueKind.String && IsBlockCandidate(v.GetValue<string>()):
                    WriteBlock(sb, v.GetValue<string>(), indent + 2);
                    break;
                default:
                    sb.Append(' ').Append(Inline(item)).Append('\n');
                    break;
            }
        }
    }

    private static bool IsBlockCandidate(string s)
    {
        if (!s.Contains('\n', StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var line in s.Split('\n'))
        {
            if (line.EndsWith(' ') || line.EndsWith('\t') || line.Any(c => char.IsControl(c) && c != '\t'))
            {
                return false;
            }
        }

        // A first line starting with spaces needs an indentation indicator; quote those instead.
        return !s.StartsWith(' ') && !s.StartsWith('\n');
    }

    private static void WriteBlock(StringBuilder sb, string s, int indent)
    {
        string indicator;
        string body;
        if (!s.EndsWith('\n'))
        {
            indicator = "|-";
            body = s;
        }
        else if (s.EndsWith("\n\n", StringComparison.Ordinal))
        {
            indicator = "|+";
            body = s[..^1];
        }
        else
        {
            indicator = "|";
            body = s[..^1];
        }

        sb.Append(' ').Append(indicator).Append('\n');
        foreach (var line in body.Split('\n'))
        {
            if (line.Length > 0)
            {
                sb.Append(' ', indent).Append(line);
            }

            sb.Append('\n');
        }
    }

    private static string Inline(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "{}",
        JsonArray => "[]",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => Scalar(v.GetValue<string>()),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            JsonValueKind.Number => NumberText(v),
            _ => "null",
        },
        _ => "null",
    };

    private static string NumberText(JsonValue v)
    {
        if (v.TryGetValue<double>(out var d) && !v.TryGetValue<long>(out _) && !v.TryGetValue<JsonElement>(out _))
        {
            return d.ToString("R", CultureInfo.InvariantCulture);
        }

        return v.ToJsonString();
    }

    /// <summary>A string as a YAML scalar: plain when it would read back as the same string, else quoted.</summary>
    public static string Scalar(string s)
    {
        if (IsPlainSafe(s))
        {
            return s;
        }

        if (!s.Any(char.IsControl))
        {
            return "'" + s.Replace("'", "''", StringComparison.Ordinal) + "'";
        }

        var sb = new StringBuilder("\"");
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\t': sb.Append("\\t"); break;
                case '\r': sb.Append("\\r"); break;
                default:
                    if (char.IsControl(c))
                    {
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        return sb.Append('"').ToString();
    }

    private static bool IsPlainSafe(string s)
    {
        if (s.Length == 0 || s[0] == ' ' || s[^1] == ' ' || s[^1] == ':')
        {
            return false;
        }

        if ("-?:,[]{}#&*!|>'\"%@`".Contains(s[0], StringComparison.Ordinal))
        {
            if (!(s[0] is '-' or '?' or ':') || s.Length == 1 || s[1] == ' ')
            {
                return false;
            }
        }

        foreach (var c in s)
        {
            if (char.IsControl(c) || c == '\n')
            {
                return false;
            }
        }

        if (s.Contains(": ", StringComparison.Ordinal) || s.Contains(" #", StringComparison.Ordinal) || s.Contains(",", StringComparison.Ordinal) && (s.Contains('[', StringComparison.Ordinal) || s.Contains('{', StringComparison.Ordinal)))
        {
            return false;
        }

        // A plain scalar starting with a letter reads back as itself unless it is a null or boolean word.
        if (char.IsAsciiLetter(s[0]))
        {
            if (s is "null" or "Null" or "NULL" or "true" or "True" or "TRUE" or "false" or "False" or "FALSE")
            {
                return false;
            }
        }
        else
        {
            var resolved = YamlReader.ResolvePlain(s);
            if (resolved is not JsonValue rv || rv.GetValueKind() != JsonValueKind.String || rv.GetValue<string>() != s)
            {
                return false;
            }
        }

        // A date or timestamp is a string to the core schema but a timestamp to YAML 1.1 readers and to Go's
        // yaml.v3, which quotes it; so do we.
        if (s.Length >= 8 && char.IsAsciiDigit(s[0]) && LooksLikeTimestamp(s))
        {
            return false;
        }

        // YAML 1.1 readers (older kubectl, many tools) take these as booleans; quote them as Go does.
        if (s.Length <= 3 && s.ToLowerInvariant() is "y" or "yes" or "n" or "no" or "on" or "off")
        {
            return false;
        }

        return !s.Contains('_', StringComparison.Ordinal) || !LooksLikeNumberWithUnderscore(s);
    }

    private static bool LooksLikeTimestamp(string s) =>
        s.Length >= 8 && char.IsAsciiDigit(s[0]) && char.IsAsciiDigit(s[1]) && char.IsAsciiDigit(s[2]) && char.IsAsciiDigit(s[3]) && s[4] == '-' &&
        s.IndexOf('-', 5) is > 5 and < 8;

    private static bool LooksLikeNumberWithUnderscore(string s) =>
        s.Length > 0 && (char.IsAsciiDigit(s[0]) || s[0] is '+' or '-' or '.') && s.Replace("_", string.Empty, StringComparison.Ordinal).All(c => char.IsAsciiDigit(c) || c is '.' or '+' or '-' or 'e' or 'E');
}
