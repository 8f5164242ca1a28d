using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fleet.Rendering.Transforms;

/// <summary>
/// kustomize field paths (<c>spec.template.spec.containers.[name=app].image</c>, <c>spec.ports.0.port</c>,
/// <c>*</c> wildcards) for replacements and vars.
/// </summary>
internal static class FieldPath
{
    public static List<string> Parse(string path)
    {
        var parts = new List<string>();
        var sb = new System.Text.StringBuilder();
        var depth = 0;
        foreach (var c in path)
        {
            if (c == '[')
            {
                depth++;
            }
            else if (c == ']')
            {
                depth--;
            }

            if (c == '.' && depth == 0)
            {
                parts.Add(sb.ToString());
                sb.Clear();
            }
            else
            {
                sb.Append(c);
            }
        }

        parts.Add(sb.ToString());
        return parts.Where(p => p.Length > 0).ToList();
    }

    /// <summary>Every node the path reaches.</summary>
    public static List<JsonNode?> Get(JsonNode root, List<string> parts)
    {
        var results = new List<JsonNode?>();
        Visit(root, parts, 0, false, (parent, key, index) => results.Add(index >= 0 ? ((JsonArray)parent)[index] : ((JsonObject)parent)[key!]));
        return results;
    }

    /// <summary>Sets every field the path reaches; with <paramref name="create"/>, missing maps and the field are created.</summary>
    public static int Set(JsonNode root, List<string> parts, bool create, Func<JsonNode?, JsonNode?> update)
    {
        var count = 0;
        Visit(root, parts, 0, create, (parent, key, index) =>
        {
            count++;
            if (index >= 0)
            {
                var a = (JsonArray)parent;
                a[index] = update(a[index]?.DeepClone());
            }
            else
            {
                var o = (JsonObject)parent;
                o[key!] = update(o[key!]?.DeepClone());
            }
        });
        return count;
    }

    private static void Visit(JsonNode? node, List<string> parts, int i, bool create, Action<JsonNode, string?, int> onLeaf)
    {
        var part = parts[i];
        var last = i == parts.Count - 1;
        if (part.StartsWith('[') && part.EndsWith(']') && !part.Contains('=', StringComparison.Ordinal))
        {
            // [a.b/c] is a map key that contains dots or slashes.
            part = part[1..^1];
        }
        else if (part.StartsWith('[') && part.EndsWith(']'))
        {
            if (node is not JsonArray arr)
            {
                return;
            }

            var inner = part[1..^1];
            var eq = inner.IndexOf('=', StringComparison.Ordinal);
            var (k, v) = eq < 0 ? (inner, string.Empty) : (inner[..eq], inner[(eq + 1)..]);
            for (var j = 0; j < arr.Count; j++)
            {
                if (arr[j] is JsonObject o && o[k] is JsonValue jv && Yaml.YamlReader.ScalarText(jv) == v)
                {
                    if (last)
                    {
                        onLeaf(arr, null, j);
                    }
                    else
                    {
                        Visit(o, parts, i + 1, create, onLeaf);
                    }
                }
            }

            return;
        }

        if (node is JsonArray list)
        {
            if (part == "*")
            {
                for (var j = 0; j < list.Count; j++)
                {
                    if (last)
                    {
                        onLeaf(list, null, j);
                    }
                    else
                    {
                        Visit(list[j], parts, i + 1, create, onLeaf);
                    }
                }
            }
            else if (int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var idx) && (idx < list.Count || (create && idx == list.Count)))
            {
                if (idx == list.Count)
                {
                    // create: an index one past the end appends an element.
                    list.Add(last ? null : NewContainer(parts[i + 1]));
                }

                if (last)
                {
                    onLeaf(list, null, idx);
                }
                else
                {
                    Visit(list[idx], parts, i + 1, create, onLeaf);
                }
            }

            return;
        }

        if (node is not JsonObject obj)
        {
            return;
        }

        if (part == "*")
        {
            foreach (var key in obj.Select(p => p.Key).ToList())
            {
                if (last)
                {
                    onLeaf(obj, key, -1);
                }
                else
                {
                    Visit(obj[key], parts, i + 1, create, onLeaf);
                }
            }

            return;
        }

        if (last)
        {
            if (obj.ContainsKey(part) || create)
            {
                onLeaf(obj, part, -1);
            }

            return;
        }

        var child = obj[part];
        if (child is null && create)
        {
            child = NewContainer(parts[i + 1]);
            obj[part] = child;
        }

        Visit(child, parts, i + 1, create, onLeaf);
    }

    /// <summary>The container a missing field becomes when the path goes on with <paramref name="next"/>: a list for an index or a selector.</summary>
    private static JsonNode NewContainer(string next) =>
        (next.StartsWith('[') && next.Contains('=', StringComparison.Ordinal)) || int.TryParse(next, NumberStyles.None, CultureInfo.InvariantCulture, out _)
            ? new JsonArray()
            : new JsonObject();

    public static string Text(JsonNode? node) => node switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v => Yaml.YamlReader.ScalarText(v),
        null => string.Empty,
        _ => node.ToJsonString(),
    };
}
