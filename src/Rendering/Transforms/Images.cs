using System.Text.Json;
using System.Text.Json.Nodes;
using Fleet.Rendering.Kustomize;

namespace Fleet.Rendering.Transforms;

/// <summary>kustomize's <c>images</c>: rewrites the name, tag or digest of matching container images.</summary>
internal static class Images
{
    public static void Apply(JsonNode? node, string file, List<Resource> ra, IReadOnlyList<FieldSpec>? configured = null)
    {
        if (node is null)
        {
            return;
        }

        if (node is not JsonArray list)
        {
            throw new RenderException($"{file}: 'images' must be a list");
        }

        foreach (var item in list)
        {
            if (item is not JsonObject entry || Resource.Str(entry, "name").Length == 0)
            {
                throw new RenderException($"{file}: every entry of 'images' needs a name");
            }

            foreach (var r in ra)
            {
                Walk(r.Obj, entry);
                foreach (var spec in configured ?? [])
                {
                    if (spec.Matches(r))
                    {
                        FieldSpecs.ForEachParent(r.Obj, spec.Parts, (parent, key) =>
                        {
                            if (parent[key] is JsonValue v && v.GetValueKind() == JsonValueKind.String && Rewrite(v.GetValue<string>(), entry) is { } updated)
                            {
                                parent[key] = updated;
                            }
                        });
                    }
                }
            }
        }
    }

    private static void Walk(JsonNode? node, JsonObject entry)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, value) in o)
                {
                    if (key is "containers" or "initContainers" or "ephemeralContainers" && value is JsonArray containers)
                    {
                        foreach (var c in containers.OfType<JsonObject>())
                        {
                            if (c["image"] is JsonValue iv && iv.GetValueKind() == JsonValueKind.String)
                            {
                                var updated = Rewrite(iv.GetValue<string>(), entry);
                                if (updated is not null)
                                {
                                    c["image"] = updated;
                                }
                            }
                        }
                    }

                    Walk(value, entry);
                }

                break;
            case JsonArray a:
                foreach (var item in a)
                {
                    Walk(item, entry);
                }

                break;
        }
    }

    /// <summary>The image with the entry applied, or null when the entry's name does not match.</summary>
    internal static string? Rewrite(string image, JsonObject entry)
    {
        var (name, tag, digest) = Split(image);
        if (name != Resource.Str(entry, "name"))
        {
            return null;
        }

        var newName = Resource.Str(entry, "newName");
        var newTag = entry["newTag"] is JsonValue tv ? Yaml.YamlReader.ScalarText(tv) : string.Empty;
        var newDigest = Resource.Str(entry, "digest");
        if (newName.Length > 0)
        {
            name = newName;
        }

        if (newDigest.Length > 0)
        {
            return name + (newTag.Length > 0 ? ":" + newTag : string.Empty) + "@" + newDigest;
        }

        if (newTag.Length > 0)
        {
            return name + ":" + newTag;
        }

        return name + (tag is not null ? ":" + tag : string.Empty) + (digest is not null ? "@" + digest : string.Empty);
    }

    private static (string Name, string? Tag, string? Digest) Split(string image)
    {
        string? digest = null;
        var at = image.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            digest = image[(at + 1)..];
            image = image[..at];
        }

        string? tag = null;
        var colon = image.LastIndexOf(':');
        if (colon > image.LastIndexOf('/'))
        {
            tag = image[(colon + 1)..];
            image = image[..colon];
        }

        return (image, tag, digest);
    }
}
