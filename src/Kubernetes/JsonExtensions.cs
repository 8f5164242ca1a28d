using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fleet.Kubernetes;

/// <summary>Small helpers to read Kubernetes objects held as JSON trees.</summary>
internal static class JsonExtensions
{
    public static JsonNode? Path(this JsonNode? node, params string[] path)
    {
        foreach (var p in path)
        {
            if (node is not JsonObject o || !o.TryGetPropertyValue(p, out node))
            {
                return null;
            }
        }
        return node;
    }

    public static string? Str(this JsonNode? node, params string[] path) =>
        node.Path(path) is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    public static long? Long(this JsonNode? node, params string[] path)
    {
        if (node.Path(path) is not JsonValue v)
        {
            return null;
        }
        return v.GetValueKind() switch
        {
            JsonValueKind.Number => v.TryGetValue<long>(out var l) ? l : (long)v.GetValue<double>(),
            JsonValueKind.String when long.TryParse(v.GetValue<string>(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) => s,
            _ => null,
        };
    }

    public static bool? Bool(this JsonNode? node, params string[] path) =>
        node.Path(path) is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? v.GetValue<bool>() : null;

    /// <summary>Gets or creates the object at the given property.</summary>
    public static JsonObject Obj(this JsonObject o, string name)
    {
        if (o[name] is JsonObject existing)
        {
            return existing;
        }
        var created = new JsonObject();
        o[name] = created;
        return created;
    }

    /// <summary>The condition of the given type in status.conditions, if any.</summary>
    public static JsonObject? Condition(this JsonNode obj, string type) =>
        obj.Path("status", "conditions") is JsonArray conditions
            ? conditions.OfType<JsonObject>().FirstOrDefault(c => c.Str("type") == type)
            : null;
}
