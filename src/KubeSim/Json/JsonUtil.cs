using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fleet.KubeSim.Json;

/// <summary>Small helpers over <see cref="JsonNode"/> used by every write path.</summary>
internal static class JsonUtil
{
    private static readonly JsonSerializerOptions Compact = new()
    {
        WriteIndented = false,

        // Kubernetes writes '"', '<', '&' and non-ASCII text as they are; so do we (the output is never HTML).
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static byte[] ToBytes(JsonNode node) => JsonSerializer.SerializeToUtf8Bytes(node, Compact);

    public static JsonObject ParseObject(byte[] bytes) => (JsonObject)JsonNode.Parse(bytes)!;

    public static JsonObject Metadata(JsonObject obj)
    {
        if (obj["metadata"] is JsonObject m)
        {
            return m;
        }

        m = new JsonObject();
        obj["metadata"] = m;
        return m;
    }

    /// <summary>An integer field, whether parsed from a body or set in code as int or long.</summary>
    public static long? Long(JsonNode? node)
    {
        if (node is not JsonValue v)
        {
            return null;
        }

        if (v.TryGetValue<long>(out var l))
        {
            return l;
        }

        if (v.TryGetValue<int>(out var i))
        {
            return i;
        }

        return v.TryGetValue<double>(out var d) && d == Math.Floor(d) ? (long)d : null;
    }

    public static string? Str(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public static Dictionary<string, string> Labels(JsonObject obj)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (obj["metadata"]?["labels"] is JsonObject labels)
        {
            foreach (var (k, v) in labels)
            {
                result[k] = Str(v) ?? v?.ToJsonString() ?? string.Empty;
            }
        }

        return result;
    }

    public static bool DeepEquals(JsonNode? a, JsonNode? b) => JsonNode.DeepEquals(a, b);

    public static JsonNode? Clone(JsonNode? node) => node?.DeepClone();

    /// <summary>Everything but <c>metadata</c> and <c>status</c>: what a generation bump is about.</summary>
    public static bool SpecEquals(JsonObject a, JsonObject b)
    {
        foreach (var (k, v) in a)
        {
            if (k is "metadata" or "status" or "apiVersion" or "kind")
            {
                continue;
            }

            if (!JsonNode.DeepEquals(v, b[k]))
            {
                return false;
            }
        }

        foreach (var (k, _) in b)
        {
            if (k is "metadata" or "status" or "apiVersion" or "kind")
            {
                continue;
            }

            if (!a.ContainsKey(k))
            {
                return false;
            }
        }

        return true;
    }

    public static string Describe(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "object",
        JsonArray => "array",
        _ => node.GetValueKind().ToString().ToLowerInvariant(),
    };
}
