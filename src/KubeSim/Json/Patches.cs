using System.Globalization;
using System.Text.Json.Nodes;
using Fleet.KubeSim.Api;

namespace Fleet.KubeSim.Json;

/// <summary>
/// The three non-apply patch types: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and Kubernetes
/// strategic merge patch. Written here because no package in reach implements them over
/// <see cref="JsonNode"/>, and strategic merge needs the Kubernetes list semantics anyway.
/// </summary>
internal static class Patches
{
    public static JsonNode? MergePatch(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject p)
        {
            return patch?.DeepClone();
        }

        var result = target as JsonObject ?? new JsonObject();
        foreach (var (k, v) in p)
        {
            if (v is null)
            {
                result.Remove(k);
            }
            else
            {
                var existing = result[k];
                result.Remove(k);
                result[k] = MergePatch(existing?.DeepClone(), v);
            }
        }

        return result;
    }

    public static JsonNode JsonPatch(JsonNode target, JsonNode patch)
    {
        if (patch is not JsonArray ops)
        {
            throw KubeException.BadRequest("json patch must be a JSON array of operations");
        }

        var doc = target;
        for (var i = 0; i < ops.Count; i++)
        {
            if (ops[i] is not JsonObject op)
            {
                throw KubeException.BadRequest($"json patch operation {i} is not an object");
            }

            var kind = JsonUtil.Str(op["op"]) ?? throw KubeException.BadRequest($"json patch operation {i} has no \"op\"");
            var path = JsonUtil.Str(op["path"]) ?? throw KubeException.BadRequest($"json patch operation {i} has no \"path\"");
            switch (kind)
            {
                case "add":
                    doc = Add(doc, path, Value(op, i), i);
                    break;
                case "remove":
                    Remove(doc, path, i);
                    break;
                case "replace":
                    Remove(doc, path, i);
                    doc = Add(doc, path, Value(op, i), i);
                    break;
                case "move":
                {
                    var from = JsonUtil.Str(op["from"]) ?? throw KubeException.BadRequest($"json patch operation {i} has no \"from\"");
                    var moved = Remove(doc, from, i);
                    doc = Add(doc, path, moved, i);
                    break;
                }

                case "copy":
                {
                    var from = JsonUtil.Str(op["from"]) ?? throw KubeException.BadRequest($"json patch operation {i} has no \"from\"");
                    var (parent, token) = Resolve(doc, from, i);
                    doc = Add(doc, path, Get(parent, token, from, i)?.DeepClone(), i);
                    break;
                }

                case "test":
                {
                    var (parent, token) = Resolve(doc, path, i);
                    if (!JsonNode.DeepEquals(Get(parent, token, path, i), op["value"]))
                    {
                        throw new KubeException(422, "Invalid", "the server rejected our request due to an error in our request", new StatusDetails(null, null, null));
                    }

                    break;
                }

                default:
                    throw KubeException.BadRequest($"json patch operation {i}: unsupported op \"{kind}\"");
            }
        }

        return doc;
    }

    private static JsonNode? Value(JsonObject op, int i) =>
        op.TryGetPropertyValue("value", out var v)
            ? v?.DeepClone()
            : throw KubeException.BadRequest($"json patch operation {i} has no \"value\"");

    private static string Unescape(string token) => token.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);

    private static (JsonNode Parent, string Token) Resolve(JsonNode doc, string path, int i)
    {
        if (path.Length == 0 || path[0] != '/')
        {
            throw KubeException.BadRequest($"json patch operation {i}: path \"{path}\" must start with '/'");
        }

        var tokens = path[1..].Split('/').Select(Unescape).ToArray();
        var node = doc;
        for (var t = 0; t < tokens.Length - 1; t++)
        {
            node = Get(node, tokens[t], path, i)
                ?? throw new KubeException(422, "Invalid", $"json patch operation {i}: path \"{path}\" does not exist");
        }

        return (node, tokens[^1]);
    }

    private static JsonNode? Get(JsonNode parent, string token, string path, int i)
    {
        switch (parent)
        {
            case JsonObject o:
                return o.TryGetPropertyValue(token, out var v)
                    ? v
                    : throw new KubeException(422, "Invalid", $"json patch operation {i}: path \"{path}\" does not exist");
            case JsonArray a when int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var idx) && idx < a.Count:
                return a[idx];
            default:
                throw new KubeException(422, "Invalid", $"json patch operation {i}: path \"{path}\" does not exist");
        }
    }

    private static JsonNode Add(JsonNode doc, string path, JsonNode? value, int i)
    {
        if (path.Length == 0)
        {
            return value ?? throw KubeException.BadRequest($"json patch operation {i}: cannot replace the document with null");
        }

        var (parent, token) = Resolve(doc, path, i);
        switch (parent)
        {
            case JsonObject o:
                o.Remove(token);
                o[token] = value;
                break;
            case JsonArray a:
                if (token == "-")
                {
                    a.Add(value);
                }
                else if (int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var idx) && idx <= a.Count)
                {
                    a.Insert(idx, value);
                }
                else
                {
                    throw new KubeException(422, "Invalid", $"json patch operation {i}: index \"{token}\" out of range in \"{path}\"");
                }

                break;
            default:
                throw new KubeException(422, "Invalid", $"json patch operation {i}: path \"{path}\" does not point into an object or array");
        }

        return doc;
    }

    private static JsonNode? Remove(JsonNode doc, string path, int i)
    {
        var (parent, token) = Resolve(doc, path, i);
        var value = Get(parent, token, path, i);
        switch (parent)
        {
            case JsonObject o:
                o.Remove(token);
                break;
            case JsonArray a:
                a.RemoveAt(int.Parse(token, CultureInfo.InvariantCulture));
                break;
        }

        return value;
    }

    /// <summary>
    /// Strategic merge patch: maps merge, lists with a merge key merge by key, primitive sets union,
    /// other lists are replaced; <c>$patch: delete|replace|merge</c>, <c>$retainKeys</c>,
    /// <c>$deleteFromPrimitiveList/</c> and <c>$setElementOrder/</c> directives are honoured.
    /// </summary>
    public static JsonObject StrategicMerge(JsonObject target, JsonObject patch)
    {
        if (JsonUtil.Str(patch["$patch"]) == "replace")
        {
            var replaced = (JsonObject)patch.DeepClone();
            replaced.Remove("$patch");
            return replaced;
        }

        if (patch["$retainKeys"] is JsonArray retain)
        {
            var keep = retain.Select(JsonUtil.Str).ToHashSet(StringComparer.Ordinal);
            foreach (var k in target.Select(p => p.Key).ToList())
            {
                if (!keep.Contains(k))
                {
                    target.Remove(k);
                }
            }
        }

        foreach (var (k, v) in patch)
        {
            if (k is "$patch" or "$retainKeys" || k.StartsWith("$setElementOrder/", StringComparison.Ordinal))
            {
                continue;
            }

            if (k.StartsWith("$deleteFromPrimitiveList/", StringComparison.Ordinal))
            {
                var field = k["$deleteFromPrimitiveList/".Length..];
                if (target[field] is JsonArray list && v is JsonArray remove)
                {
                    for (var idx = list.Count - 1; idx >= 0; idx--)
                    {
                        if (remove.Any(r => JsonNode.DeepEquals(r, list[idx])))
                        {
                            list.RemoveAt(idx);
                        }
                    }
                }

                continue;
            }

            if (v is null)
            {
                target.Remove(k);
                continue;
            }

            var existing = target[k];
            if (v is JsonObject po)
            {
                if (JsonUtil.Str(po["$patch"]) == "delete")
                {
                    target.Remove(k);
                    continue;
                }

                var merged = StrategicMerge(existing as JsonObject ?? new JsonObject(), po);
                target.Remove(k);
                target[k] = merged;
            }
            else if (v is JsonArray pa)
            {
                var result = MergeList(k, existing as JsonArray, pa);
                target.Remove(k);
                target[k] = result;
            }
            else
            {
                target.Remove(k);
                target[k] = v.DeepClone();
            }
        }

        return target;
    }

    private static JsonArray MergeList(string field, JsonArray? existing, JsonArray patch)
    {
        var (kind, key) = ListSemantics.For(field, existing ?? patch);
        if (patch.Any(p => p is JsonObject o && JsonUtil.Str(o["$patch"]) == "replace"))
        {
            return new JsonArray(patch.Where(p => !(p is JsonObject o && o.ContainsKey("$patch"))).Select(p => p?.DeepClone()).ToArray());
        }

        if (existing is null)
        {
            return new JsonArray(patch.Where(p => !(p is JsonObject o && JsonUtil.Str(o["$patch"]) == "delete")).Select(p => p?.DeepClone()).ToArray());
        }

        switch (kind)
        {
            case ListKind.Set:
                var set = (JsonArray)existing.DeepClone();
                foreach (var item in patch)
                {
                    if (!set.Any(s => JsonNode.DeepEquals(s, item)))
                    {
                        set.Add(item?.DeepClone());
                    }
                }

                return set;
            case ListKind.Map when key is not null:
                var merged = (JsonArray)existing.DeepClone();
                foreach (var item in patch)
                {
                    if (item is not JsonObject po)
                    {
                        throw KubeException.BadRequest($"strategic merge patch: items of \"{field}\" must be objects with \"{key}\"");
                    }

                    var idx = ListSemantics.IndexOfKey(merged, key, po[key]);
                    if (JsonUtil.Str(po["$patch"]) == "delete")
                    {
                        if (idx >= 0)
                        {
                            merged.RemoveAt(idx);
                        }

                        continue;
                    }

                    if (idx >= 0)
                    {
                        var mergedItem = StrategicMerge((JsonObject)merged[idx]!.DeepClone(), po);
                        merged[idx] = mergedItem;
                    }
                    else
                    {
                        merged.Add(StrategicMerge(new JsonObject(), po));
                    }
                }

                return merged;
            default:
                return (JsonArray)patch.DeepClone();
        }
    }
}
