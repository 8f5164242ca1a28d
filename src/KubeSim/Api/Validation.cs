using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Fleet.KubeSim.Json;
using Fleet.KubeSim.Store;

namespace Fleet.KubeSim.Api;

/// <summary>The object validation kube-apiserver does that clients can observe: names, labels, required fields.</summary>
internal static partial class Validation
{
    private const string SubdomainMessage =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

    private const string LabelMessage =
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

    public static List<StatusCause> Validate(ResourceType rt, JsonObject obj)
    {
        var causes = new List<StatusCause>();
        var meta = obj["metadata"] as JsonObject;
        var name = JsonUtil.Str(meta?["name"]);
        if (string.IsNullOrEmpty(name))
        {
            causes.Add(new StatusCause("FieldValueRequired", "Required value: name or generateName is required", "metadata.name"));
        }
        else
        {
            CheckName(rt, name, causes);
        }

        if (rt.Namespaced && string.IsNullOrEmpty(JsonUtil.Str(meta?["namespace"])))
        {
            causes.Add(new StatusCause("FieldValueRequired", "Required value", "metadata.namespace"));
        }

        if (rt == BuiltinResources.Services && obj["spec"]?["ports"] is JsonArray { Count: > 1 } ports)
        {
            for (var i = 0; i < ports.Count; i++)
            {
                if (string.IsNullOrEmpty(JsonUtil.Str(ports[i]?["name"])))
                {
                    causes.Add(new StatusCause("FieldValueRequired", "Required value", $"spec.ports[{i}].name"));
                }
            }
        }

        if (meta?["labels"] is JsonObject labels)
        {
            foreach (var (k, v) in labels)
            {
                var value = JsonUtil.Str(v);
                if (v is not null && value is null)
                {
                    causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: {v.ToJsonString()}: label values must be strings", $"metadata.labels"));
                    continue;
                }

                if (!QualifiedName(k))
                {
                    causes.Add(new StatusCause("FieldValueInvalid",
                        $"Invalid value: \"{k}\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
                        "metadata.labels"));
                }

                if (value is { Length: > 0 } && (value.Length > 63 || !LabelValueRegex().IsMatch(value)))
                {
                    causes.Add(new StatusCause("FieldValueInvalid",
                        $"Invalid value: \"{value}\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
                        $"metadata.labels"));
                }
            }
        }

        if (rt == BuiltinResources.Crds)
        {
            ValidateCrd(obj, name, causes);
        }
        else if (rt.Group == "apps" && rt.Plural is "deployments" or "statefulsets" or "daemonsets" or "replicasets")
        {
            ValidateWorkload(obj, causes);
        }

        return causes;
    }

    private static void CheckName(ResourceType rt, string name, List<StatusCause> causes)
    {
        if (rt.Group == "rbac.authorization.k8s.io")
        {
            if (name is "." or ".." || name.Contains('/', StringComparison.Ordinal) || name.Contains('%', StringComparison.Ordinal))
            {
                causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: \"{name}\": may not contain '/' or '%' and may not be '.' or '..'", "metadata.name"));
            }

            return;
        }

        var label = rt.Plural is "namespaces" or "services" && rt.Group.Length == 0;
        if (label)
        {
            if (name.Length > 63 || !LabelRegex().IsMatch(name))
            {
                causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: \"{name}\": {LabelMessage}", "metadata.name"));
            }
        }
        else if (name.Length > 253 || !SubdomainRegex().IsMatch(name))
        {
            causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: \"{name}\": {SubdomainMessage}", "metadata.name"));
        }
    }

    private static bool QualifiedName(string key)
    {
        var slash = key.LastIndexOf('/');
        var namePart = slash < 0 ? key : key[(slash + 1)..];
        if (slash >= 0)
        {
            var prefix = key[..slash];
            if (prefix.Length == 0 || prefix.Length > 253 || !SubdomainRegex().IsMatch(prefix))
            {
                return false;
            }
        }

        return namePart.Length is > 0 and <= 63 && LabelValueRegex().IsMatch(namePart);
    }

    private static void ValidateCrd(JsonObject obj, string? name, List<StatusCause> causes)
    {
        var spec = obj["spec"] as JsonObject;
        var group = JsonUtil.Str(spec?["group"]);
        var plural = JsonUtil.Str(spec?["names"]?["plural"]);
        if (string.IsNullOrEmpty(group))
        {
            causes.Add(new StatusCause("FieldValueRequired", "Required value", "spec.group"));
        }

        if (string.IsNullOrEmpty(plural))
        {
            causes.Add(new StatusCause("FieldValueRequired", "Required value", "spec.names.plural"));
        }

        if (string.IsNullOrEmpty(JsonUtil.Str(spec?["names"]?["kind"])))
        {
            causes.Add(new StatusCause("FieldValueRequired", "Required value", "spec.names.kind"));
        }

        if (JsonUtil.Str(spec?["scope"]) is not ("Namespaced" or "Cluster"))
        {
            causes.Add(new StatusCause("FieldValueNotSupported", "Unsupported value: supported values: \"Cluster\", \"Namespaced\"", "spec.scope"));
        }

        if (spec?["versions"] is not JsonArray { Count: > 0 } versions)
        {
            causes.Add(new StatusCause("FieldValueRequired", "Required value: must have exactly one version marked as storage version", "spec.versions"));
        }
        else if (versions.Count(v => v?["storage"] is JsonValue s && s.TryGetValue<bool>(out var b) && b) != 1)
        {
            causes.Add(new StatusCause("FieldValueInvalid", "Invalid value: must have exactly one version marked as storage version", "spec.versions"));
        }

        if (!string.IsNullOrEmpty(group) && !string.IsNullOrEmpty(plural) && name != $"{plural}.{group}")
        {
            causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: \"{name}\": must be spec.names.plural+\".\"+spec.group", "metadata.name"));
        }
    }

    private static void ValidateWorkload(JsonObject obj, List<StatusCause> causes)
    {
        var spec = obj["spec"] as JsonObject;
        if (spec?["selector"] is not JsonObject selector)
        {
            causes.Add(new StatusCause("FieldValueRequired", "Required value", "spec.selector"));
            return;
        }

        var templateLabels = spec["template"]?["metadata"]?["labels"] as JsonObject;
        if (selector["matchLabels"] is JsonObject match)
        {
            foreach (var (k, v) in match)
            {
                if (templateLabels is null || !JsonNode.DeepEquals(templateLabels[k], v))
                {
                    causes.Add(new StatusCause("FieldValueInvalid",
                        $"Invalid value: {GoMap(templateLabels)}: `selector` does not match template `labels`",
                        "spec.template.metadata.labels"));
                    return;
                }
            }
        }

        if (spec["template"]?["spec"]?["containers"] is not JsonArray { Count: > 0 })
        {
            causes.Add(new StatusCause("FieldValueRequired", "Required value", "spec.template.spec.containers"));
        }
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex SubdomainRegex();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex LabelRegex();

    [GeneratedRegex("^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")]
    private static partial Regex LabelValueRegex();

    /// <summary>A label map as Go's <c>%#v</c> prints it in kube-apiserver's messages.</summary>
    private static string GoMap(JsonObject? labels) =>
        "map[string]string{" + string.Join(", ", (labels ?? []).OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => $"{JsonSerializer.Serialize(p.Key)}:{JsonSerializer.Serialize(JsonUtil.Str(p.Value) ?? string.Empty)}")) + "}";
}
