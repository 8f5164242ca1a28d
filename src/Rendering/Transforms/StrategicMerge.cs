using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fleet.Rendering.Transforms;

/// <summary>
/// Strategic merge patch over JSON nodes: maps merge recursively, <c>null</c> deletes a key, lists of
/// built-in Kubernetes types merge by their patch merge key, other lists are replaced, and the
/// <c>$patch: replace|delete|merge</c> directives apply. Hand-written because the merge keys come from
/// the Kubernetes OpenAPI schema, which no .NET library carries; the table below is the subset of it
/// that manifests use.
/// </summary>
internal static class StrategicMerge
{
    private static readonly HashSet<string> BuiltinGroups = new(StringComparer.Ordinal)
    {
        string.Empty, "apps", "batch", "policy", "networking.k8s.io", "rbac.authorization.k8s.io", "autoscaling",
        "admissionregistration.k8s.io", "storage.k8s.io", "scheduling.k8s.io", "apiextensions.k8s.io",
        "apiregistration.k8s.io", "coordination.k8s.io", "discovery.k8s.io", "node.k8s.io",
        "certificates.k8s.io", "events.k8s.io", "flowcontrol.apiserver.k8s.io", "extensions",
    };

    private static readonly Func<List<string>, string?> BuiltinKeys = MergeKey;

    /// <summary>
    /// Result of merging a patch into an object: the new object, or null when the patch deletes it. With
    /// <paramref name="inPlace"/> the target is changed and returned and the patch is consumed (both must be
    /// the caller's own, discarded copies); otherwise neither is modified.
    /// </summary>
    /// <param name="schema">A kustomization's <c>openapi</c> schema: when given it replaces the built-in
    /// merge keys (as kustomize's custom schema replaces its built-in one).</param>
    public static JsonObject? Apply(JsonObject target, JsonObject patch, bool inPlace = false, OpenApiSchema? schema = null)
    {
        if (patch["$patch"] is JsonValue d && d.GetValueKind() == JsonValueKind.String && d.GetValue<string>() == "delete")
        {
            return null;
        }

        var group = GroupOf(target["apiVersion"]);
        Func<List<string>, string?>? keys = schema is not null
            ? schema.KeysFor(group, target["kind"] is JsonValue k ? k.ToString() : string.Empty)
            : BuiltinGroups.Contains(group) ? BuiltinKeys : null;
        var result = inPlace ? target : (JsonObject)target.DeepClone();
        MergeMap(result, inPlace ? patch : (JsonObject)patch.DeepClone(), [], keys);
        return result;
    }

    private static string GroupOf(JsonNode? apiVersion)
    {
        var s = apiVersion is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : string.Empty;
        var i = s.IndexOf('/', StringComparison.Ordinal);
        return i < 0 ? string.Empty : s[..i];
    }

    /// <summary>Merges <paramref name="patch"/> into <paramref name="target"/> in place.</summary>
    internal static void MergeMap(JsonObject target, JsonObject patch, List<string> path, Func<List<string>, string?>? keys)
    {
        if (Directive(patch) == "replace")
        {
            patch.Remove("$patch");
            target.Clear();
            foreach (var (k, v) in patch.ToList())
            {
                patch.Remove(k);
                target[k] = Strip(v);
            }

            return;
        }

        patch.Remove("$patch");
        // $retainKeys and $setElementOrder are not acted on: kustomize (kyaml) keeps them as plain fields.
        foreach (var (key, value) in patch.ToList())
        {
            patch.Remove(key);
            if (value is null)
            {
                target.Remove(key);
                continue;
            }

            var existing = target[key];
            path.Add(key);
            if (value is JsonObject pm && existing is JsonObject tm)
            {
                if (Directive(pm) == "delete")
                {
                    target.Remove(key);
                }
                else
                {
                    MergeMap(tm, pm, path, keys);
                }
            }
            else if (value is JsonArray pa && existing is JsonArray ta)
            {
                target[key] = MergeList(ta, pa, path, keys);
            }
            else if (value is JsonObject pm2 && Directive(pm2) == "delete")
            {
                target.Remove(key);
            }
            else
            {
                target[key] = Strip(value);
            }

            path.RemoveAt(path.Count - 1);
        }
    }

    private static JsonArray MergeList(JsonArray target, JsonArray patch, List<string> path, Func<List<string>, string?>? keys)
    {
        var items = patch.ToList();
        patch.Clear();

        // {$patch: replace} as a list element replaces the whole list with the other elements.
        if (items.Exists(i => i is JsonObject o && Directive(o) == "replace" && o.Count == 1))
        {
            return new JsonArray(items.Where(i => !(i is JsonObject o && Directive(o) == "replace" && o.Count == 1)).Select(Strip).ToArray());
        }

        var key = keys?.Invoke(path);
        if (key is null)
        {
            if (ReferenceEquals(keys, BuiltinKeys) && IsMergedPrimitiveList(path))
            {
                // Like kyaml: the patch's values first, then original values the patch did not list.
                var merged = new JsonArray(items.ToArray());
                foreach (var t in target)
                {
                    if (!merged.Any(m => JsonNode.DeepEquals(m, t)))
                    {
                        merged.Add(t?.DeepClone());
                    }
                }

                return merged;
            }

            return new JsonArray(items.Where(i => !(i is JsonObject o && Directive(o) == "delete")).Select(Strip).ToArray());
        }

        // Like kyaml: the patch's elements come first, in patch order (merged with the original element of
        // the same key), then the original elements the patch did not mention, in their order.
        var originals = target.Select(t => t?.DeepClone()).ToList();
        var used = new bool[originals.Count];
        var result = new JsonArray();
        foreach (var item in items)
        {
            if (item is not JsonObject po)
            {
                result.Add(item);
                continue;
            }

            var keyValue = po[key];
            var index = -1;
            if (keyValue is not null)
            {
                for (var i = 0; i < originals.Count; i++)
                {
                    if (!used[i] && originals[i] is JsonObject ro && JsonNode.DeepEquals(ro[key], keyValue))
                    {
                        index = i;
                        break;
                    }
                }
            }

            if (index >= 0)
            {
                used[index] = true;
            }

            if (Directive(po) == "delete")
            {
                continue;
            }

            if (index >= 0)
            {
                var ro = (JsonObject)originals[index]!;
                path.Add("[]");
                MergeMap(ro, po, path, keys);
                path.RemoveAt(path.Count - 1);
                result.Add((JsonNode)ro);
            }
            else
            {
                result.Add(Strip(po));
            }
        }

        for (var i = 0; i < originals.Count; i++)
        {
            if (!used[i])
            {
                result.Add(originals[i]);
            }
        }

        return result;
    }

    private static string? Directive(JsonObject o) =>
        o["$patch"] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    /// <summary>Removes directives and null-valued keys from a subtree taken whole from a patch.</summary>
    private static JsonNode? Strip(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                o.Remove("$patch");
                foreach (var (_, v) in o)
                {
                    Strip(v);
                }

                return o;
            case JsonArray a:
                foreach (var item in a)
                {
                    Strip(item);
                }

                return a;
            default:
                return node;
        }
    }

    /// <summary>The patch merge key of a list field of a built-in type, from the Kubernetes API schema.</summary>
    internal static string? MergeKey(List<string> path)
    {
        var field = path[^1];
        var parent = path.Count > 1 ? path[^2] : string.Empty;
        var grand = path.Count > 2 ? path[^3] : string.Empty;
        var inContainer = parent == "[]" && grand is "containers" or "initContainers" or "ephemeralContainers";
        return field switch
        {
            "containers" or "initContainers" or "ephemeralContainers" => "name",
            "env" => "name",
            "volumes" => "name",
            "volumeMounts" => "mountPath",
            "volumeDevices" => "devicePath",
            "imagePullSecrets" => "name",
            "hostAliases" => "ip",
            "topologySpreadConstraints" => "topologyKey",
            "conditions" => "type",
            "ownerReferences" => "uid",
            "resourceClaims" => "name",
            "schedulingGates" => "name",
            "webhooks" => "name",
            "ports" when inContainer => "containerPort",
            "ports" when path.Count == 2 && path[0] == "spec" => "port",
            _ => null,
        };
    }

    private static bool IsMergedPrimitiveList(List<string> path) =>
        path.Count == 2 && path[0] == "metadata" && path[1] == "finalizers";
}
