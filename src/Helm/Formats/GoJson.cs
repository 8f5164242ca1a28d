using System.Globalization;
using System.Text;
using System.Text.Json;
using Fleet.Helm.Template;

namespace Fleet.Helm.Formats;

/// <summary>
/// JSON as Go's encoding/json writes and reads it for templates: sorted map keys, HTML characters escaped,
/// float64 numbers on reading, Go's float formatting on writing. System.Text.Json reads; writing follows Go's rules here.
/// </summary>
internal static class GoJson
{
    public static string Marshal(object? v)
    {
        var sb = new StringBuilder();
        Write(sb, v);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, object? v)
    {
        switch (v)
        {
            case null:
                sb.Append("null");
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
                if (double.IsNaN(d) || double.IsInfinity(d))
                {
                    throw new GoFuncException($"json: unsupported value: {GoValues.FormatFloat(d, 'g', -1)}");
                }

                sb.Append(GoValues.FormatJsonFloat(d));
                break;
            case string s:
                sb.Append(QuoteString(s, escapeHtml: true));
                break;
            case byte[] bytes:
                sb.Append('"').Append(Convert.ToBase64String(bytes)).Append('"');
                break;
            case IDictionary<string, object?> map:
                sb.Append('{');
                var first = true;
                foreach (var key in GoValues.SortedKeys(map))
                {
                    if (!first)
                    {
                        sb.Append(',');
                    }

                    first = false;
                    sb.Append(QuoteString(key, escapeHtml: true)).Append(':');
                    Write(sb, map[key]);
                }

                sb.Append('}');
                break;
            case IList<object?> list:
                sb.Append('[');
                for (var i = 0; i < list.Count; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(',');
                    }

                    Write(sb, list[i]);
                }

                sb.Append(']');
                break;
            case GoObject o:
                Write(sb, o.JsonValue());
                break;
            default:
                sb.Append(QuoteString(GoValues.Format(v), escapeHtml: true));
                break;
        }
    }

    /// <summary>A JSON string literal with Go's escaping (HTML characters too when asked).</summary>
    public static string QuoteString(string s, bool escapeHtml)
    {
        var sb = new StringBuilder(s.Length + 2);
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '<' or '>' or '&' when escapeHtml:
                    sb.Append("\\u00").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    break;
                case '\u2028' or '\u2029':
                    sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    break;
                default:
                    if (c < ' ')
                    {
                        sb.Append("\\u00").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
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

    /// <summary>json.Unmarshal into interface{}: objects, arrays, float64 numbers, strings, bools, nil.</summary>
    public static object? Unmarshal(string text)
    {
        using var doc = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 1000 });
        return FromElement(doc.RootElement);
    }

    public static object? FromElement(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => e.EnumerateObject().Aggregate(GoValues.NewMap(), (m, p) =>
        {
            m[p.Name] = FromElement(p.Value);
            return m;
        }),
        JsonValueKind.Array => e.EnumerateArray().Select(FromElement).ToList(),
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    /// <summary>The value as it comes back from a JSON round trip: numbers stay numbers, []byte becomes base64, objects become strings or maps.</summary>
    public static object? Normalize(object? v) => v switch
    {
        null or bool or int or long or double or string => v,
        byte[] b => Convert.ToBase64String(b),
        IDictionary<string, object?> m => m.ToDictionary(kv => kv.Key, kv => Normalize(kv.Value), StringComparer.Ordinal),
        IList<object?> l => l.Select(Normalize).ToList(),
        GoObject o => Normalize(o.JsonValue()),
        _ => GoValues.Format(v),
    };
}
