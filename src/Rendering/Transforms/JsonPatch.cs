using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fleet.Rendering.Transforms;

/// <summary>
/// RFC 6902 JSON Patch over JSON nodes (add, remove, replace, move, copy, test). Hand-written: the
/// base class library has none for System.Text.Json.Nodes, and kustomize's errors need the op index.
/// </summary>
internal static class JsonPatch
{
    /// <summary>
    /// Applies <paramref name="ops"/> to a copy of <paramref name="doc"/> (or to <paramref name="doc"/> itself when
    /// <paramref name="inPlace"/>, for callers that discard the input and fail the whole build on error);
    /// <paramref name="where"/> names the patch in errors.
    /// </summary>
    public static JsonObject Apply(JsonObject doc, JsonArray ops, string where, bool inPlace = false)
    {
        JsonNode root = inPlace ? doc : doc.DeepClone();
        for (var i = 0; i < ops.Count; i++)
        {
            if (ops[i] is not JsonObject op)
            {
                throw new RenderException($"{where}: operation {i} is not an object");
            }

            var name = Text(op, "op", where, i);
            try
            {
                root = name switch
                {
                    "add" => Add(root, Text(op, "path", where, i), Value(op, where, i)),
                    "remove" => Remove(root, Text(op, "path", where, i)),
                    "replace" => Replace(root, Text(op, "path", where, i), Value(op, where, i)),
                    "move" => Move(root, Text(op, "from", where, i), Text(op, "path", where, i)),
                    "copy" => Add(root, Text(op, "path", where, i), Get(root, Text(op, "from", where, i))?.DeepClone()),
                    "test" => Test(root, Text(op, "path", where, i), Value(op, where, i)),
                    _ => throw new PatchError($"unknown op '{name}'"),
                };
            }
            catch (PatchError e)
            {
                throw new RenderException($"{where}: JSON patch operation {i} ({name} {op["path"]?.ToString()}): {e.Message}");
            }
        }

        return root as JsonObject ?? throw new RenderException($"{where}: JSON patch replaced the object with a non-object");
    }

    private sealed class PatchError(string message) : Exception(message);

    private static string Text(JsonObject op, string key, string where, int i) =>
        op[key] is JsonValue v && v.GetValueKind() == JsonValueKind.String
            ? v.GetValue<string>()
            : throw new RenderException($"{where}: JSON patch operation {i} lacks '{key}'");

    private static JsonNode? Value(JsonObject op, string where, int i) =>
        op.ContainsKey("value") ? op["value"]?.DeepClone() : throw new RenderException($"{where}: JSON patch operation {i} lacks 'value'");

    private static List<string> Split(string pointer)
    {
        if (pointer.Length == 0)
        {
            return [];
        }

        if (pointer[0] != '/')
        {
            throw new PatchError($"path '{pointer}' must start with '/'");
        }

        return pointer[1..].Split('/').Select(s => s.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToList();
    }

    private static JsonNode? Get(JsonNode root, string pointer)
    {
        JsonNode? cur = root;
        foreach (var part in Split(pointer))
        {
            cur = cur switch
            {
                JsonObject o when o.TryGetPropertyValue(part, out var v) => v,
                JsonArray a when int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var idx) && idx < a.Count => a[idx],
                _ => throw new PatchError($"path '{pointer}' does not exist"),
            };
        }

        return cur;
    }

    private static (JsonNode Parent, string Last) Parent(JsonNode root, string pointer)
    {
        var parts = Split(pointer);
        if (parts.Count == 0)
        {
            throw new PatchError("the root cannot be the target");
        }

        var parentPointer = string.Concat(parts.Take(parts.Count - 1).Select(p => "/" + p.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal)));
        var parent = Get(root, parentPointer) ?? throw new PatchError($"parent of '{pointer}' is null");
        return (parent, parts[^1]);
    }

    private static JsonNode Add(JsonNode root, string pointer, JsonNode? value)
    {
        if (pointer.Length == 0)
        {
            return value ?? throw new PatchError("cannot replace the document with null");
        }

        var (parent, last) = Parent(root, pointer);
        switch (parent)
        {
            case JsonObject o:
                o[last] = value;
                break;
            case JsonArray a:
                if (last == "-")
                {
                    a.Add(value);
                }
                else if (int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var idx) && idx <= a.Count)
                {
                    a.Insert(idx, value);
                }
                else
                {
                    throw new PatchError($"index '{last}' is out of range");
                }

                break;
            default:
                throw new PatchError($"parent of '{pointer}' is not an object or array");
        }

        return root;
    }

    private static JsonNode Remove(JsonNode root, string pointer)
    {
        var (parent, last) = Parent(root, pointer);
        switch (parent)
        {
            case JsonObject o when o.ContainsKey(last):
                o.Remove(last);
                break;
            case JsonArray a when int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var idx) && idx < a.Count:
                a.RemoveAt(idx);
                break;
            default:
                throw new PatchError($"path '{pointer}' does not exist");
        }

        return root;
    }

    private static JsonNode Replace(JsonNode root, string pointer, JsonNode? value)
    {
        if (pointer.Length == 0)
        {
            return value ?? throw new PatchError("cannot replace the document with null");
        }

        var (parent, last) = Parent(root, pointer);
        switch (parent)
        {
            case JsonObject o:
                // As kustomize's JSON patch library: replacing a missing key of an existing object sets it.
                o[last] = value;
                break;
            case JsonArray a when int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var idx) && idx < a.Count:
                a[idx] = value;
                break;
            default:
                throw new PatchError($"path '{pointer}' does not exist");
        }

        return root;
    }

    private static JsonNode Move(JsonNode root, string from, string pointer)
    {
        var value = Get(root, from);
        value = value?.DeepClone();
        root = Remove(root, from);
        return Add(root, pointer, value);
    }

    private static JsonNode Test(JsonNode root, string pointer, JsonNode? value)
    {
        var actual = Get(root, pointer);
        if (!JsonNode.DeepEquals(actual, value))
        {
            throw new PatchError($"test failed: value at '{pointer}' is not {value?.ToJsonString() ?? "null"}");
        }

        return root;
    }
}
