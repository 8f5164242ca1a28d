using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fleet.Rendering.Transforms;

/// <summary>
/// A kustomization's <c>openapi: {path: FILE}</c> schema (OpenAPI v2 <c>definitions</c>, JSON or YAML): the
/// strategic merge keys of the kinds it declares through <c>x-kubernetes-group-version-kind</c>, read from
/// <c>x-kubernetes-patch-merge-key</c> on list fields whose <c>x-kubernetes-patch-strategy</c> includes
/// <c>merge</c> (following <c>$ref</c>). As in kustomize, the file replaces the built-in schema: a kind it
/// does not declare has no merge keys, so its lists are replaced by a patch.
/// </summary>
internal sealed class OpenApiSchema
{
    private const int MaxDepth = 32;

    /// <summary>"group/kind" → list path (keys, with "[]" for list items, joined by '/') → merge key.</summary>
    private readonly Dictionary<string, Dictionary<string, string>> _keys = new(StringComparer.Ordinal);

    public static OpenApiSchema Load(JsonNode? doc, string file)
    {
        var schema = new OpenApiSchema();
        if (doc?["definitions"] is not JsonObject definitions)
        {
            throw new RenderException($"{file}: an openapi schema needs a 'definitions' map");
        }

        foreach (var (_, definition) in definitions)
        {
            if (definition?["x-kubernetes-group-version-kind"] is not JsonArray gvks)
            {
                continue;
            }

            var paths = new Dictionary<string, string>(StringComparer.Ordinal);
            Walk(definition, definitions, [], paths, 0);
            foreach (var gvk in gvks.OfType<JsonObject>())
            {
                var key = Text(gvk["group"]) + "/" + Text(gvk["kind"]);
                if (!schema._keys.TryGetValue(key, out var existing))
                {
                    schema._keys[key] = existing = new Dictionary<string, string>(StringComparer.Ordinal);
                }

                foreach (var (p, k) in paths)
                {
                    existing[p] = k;
                }
            }
        }

        return schema;
    }

    /// <summary>The merge-key lookup for one kind, or null when the schema does not declare it.</summary>
    public Func<List<string>, string?>? KeysFor(string group, string kind) =>
        _keys.TryGetValue(group + "/" + kind, out var paths) ? path => paths.GetValueOrDefault(string.Join('/', path)) : null;

    private static void Walk(JsonNode? node, JsonObject definitions, List<string> path, Dictionary<string, string> paths, int depth)
    {
        if (depth > MaxDepth || node is not JsonObject schema)
        {
            return;
        }

        if (Text(schema["$ref"]) is { Length: > 0 } reference)
        {
            var name = reference[(reference.LastIndexOf('/') + 1)..];
            Walk(definitions[name], definitions, path, paths, depth + 1);
            return;
        }

        if (schema["properties"] is not JsonObject properties)
        {
            return;
        }

        foreach (var (field, property) in properties)
        {
            if (property is not JsonObject prop)
            {
                continue;
            }

            path.Add(field);
            if (prop["items"] is { } items)
            {
                var mergeKey = Text(prop["x-kubernetes-patch-merge-key"]);
                if (mergeKey.Length > 0 && Text(prop["x-kubernetes-patch-strategy"]).Split(',').Contains("merge"))
                {
                    paths[string.Join('/', path)] = mergeKey;
                }

                path.Add("[]");
                Walk(items, definitions, path, paths, depth + 1);
                path.RemoveAt(path.Count - 1);
            }
            else
            {
                Walk(prop, definitions, path, paths, depth + 1);
            }

            path.RemoveAt(path.Count - 1);
        }
    }

    private static string Text(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : string.Empty;
}
