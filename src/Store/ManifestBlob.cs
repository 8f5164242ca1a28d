using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fleet.Store.Storage;

namespace Fleet.Store;

/// <summary>
/// The desired manifests of a placement, as blobs: either the rendered objects themselves (a JSON array), or,
/// for a cluster whose variables were substituted, an overlay on them: <c>{"base": digest, "replace": {"3": {...}}}</c>
/// holding only the objects the substitution changed, by their position in the base. Thousands of clusters then
/// share one rendered blob (read once, from the blob cache) and each stores only its few substituted objects.
/// </summary>
public static class ManifestBlob
{
    /// <summary>The digest a content is stored under.</summary>
    public static string Digest(ReadOnlySpan<byte> content) => StorageFormat.Digest(content);

    /// <summary>A JSON array of the objects.</summary>
    public static byte[] Objects(IEnumerable<JsonObject> objects)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var o in objects)
            {
                o.WriteTo(writer);
            }
            writer.WriteEndArray();
        }
        return buffer.ToArray();
    }

    /// <summary>An overlay on <paramref name="baseDigest"/> replacing the objects at the given positions.</summary>
    public static byte[] Overlay(string baseDigest, IEnumerable<KeyValuePair<int, JsonObject>> replaced)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("base", baseDigest);
            writer.WriteStartObject("replace");
            foreach (var (i, o) in replaced.OrderBy(r => r.Key))
            {
                writer.WritePropertyName(i.ToString(CultureInfo.InvariantCulture));
                o.WriteTo(writer);
            }
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>
    /// The objects stored under <paramref name="digest"/> (an overlay is applied to its base), or null when that
    /// blob or its base is no longer stored. Each call returns new objects the caller may change.
    /// </summary>
    public static async Task<List<JsonObject>?> ReadAsync(IBlobStore blobs, string digest, CancellationToken ct)
    {
        if (await blobs.GetAsync(digest, ct) is not { } content)
        {
            return null;
        }
        var node = JsonNode.Parse(content);
        if (node is JsonArray array)
        {
            return array.Select(n => n!.AsObject()).ToList();
        }
        if (node is not JsonObject { } overlay || overlay["base"]?.GetValue<string>() is not { } baseDigest || overlay["replace"] is not JsonObject replace)
        {
            throw new InvalidDataException($"blob {digest} holds no manifests");
        }
        if (await blobs.GetAsync(baseDigest, ct) is not { } baseContent)
        {
            return null;
        }
        var objects = JsonNode.Parse(baseContent)!.AsArray().Select(n => n!.AsObject()).ToList();
        foreach (var (key, value) in replace)
        {
            var i = int.Parse(key, CultureInfo.InvariantCulture);
            if (i < 0 || i >= objects.Count || value is not JsonObject replacement)
            {
                throw new InvalidDataException($"blob {digest} replaces object {key} of {objects.Count} in {baseDigest}");
            }
            objects[i] = replacement.DeepClone().AsObject();
        }
        return objects;
    }
}
