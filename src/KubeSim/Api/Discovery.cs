using System.Text.Json.Nodes;
using Fleet.KubeSim.Store;

namespace Fleet.KubeSim.Api;

/// <summary>
/// The discovery documents of a virtual cluster: <c>/version</c>, legacy <c>/api</c>, <c>/apis</c>,
/// per-group-version <c>APIResourceList</c>s, and the aggregated <c>APIGroupDiscoveryList</c> (v2) that
/// kubectl 1.32 asks for first.
/// </summary>
internal static class Discovery
{
    public const string AggregatedContentType = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

    public static JsonObject Version() => new()
    {
        ["major"] = "1",
        ["minor"] = "32",
        ["gitVersion"] = "v1.32.0",
        ["gitCommit"] = "kubesim",
        ["gitTreeState"] = "clean",
        ["buildDate"] = "2025-01-01T00:00:00Z",
        ["goVersion"] = "go1.23.4",
        ["compiler"] = "gc",
        ["platform"] = "linux/amd64",
    };

    public static bool WantsAggregated(string? accept) =>
        accept is not null && accept.Contains("as=APIGroupDiscoveryList", StringComparison.Ordinal)
        && accept.Contains("v=v2", StringComparison.Ordinal)
        && accept.IndexOf("as=APIGroupDiscoveryList", StringComparison.Ordinal) < IndexOfPlainJson(accept);

    private static int IndexOfPlainJson(string accept)
    {
        var parts = accept.Split(',');
        var offset = 0;
        foreach (var p in parts)
        {
            if (p.Trim() is "application/json" or "*/*")
            {
                return offset;
            }

            offset += p.Length + 1;
        }

        return int.MaxValue;
    }

    public static IEnumerable<ResourceType> AllTypes(SimCluster c) => BuiltinResources.All.Concat(c.CustomTypes);

    public static JsonObject CoreVersions(string serverAddress) => new()
    {
        ["kind"] = "APIVersions",
        ["versions"] = new JsonArray("v1"),
        ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = serverAddress }),
    };

    private static List<(string Group, List<string> Versions)> Groups(SimCluster c)
    {
        var groups = new List<(string, List<string>)>();
        foreach (var t in AllTypes(c))
        {
            if (t.Group.Length == 0)
            {
                continue;
            }

            var idx = groups.FindIndex(g => g.Item1 == t.Group);
            if (idx < 0)
            {
                groups.Add((t.Group, [t.Version]));
            }
            else if (!groups[idx].Item2.Contains(t.Version))
            {
                groups[idx].Item2.Add(t.Version);
            }
        }

        return groups
            .OrderBy(g => BuiltinResources.GroupOrder.Contains(g.Item1) ? BuiltinResources.GroupOrder.ToList().IndexOf(g.Item1) : 1000)
            .ThenBy(g => g.Item1, StringComparer.Ordinal)
            .ToList();
    }

    private static JsonObject GroupJson(string group, List<string> versions)
    {
        var list = new JsonArray();
        foreach (var v in versions)
        {
            list.Add(new JsonObject { ["groupVersion"] = $"{group}/{v}", ["version"] = v });
        }

        return new JsonObject
        {
            ["name"] = group,
            ["versions"] = list,
            ["preferredVersion"] = new JsonObject { ["groupVersion"] = $"{group}/{versions[0]}", ["version"] = versions[0] },
        };
    }

    public static JsonObject GroupList(SimCluster c)
    {
        var groups = new JsonArray();
        foreach (var (g, vs) in Groups(c))
        {
            groups.Add(GroupJson(g, vs));
        }

        return new JsonObject { ["kind"] = "APIGroupList", ["apiVersion"] = "v1", ["groups"] = groups };
    }

    public static JsonObject? Group(SimCluster c, string group)
    {
        var found = Groups(c).FirstOrDefault(g => g.Group == group);
        if (found.Group is null)
        {
            return null;
        }

        var o = GroupJson(found.Group, found.Versions);
        var result = new JsonObject { ["kind"] = "APIGroup", ["apiVersion"] = "v1" };
        foreach (var (k, v) in o)
        {
            result[k] = v?.DeepClone();
        }

        return result;
    }

    public static JsonObject? ResourceList(SimCluster c, string group, string version)
    {
        var types = AllTypes(c).Where(t => t.Group == group && t.Version == version).OrderBy(t => t.Plural, StringComparer.Ordinal).ToList();
        if (types.Count == 0)
        {
            return null;
        }

        var resources = new JsonArray();
        foreach (var t in types)
        {
            var r = new JsonObject
            {
                ["name"] = t.Plural,
                ["singularName"] = t.Singular,
                ["namespaced"] = t.Namespaced,
                ["kind"] = t.Kind,
                ["verbs"] = Strings(t.Verbs),
            };
            if (t.ShortNames.Count > 0)
            {
                r["shortNames"] = Strings(t.ShortNames);
            }

            if (t.Categories.Count > 0)
            {
                r["categories"] = Strings(t.Categories);
            }

            resources.Add(r);
            if (KubeApi.HasScale(t))
            {
                resources.Add(new JsonObject
                {
                    ["name"] = t.Plural + "/scale",
                    ["singularName"] = string.Empty,
                    ["namespaced"] = t.Namespaced,
                    ["group"] = "autoscaling",
                    ["version"] = "v1",
                    ["kind"] = "Scale",
                    ["verbs"] = Strings(["get", "patch", "update"]),
                });
            }

            if (KubeApi.HasToken(t))
            {
                resources.Add(new JsonObject
                {
                    ["name"] = t.Plural + "/token",
                    ["singularName"] = string.Empty,
                    ["namespaced"] = t.Namespaced,
                    ["group"] = "authentication.k8s.io",
                    ["version"] = "v1",
                    ["kind"] = "TokenRequest",
                    ["verbs"] = Strings(["create"]),
                });
            }

            if (t.HasStatus)
            {
                resources.Add(new JsonObject
                {
                    ["name"] = t.Plural + "/status",
                    ["singularName"] = string.Empty,
                    ["namespaced"] = t.Namespaced,
                    ["kind"] = t.Kind,
                    ["verbs"] = Strings(["get", "patch", "update"]),
                });
            }
        }

        return new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["apiVersion"] = "v1",
            ["groupVersion"] = group.Length == 0 ? version : $"{group}/{version}",
            ["resources"] = resources,
        };
    }

    /// <summary>The aggregated discovery document: for <c>/api</c> (core) or <c>/apis</c> (every group).</summary>
    public static JsonObject Aggregated(SimCluster c, bool core)
    {
        var items = new JsonArray();
        if (core)
        {
            items.Add(AggregatedGroup(c, string.Empty, ["v1"]));
        }
        else
        {
            foreach (var (g, vs) in Groups(c))
            {
                items.Add(AggregatedGroup(c, g, vs));
            }
        }

        return new JsonObject
        {
            ["kind"] = "APIGroupDiscoveryList",
            ["apiVersion"] = "apidiscovery.k8s.io/v2",
            ["metadata"] = new JsonObject(),
            ["items"] = items,
        };
    }

    private static JsonObject AggregatedGroup(SimCluster c, string group, List<string> versions)
    {
        var versionList = new JsonArray();
        foreach (var v in versions)
        {
            var resources = new JsonArray();
            foreach (var t in AllTypes(c).Where(t => t.Group == group && t.Version == v).OrderBy(t => t.Plural, StringComparer.Ordinal))
            {
                var kind = new JsonObject { ["group"] = group, ["version"] = v, ["kind"] = t.Kind };
                var r = new JsonObject
                {
                    ["resource"] = t.Plural,
                    ["responseKind"] = kind,
                    ["scope"] = t.Namespaced ? "Namespaced" : "Cluster",
                    ["singularResource"] = t.Singular,
                    ["verbs"] = Strings(t.Verbs),
                };
                if (t.ShortNames.Count > 0)
                {
                    r["shortNames"] = Strings(t.ShortNames);
                }

                if (t.Categories.Count > 0)
                {
                    r["categories"] = Strings(t.Categories);
                }

                var subresources = new JsonArray();
                if (KubeApi.HasScale(t))
                {
                    subresources.Add(new JsonObject
                    {
                        ["subresource"] = "scale",
                        ["responseKind"] = new JsonObject { ["group"] = "autoscaling", ["version"] = "v1", ["kind"] = "Scale" },
                        ["verbs"] = Strings(["get", "patch", "update"]),
                    });
                }

                if (KubeApi.HasToken(t))
                {
                    subresources.Add(new JsonObject
                    {
                        ["subresource"] = "token",
                        ["responseKind"] = new JsonObject { ["group"] = "authentication.k8s.io", ["version"] = "v1", ["kind"] = "TokenRequest" },
                        ["verbs"] = Strings(["create"]),
                    });
                }

                if (t.HasStatus)
                {
                    subresources.Add(new JsonObject
                    {
                        ["subresource"] = "status",
                        ["responseKind"] = kind.DeepClone(),
                        ["verbs"] = Strings(["get", "patch", "update"]),
                    });
                }

                if (subresources.Count > 0)
                {
                    r["subresources"] = subresources;
                }

                resources.Add(r);
            }

            versionList.Add(new JsonObject { ["version"] = v, ["resources"] = resources, ["freshness"] = "Current" });
        }

        var metadata = new JsonObject();
        if (group.Length > 0)
        {
            metadata["name"] = group;
        }

        return new JsonObject { ["metadata"] = metadata, ["versions"] = versionList };
    }

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
}
