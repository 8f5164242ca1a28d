using System.Text.Json;
using System.Text.Json.Nodes;
using Fleet.Rendering.Kustomize;

namespace Fleet.Rendering.Transforms;

/// <summary>kustomize's <c>replacements</c>: copy a field of one object into fields of others.</summary>
internal static class Replacements
{
    public static void Apply(JsonNode? node, string file, List<Resource> ra, Func<string, JsonArray> loadFile)
    {
        if (node is null)
        {
            return;
        }

        if (node is not JsonArray list)
        {
            throw new RenderException($"{file}: 'replacements' must be a list");
        }

        var expanded = new List<JsonObject>();
        foreach (var item in list)
        {
            if (item is JsonObject o && o["path"] is JsonValue pv && pv.GetValueKind() == JsonValueKind.String)
            {
                expanded.AddRange(loadFile(pv.GetValue<string>()).OfType<JsonObject>());
            }
            else if (item is JsonObject o2)
            {
                expanded.Add(o2);
            }
            else
            {
                throw new RenderException($"{file}: every replacement must be a mapping");
            }
        }

        for (var i = 0; i < expanded.Count; i++)
        {
            ApplyOne(expanded[i], $"{file}: replacements[{i}]", ra);
        }
    }

    private static void ApplyOne(JsonObject rep, string where, List<Resource> ra)
    {
        if (rep["source"] is not JsonObject source)
        {
            throw new RenderException($"{where}: a replacement needs a source");
        }

        var sources = Builder.Select(ra, Exact(source), where);
        if (sources.Count != 1)
        {
            throw new RenderException($"{where}: source must select exactly one resource, selected {sources.Count}");
        }

        var sourcePath = Resource.Str(source, "fieldPath");
        if (sourcePath.Length == 0)
        {
            sourcePath = "metadata.name";
        }

        var values = FieldPath.Get(sources[0].Obj, FieldPath.Parse(sourcePath));
        if (values.Count == 0)
        {
            throw new RenderException($"{where}: source field '{sourcePath}' not found in {sources[0].Describe()}");
        }

        JsonNode? value = values[0]?.DeepClone();
        if (source["options"] is JsonObject sopt && Resource.Str(sopt, "delimiter") is { Length: > 0 } sdelim)
        {
            var parts = FieldPath.Text(value).Split(sdelim);
            var idx = sopt["index"] is JsonValue iv ? iv.GetValue<int>() : 0;
            if (idx < 0 || idx >= parts.Length)
            {
                throw new RenderException($"{where}: options.index {idx} is out of bounds for source value");
            }

            value = parts[idx];
        }

        if (rep["targets"] is not JsonArray targets)
        {
            throw new RenderException($"{where}: a replacement needs targets");
        }

        foreach (var t in targets.OfType<JsonObject>())
        {
            if (t["select"] is not JsonObject select)
            {
                throw new RenderException($"{where}: every target needs select");
            }

            var selected = Builder.Select(ra, Exact(select), where);
            if (t["reject"] is JsonArray rejects)
            {
                foreach (var rej in rejects.OfType<JsonObject>())
                {
                    var rejected = Builder.Select(ra, Exact(rej), where);
                    selected = selected.Where(s => !rejected.Contains(s)).ToList();
                }
            }

            var options = t["options"] as JsonObject;
            var create = options?["create"] is JsonValue cv && cv.GetValueKind() == JsonValueKind.True;
            var delimiter = options is null ? string.Empty : Resource.Str(options, "delimiter");
            var index = options?["index"] is JsonValue ixv ? ixv.GetValue<int>() : 0;
            foreach (var r in selected)
            {
                foreach (var fp in Builder.Strings(t, "fieldPaths", where))
                {
                    var parts = FieldPath.Parse(fp);
                    var count = FieldPath.Set(r.Obj, parts, create, old =>
                    {
                        if (delimiter.Length == 0)
                        {
                            return Carry(value, old);
                        }

                        var segs = FieldPath.Text(old).Split(delimiter).ToList();
                        if (index < 0)
                        {
                            segs.Insert(0, FieldPath.Text(value));
                        }
                        else if (index >= segs.Count)
                        {
                            segs.Add(FieldPath.Text(value));
                        }
                        else
                        {
                            segs[index] = FieldPath.Text(value);
                        }

                        return string.Join(delimiter, segs);
                    });
                    if (count == 0 && !create)
                    {
                        throw new RenderException($"{where}: unable to find field '{fp}' in replacement target {r.Describe()}");
                    }

                    r.Record();
                }
            }
        }
    }

    /// <summary>
    /// kustomize copies only the text of a scalar into a scalar field, keeping the field's type: a
    /// string field stays a string, a number or a new field reads the text as plain YAML (so "8080"
    /// becomes 8080 and "true" true). Anything else is copied whole.
    /// </summary>
    private static JsonNode? Carry(JsonNode? value, JsonNode? old)
    {
        if (value is not JsonValue scalar)
        {
            return value?.DeepClone();
        }

        var text = FieldPath.Text(scalar);
        return old switch
        {
            JsonValue ov when ov.GetValueKind() == JsonValueKind.String => JsonValue.Create(text),
            null or JsonValue => Yaml.YamlReader.ResolvePlain(text),
            _ => scalar.DeepClone(),
        };
    }

    /// <summary>Replacement selectors match names exactly, not as regular expressions.</summary>
    private static JsonObject Exact(JsonObject selector)
    {
        var copy = new JsonObject();
        foreach (var key in new[] { "group", "version", "kind", "name", "namespace" })
        {
            var v = Resource.Str(selector, key);
            if (v.Length > 0)
            {
                copy[key] = System.Text.RegularExpressions.Regex.Escape(v);
            }
        }

        foreach (var key in new[] { "labelSelector", "annotationSelector" })
        {
            var v = Resource.Str(selector, key);
            if (v.Length > 0)
            {
                copy[key] = v;
            }
        }

        return copy;
    }
}
