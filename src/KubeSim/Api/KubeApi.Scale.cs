using System.Text.Json.Nodes;
using Fleet.KubeSim.Json;
using Fleet.KubeSim.Store;

namespace Fleet.KubeSim.Api;

/// <summary>The <c>scale</c> subresource of Deployments, StatefulSets and ReplicaSets (<c>autoscaling/v1</c> Scale).</summary>
internal sealed partial class KubeApi
{
    internal static bool HasScale(ResourceType t) =>
        !t.IsCustom && t.Group == "apps" && t.Plural is "deployments" or "statefulsets" or "replicasets";

    private static JsonObject ScaleOf(JsonObject live)
    {
        var meta = live["metadata"];
        var m = new JsonObject();
        foreach (var f in new[] { "name", "namespace", "uid", "resourceVersion", "creationTimestamp" })
        {
            if (meta?[f] is { } v)
            {
                m[f] = v.DeepClone();
            }
        }

        return new JsonObject
        {
            ["kind"] = "Scale",
            ["apiVersion"] = "autoscaling/v1",
            ["metadata"] = m,
            ["spec"] = new JsonObject { ["replicas"] = JsonUtil.Long(live["spec"]?["replicas"]) ?? 1 },
            ["status"] = new JsonObject
            {
                ["replicas"] = JsonUtil.Long(live["status"]?["replicas"]) ?? 0,
                ["selector"] = SelectorString(live["spec"]?["selector"] as JsonObject),
            },
        };
    }

    /// <summary>A label selector in the string form kube-apiserver prints: requirements sorted by key.</summary>
    private static string SelectorString(JsonObject? selector)
    {
        var parts = new List<(string Key, string Text)>();
        foreach (var (k, v) in selector?["matchLabels"] as JsonObject ?? [])
        {
            parts.Add((k, $"{k}={JsonUtil.Str(v)}"));
        }

        foreach (var e in (selector?["matchExpressions"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var key = JsonUtil.Str(e["key"]) ?? string.Empty;
            var values = string.Join(",", (e["values"] as JsonArray ?? []).Select(JsonUtil.Str).Order(StringComparer.Ordinal));
            parts.Add((key, JsonUtil.Str(e["operator"]) switch
            {
                "In" => $"{key} in ({values})",
                "NotIn" => $"{key} notin ({values})",
                "DoesNotExist" => $"!{key}",
                _ => key,
            }));
        }

        return string.Join(",", parts.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Text));
    }

    private static KubeException ScaleNotFound(ApiTarget t) =>
        new(404, "NotFound", $"{t.Type.Plural}/scale.{t.Type.Group} \"{t.Name}\" not found", new StatusDetails(t.Name, t.Type.Group, t.Type.Plural + "/scale"));

    private ApiResponse GetScale(SimCluster c, ApiTarget t)
    {
        byte[]? bytes;
        lock (c.Gate)
        {
            bytes = c.Get(t.Type.GroupResource, t.Namespace ?? string.Empty, t.Name!);
        }

        return Json(200, ScaleOf(JsonUtil.ParseObject(bytes ?? throw ScaleNotFound(t))));
    }

    /// <summary>Writes a Scale (PUT or patch): the object's <c>spec.replicas</c> changes, owned by the writer with subresource <c>scale</c>.</summary>
    private ApiResponse WriteScale(SimCluster c, ApiTarget t, ApiRequest r, Func<JsonObject, JsonNode?> change)
    {
        var manager = FieldManager(r, "unknown");
        lock (c.Gate)
        {
            ThrowIfRemoved(c);
            var liveBytes = c.Get(t.Type.GroupResource, t.Namespace ?? string.Empty, t.Name!) ?? throw ScaleNotFound(t);
            var live = JsonUtil.ParseObject(liveBytes);
            if (change(ScaleOf(live)) is not JsonObject scale)
            {
                throw KubeException.BadRequest("the patched Scale is not a JSON object");
            }

            CheckResourceVersion(t, live, JsonUtil.Str(scale["metadata"]?["resourceVersion"]));
            var replicas = scale["spec"]?["replicas"] is JsonValue rv && rv.TryGetValue<long>(out var n) ? n : 0;
            if (replicas < 0)
            {
                throw new KubeException(422, "Invalid", $"Scale.autoscaling \"{t.Name}\" is invalid: spec.replicas: Invalid value: {replicas}: must be greater than or equal to 0",
                    new StatusDetails(t.Name, "autoscaling", "Scale", [new StatusCause("FieldValueInvalid", $"Invalid value: {replicas}: must be greater than or equal to 0", "spec.replicas")]));
            }

            var next = (JsonObject)live.DeepClone();
            ((JsonObject)next["spec"]!)["replicas"] = replicas;
            var bytes = Replace(c, t.Type, live, liveBytes, next, manager, "scale", r.DryRun);
            return Json(200, ScaleOf(JsonUtil.ParseObject(bytes)));
        }
    }
}
