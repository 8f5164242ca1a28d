using System.Text.Json;
using System.Text.Json.Nodes;
using Fleet.KubeSim.Json;
using Fleet.KubeSim.Store;

namespace Fleet.KubeSim.Api;

/// <summary>
/// The update rules of kube-apiserver's validation that clients meet when they change what may not change
/// (the reasons, fields and wording Fleet decides a forced recreate on): label selectors of workloads, a
/// Service's cluster IPs, a StatefulSet's spec outside the mutable fields, a Job's template, immutable
/// ConfigMaps and Secrets, a Secret's type, a binding's roleRef.
/// </summary>
internal static partial class Validation
{
    private static readonly string[] StatefulSetMutable =
        ["replicas", "ordinals", "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy", "minReadySeconds"];

    public static List<StatusCause> ValidateUpdate(ResourceType rt, JsonObject live, JsonObject next)
    {
        var causes = new List<StatusCause>();
        if (rt.IsCustom)
        {
            return causes;
        }

        var oldSpec = live["spec"] as JsonObject;
        var newSpec = next["spec"] as JsonObject;
        switch (rt.Group, rt.Plural)
        {
            case ("apps", "deployments" or "replicasets" or "daemonsets"):
                if (!JsonNode.DeepEquals(oldSpec?["selector"], newSpec?["selector"]))
                {
                    causes.Add(new StatusCause("FieldValueInvalid",
                        $"Invalid value: {GoLabelSelector(newSpec?["selector"] as JsonObject)}: field is immutable", "spec.selector"));
                }

                break;
            case ("apps", "statefulsets"):
                var a = (JsonObject?)oldSpec?.DeepClone() ?? [];
                var b = (JsonObject?)newSpec?.DeepClone() ?? [];
                foreach (var f in StatefulSetMutable)
                {
                    a.Remove(f);
                    b.Remove(f);
                }

                if (!JsonNode.DeepEquals(a, b))
                {
                    causes.Add(new StatusCause("FieldValueForbidden",
                        "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
                        "spec"));
                }

                break;
            case ("batch", "jobs"):
                if (!JsonNode.DeepEquals(oldSpec?["template"], newSpec?["template"]))
                {
                    causes.Add(new StatusCause("FieldValueInvalid", "Invalid value: core.PodTemplateSpec{…}: field is immutable", "spec.template"));
                }

                break;
            case ("", "services"):
                var oldIp = JsonUtil.Str(oldSpec?["clusterIP"]);
                var newIp = JsonUtil.Str(newSpec?["clusterIP"]);
                if (!string.IsNullOrEmpty(oldIp) && oldIp != "None" && newIp != oldIp && JsonUtil.Str(newSpec?["type"]) != "ExternalName")
                {
                    var ips = (newSpec?["clusterIPs"] as JsonArray)?.Select(JsonUtil.Str).ToList() ?? [newIp];
                    causes.Add(new StatusCause("FieldValueInvalid",
                        $"Invalid value: []string{{{string.Join(", ", ips.Select(GoString))}}}: may not change once set", "spec.clusterIPs[0]"));
                }

                break;
            case ("", "configmaps" or "secrets"):
                if (live["immutable"] is JsonValue imm && imm.TryGetValue<bool>(out var immutable) && immutable)
                {
                    foreach (var f in new[] { "data", "binaryData" })
                    {
                        if (!JsonNode.DeepEquals(live[f], next[f]))
                        {
                            causes.Add(new StatusCause("FieldValueForbidden", "Forbidden: field is immutable when `immutable` is set", f));
                        }
                    }

                    if (!JsonNode.DeepEquals(live["immutable"], next["immutable"]))
                    {
                        causes.Add(new StatusCause("FieldValueForbidden", "Forbidden: field is immutable when `immutable` is set", "immutable"));
                    }
                }

                if (rt.Plural == "secrets" && JsonUtil.Str(live["type"]) is { } oldType && JsonUtil.Str(next["type"]) is { } newType && oldType != newType)
                {
                    causes.Insert(0, new StatusCause("FieldValueInvalid", $"Invalid value: {GoString(newType)}: field is immutable", "type"));
                }

                break;
            case ("rbac.authorization.k8s.io", "rolebindings" or "clusterrolebindings"):
                if (!JsonNode.DeepEquals(live["roleRef"], next["roleRef"]))
                {
                    var r = next["roleRef"];
                    causes.Add(new StatusCause("FieldValueInvalid",
                        $"Invalid value: rbac.RoleRef{{APIGroup:{GoString(JsonUtil.Str(r?["apiGroup"]))}, Kind:{GoString(JsonUtil.Str(r?["kind"]))}, Name:{GoString(JsonUtil.Str(r?["name"]))}}}: cannot change roleRef",
                        "roleRef"));
                }

                break;
        }

        return causes;
    }

    private static string GoString(string? s) => JsonSerializer.Serialize(s ?? string.Empty);

    /// <summary>A label selector as Go's <c>%#v</c> prints a <c>v1.LabelSelector</c> in kube-apiserver's messages.</summary>
    private static string GoLabelSelector(JsonObject? selector)
    {
        var labels = selector?["matchLabels"] is JsonObject m ? GoMap(m) : "map[string]string(nil)";
        var expressions = selector?["matchExpressions"] is JsonArray { Count: > 0 } list
            ? "[]v1.LabelSelectorRequirement{" + string.Join(", ", list.OfType<JsonObject>().Select(e =>
                $"v1.LabelSelectorRequirement{{Key:{GoString(JsonUtil.Str(e["key"]))}, Operator:{GoString(JsonUtil.Str(e["operator"]))}, Values:{GoStrings(e["values"] as JsonArray)}}}")) + "}"
            : "[]v1.LabelSelectorRequirement(nil)";
        return $"v1.LabelSelector{{MatchLabels:{labels}, MatchExpressions:{expressions}}}";
    }

    private static string GoStrings(JsonArray? values) =>
        values is null ? "[]string(nil)" : "[]string{" + string.Join(", ", values.Select(v => GoString(JsonUtil.Str(v)))) + "}";
}
