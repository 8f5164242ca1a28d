using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fleet.Kubernetes;

/// <summary>Reads the <c>managedFields</c> of live objects (the FieldsV1 trie of each manager).</summary>
internal static class ManagedFields
{
    /// <summary>The FieldsV1 of the given manager's Apply entry (the Update entry when no Apply entry exists), as JSON text.</summary>
    public static string? FieldsOf(JsonObject live, string manager)
    {
        if (live.Path("metadata", "managedFields") is not JsonArray entries)
        {
            return null;
        }
        var mine = entries.OfType<JsonObject>().Where(e => e.Str("manager") == manager).ToList();
        var entry = mine.FirstOrDefault(e => e.Str("operation") == "Apply") ?? mine.FirstOrDefault();
        return entry?["fieldsV1"]?.ToJsonString();
    }

    /// <summary>Managers other than <paramref name="except"/> with the leaf paths they own.</summary>
    public static IEnumerable<(string Manager, HashSet<string> Paths)> Others(JsonObject live, string except)
    {
        if (live.Path("metadata", "managedFields") is not JsonArray entries)
        {
            yield break;
        }
        foreach (var e in entries.OfType<JsonObject>())
        {
            var manager = e.Str("manager");
            if (manager is null || manager == except || e["fieldsV1"] is not JsonObject fields)
            {
                continue;
            }
            yield return (manager, Leaves(fields));
        }
    }

    public static HashSet<string> Leaves(string? fieldsJson)
    {
        if (string.IsNullOrEmpty(fieldsJson))
        {
            return [];
        }
        return JsonNode.Parse(fieldsJson) is JsonObject o ? Leaves(o) : [];
    }

    /// <summary>
    /// Flattens a FieldsV1 trie to readable leaf paths: <c>f:name</c> → <c>.name</c>, <c>k:{"name":"x"}</c> →
    /// <c>[name=x]</c>, <c>v:"a"</c> → <c>[="a"]</c>, <c>i:0</c> → <c>[0]</c>; a "." member marks the node itself.
    /// </summary>
    public static HashSet<string> Leaves(JsonObject fields)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        Walk(fields, "", result);
        return result;
    }

    private static void Walk(JsonObject node, string path, HashSet<string> result)
    {
        var children = 0;
        foreach (var (key, value) in node)
        {
            if (key == ".")
            {
                result.Add(path);
                continue;
            }
            children++;
            var child = path + Segment(key);
            if (value is JsonObject o && o.Count > 0)
            {
                Walk(o, child, result);
            }
            else
            {
                result.Add(child);
            }
        }
        if (children == 0 && path.Length > 0)
        {
            result.Add(path);
        }
    }

    private static string Segment(string key)
    {
        if (key.Length < 2 || key[1] != ':')
        {
            return "." + key;
        }
        var rest = key[2..];
        switch (key[0])
        {
            case 'f':
                return "." + rest;
            case 'i':
                return $"[{rest}]";
            case 'v':
                return $"[={rest}]";
            case 'k':
                try
                {
                    if (JsonNode.Parse(rest) is JsonObject keys)
                    {
                        var sb = new StringBuilder("[");
                        sb.AppendJoin(",", keys.Select(k => $"{k.Key}={(k.Value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : k.Value?.ToJsonString())}"));
                        return sb.Append(']').ToString();
                    }
                }
                catch (JsonException)
                {
                    // Keep the raw key below.
                }
                return $"[{rest}]";
            default:
                return "." + key;
        }
    }
}
