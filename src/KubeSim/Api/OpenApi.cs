using System.Text.Json.Nodes;
using Fleet.KubeSim.Store;

namespace Fleet.KubeSim.Api;

/// <summary>
/// A minimal OpenAPI v3 surface: the <c>/openapi/v3</c> index of group versions and, per group version,
/// the object paths with their operations and query parameters (<c>fieldValidation</c>, <c>fieldManager</c>,
/// <c>dryRun</c>, <c>force</c>) and one open schema per kind. That is what kubectl reads to learn that the
/// server validates fields itself; full schemas (for <c>kubectl explain</c>) are not served.
/// </summary>
internal static class OpenApi
{
    public static ApiResponse Serve(SimCluster c, string[] segments, string? accept)
    {
        if (segments.Length >= 2 && segments[1] == "v3")
        {
            if (segments.Length == 2)
            {
                return KubeApi.Json(200, Root(c));
            }

            var gvPath = string.Join('/', segments[2..]);
            var doc = GroupVersion(c, gvPath);
            return doc is null ? throw KubeException.ResourceNotFound() : KubeApi.Json(200, doc);
        }

        if (segments.Length == 2 && segments[1] == "v2")
        {
            return accept is not null && accept.Contains("protobuf", StringComparison.Ordinal)
                ? new ApiResponse(200, EmptyV2Protobuf(), "application/com.github.proto-openapi.spec.v2.v1.0+protobuf")
                : KubeApi.Json(200, new JsonObject
                {
                    ["swagger"] = "2.0",
                    ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = "v1.32.0" },
                    ["paths"] = new JsonObject(),
                    ["definitions"] = new JsonObject(),
                });
        }

        throw KubeException.ResourceNotFound();
    }

    /// <summary>
    /// An OpenAPI v2 document without definitions in the gnostic protobuf encoding kubectl asks for
    /// (field 1 <c>swagger</c>, field 2 <c>info</c> with title and version). Encoded by hand: it is a few
    /// fixed bytes. With it kubectl's client-side schema lookup finds nothing and defers to the server's
    /// own field validation, as it does for custom resources.
    /// </summary>
    private static byte[] EmptyV2Protobuf()
    {
        var info = new List<byte>();
        AddString(info, 1, "Kubernetes");
        AddString(info, 2, "v1.32.0");
        var doc = new List<byte>();
        AddString(doc, 1, "2.0");
        doc.Add((2 << 3) | 2);
        doc.Add((byte)info.Count);
        doc.AddRange(info);
        return [.. doc];
    }

    private static void AddString(List<byte> buffer, int field, string value)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(value);
        buffer.Add((byte)((field << 3) | 2));
        buffer.Add((byte)bytes.Length);
        buffer.AddRange(bytes);
    }

    private static IEnumerable<(string Path, string Group, string Version)> GroupVersions(SimCluster c)
    {
        lock (c.Gate)
        {
            return Discovery.AllTypes(c)
                .Select(t => (t.Group.Length == 0 ? "api/v1" : $"apis/{t.Group}/{t.Version}", t.Group, t.Version))
                .Distinct()
                .ToList();
        }
    }

    private static JsonObject Root(SimCluster c)
    {
        var paths = new JsonObject();
        foreach (var (path, _, _) in GroupVersions(c))
        {
            paths[path] = new JsonObject { ["serverRelativeURL"] = $"/clusters/{c.Name}/openapi/v3/{path}?hash={Hash(c, path)}" };
        }

        return new JsonObject { ["paths"] = paths };
    }

    private static string Hash(SimCluster c, string path)
    {
        lock (c.Gate)
        {
            var names = string.Join(",", Discovery.AllTypes(c).Select(t => t.GroupVersion + "/" + t.Plural));
            return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(path + names)))[..32];
        }
    }

    private static JsonObject? GroupVersion(SimCluster c, string gvPath)
    {
        var match = GroupVersions(c).FirstOrDefault(g => g.Path == gvPath);
        if (match.Path is null)
        {
            return null;
        }

        List<ResourceType> types;
        lock (c.Gate)
        {
            types = Discovery.AllTypes(c).Where(t => t.Group == match.Group && t.Version == match.Version).ToList();
        }

        var paths = new JsonObject();
        var schemas = new JsonObject();
        foreach (var t in types)
        {
            var schemaName = SchemaName(t);
            var gvk = new JsonArray(new JsonObject { ["group"] = t.Group, ["kind"] = t.Kind, ["version"] = t.Version });
            schemas[schemaName] = new JsonObject
            {
                ["type"] = "object",
                ["x-kubernetes-group-version-kind"] = gvk.DeepClone(),
                ["x-kubernetes-preserve-unknown-fields"] = true,
            };
            var prefix = "/" + gvPath + (t.Namespaced ? "/namespaces/{namespace}/" : "/") + t.Plural;
            paths[prefix] = new JsonObject
            {
                ["get"] = Operation("list", t, gvk, ["labelSelector", "fieldSelector", "limit", "continue", "watch", "resourceVersion"]),
                ["post"] = Operation("create", t, gvk, ["dryRun", "fieldManager", "fieldValidation"]),
            };
            paths[prefix + "/{name}"] = new JsonObject
            {
                ["get"] = Operation("read", t, gvk, []),
                ["put"] = Operation("replace", t, gvk, ["dryRun", "fieldManager", "fieldValidation"]),
                ["patch"] = Operation("patch", t, gvk, ["dryRun", "fieldManager", "fieldValidation", "force"]),
                ["delete"] = Operation("delete", t, gvk, ["dryRun", "gracePeriodSeconds", "propagationPolicy"]),
            };
        }

        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = "v1.32.0" },
            ["paths"] = paths,
            ["components"] = new JsonObject { ["schemas"] = schemas },
        };
    }

    private static string SchemaName(ResourceType t)
    {
        var group = t.Group.Length == 0 ? "core" : t.Group;
        var reversed = string.Join('.', group.Split('.').Reverse());
        return t.IsCustom ? $"{reversed}.{t.Version}.{t.Kind}" : $"io.k8s.api.{group.Split('.')[0]}.{t.Version}.{t.Kind}";
    }

    private static JsonObject Operation(string action, ResourceType t, JsonArray gvk, string[] parameters)
    {
        var ps = new JsonArray();
        foreach (var p in parameters)
        {
            ps.Add(new JsonObject { ["name"] = p, ["in"] = "query", ["schema"] = new JsonObject { ["type"] = "string" } });
        }

        return new JsonObject
        {
            ["operationId"] = $"{action}{t.Kind}",
            ["parameters"] = ps,
            ["x-kubernetes-action"] = action,
            ["x-kubernetes-group-version-kind"] = gvk.Count > 0 ? gvk[0]!.DeepClone() : null,
            ["responses"] = new JsonObject
            {
                ["200"] = new JsonObject
                {
                    ["description"] = "OK",
                    ["content"] = new JsonObject
                    {
                        ["application/json"] = new JsonObject { ["schema"] = new JsonObject { ["$ref"] = $"#/components/schemas/{SchemaName(t)}" } },
                    },
                },
            },
        };
    }
}
