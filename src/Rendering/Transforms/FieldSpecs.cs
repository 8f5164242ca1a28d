using System.Text.Json.Nodes;
using Fleet.Rendering.Kustomize;

namespace Fleet.Rendering.Transforms;

/// <summary>A field kustomize's built-in transformers touch: which kinds, which path, and whether to create it.</summary>
internal sealed record FieldSpec(string? Kind, string Path, bool Create, string? Group = null, string? Version = null)
{
    public string[] Parts { get; } = FieldSpecs.SplitPath(Path);

    public bool Matches(Resource r) => (Kind is null || Kind == r.Kind) && (Group is null || Group == r.Group) && (Version is null || Version == r.Version);
}

/// <summary>kustomize's default field specs for labels, annotations and images (its defaultconfig), as a table.</summary>
internal static class FieldSpecs
{
    private static readonly string[] PodTemplateKinds = ["Deployment", "ReplicaSet", "DaemonSet", "StatefulSet"];

    public static readonly IReadOnlyList<FieldSpec> LabelMetadata = [new(null, "metadata/labels", true)];

    /// <summary>Pod template labels, used by <c>labels.includeTemplates</c> (and by selectors mode).</summary>
    public static readonly IReadOnlyList<FieldSpec> LabelTemplates =
    [
        .. PodTemplateKinds.Select(k => new FieldSpec(k, "spec/template/metadata/labels", true)),
        new("ReplicationController", "spec/template/metadata/labels", true),
        new("Job", "spec/template/metadata/labels", true),
        new("CronJob", "spec/jobTemplate/metadata/labels", true),
        new("CronJob", "spec/jobTemplate/spec/template/metadata/labels", true),
        new("StatefulSet", "spec/volumeClaimTemplates[]/metadata/labels", true),
    ];

    /// <summary>Selector fields, used by <c>commonLabels</c> and <c>labels.includeSelectors</c>.</summary>
    public static readonly IReadOnlyList<FieldSpec> LabelSelectors =
    [
        new("Service", "spec/selector", true, string.Empty),
        new("ReplicationController", "spec/selector", true),
        .. PodTemplateKinds.Select(k => new FieldSpec(k, "spec/selector/matchLabels", true)),
        .. PodTemplateKinds.SelectMany(AffinitySpecs),
        new("Job", "spec/selector/matchLabels", false),
        new("CronJob", "spec/jobTemplate/spec/selector/matchLabels", false),
        new("PodDisruptionBudget", "spec/selector/matchLabels", false),
        new("NetworkPolicy", "spec/podSelector/matchLabels", false),
        new("NetworkPolicy", "spec/ingress/from/podSelector/matchLabels", false),
        new("NetworkPolicy", "spec/egress/to/podSelector/matchLabels", false),
    ];

    public static readonly IReadOnlyList<FieldSpec> Annotations =
    [
        new(null, "metadata/annotations", true),
        .. PodTemplateKinds.Select(k => new FieldSpec(k, "spec/template/metadata/annotations", true)),
        new("ReplicationController", "spec/template/metadata/annotations", true),
        new("Job", "spec/template/metadata/annotations", true),
        new("CronJob", "spec/jobTemplate/metadata/annotations", true),
        new("CronJob", "spec/jobTemplate/spec/template/metadata/annotations", true),
    ];

    /// <summary>Where legacy vars are expanded (kustomize's varReference configuration).</summary>
    public static readonly IReadOnlyList<FieldSpec> VarReferences = BuildVarReferences();

    private static List<FieldSpec> BuildVarReferences()
    {
        var specs = new List<FieldSpec>();
        void PodSpec(string kind, string prefix, string nfsServer)
        {
            foreach (var c in new[] { "containers", "initContainers" })
            {
                foreach (var f in new[] { "args", "command", "env/value", "volumeMounts/mountPath" })
                {
                    specs.Add(new(kind, $"{prefix}{c}/{f}", false));
                }
            }

            specs.Add(new(kind, nfsServer, false));
        }

        foreach (var kind in new[] { "Deployment", "ReplicaSet", "DaemonSet", "Job" })
        {
            PodSpec(kind, "spec/template/spec/", "spec/template/spec/volumes/nfs/server");
        }

        // kustomize's own paths, including their quirks (no "volumes" for StatefulSet, no "spec" for CronJob).
        PodSpec("StatefulSet", "spec/template/spec/", "spec/volumeClaimTemplates/spec/nfs/server");
        PodSpec("CronJob", "spec/jobTemplate/spec/template/spec/", "spec/jobTemplate/spec/template/volumes/nfs/server");
        PodSpec("Pod", "spec/", "spec/volumes/nfs/server");
        specs.Add(new("Deployment", "spec/template/metadata/annotations", false));
        specs.Add(new("Ingress", "spec/rules/host", false));
        specs.Add(new("Ingress", "spec/tls/hosts", false));
        specs.Add(new("Ingress", "spec/tls/secretName", false));
        specs.Add(new("Service", "spec/ports/port", false));
        specs.Add(new("Service", "spec/ports/targetPort", false));
        specs.Add(new("PersistentVolume", "spec/nfs/server", false));
        specs.Add(new(null, "metadata/labels", false));
        specs.Add(new(null, "metadata/annotations", false));
        return specs;
    }

    private static IEnumerable<FieldSpec> AffinitySpecs(string kind)
    {
        foreach (var aff in new[] { "podAffinity", "podAntiAffinity" })
        {
            yield return new(kind, $"spec/template/spec/affinity/{aff}/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels", false);
            yield return new(kind, $"spec/template/spec/affinity/{aff}/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels", false);
        }

        yield return new(kind, "spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels", false);
    }

    /// <summary>Splits a field spec path at '/', where <c>\/</c> is a slash inside a key (an annotation name).</summary>
    public static string[] SplitPath(string path) =>
        path.Contains('\\', StringComparison.Ordinal)
            ? path.Replace("\\/", "\0", StringComparison.Ordinal).Split('/').Select(p => p.Replace('\0', '/')).ToArray()
            : path.Split('/');

    /// <summary>Calls <paramref name="apply"/> on every map at <paramref name="path"/> (lists are walked), creating it when asked.</summary>
    public static void ForEachMap(JsonObject root, string[] parts, bool create, Action<JsonObject> apply)
    {
        Walk(root, parts, 0, create, apply);
    }

    /// <summary>Calls <paramref name="apply"/> with the parent map and key of every existing field at <paramref name="parts"/> (lists are walked).</summary>
    public static void ForEachParent(JsonObject root, string[] parts, Action<JsonObject, string> apply)
    {
        if (parts.Length == 0)
        {
            return;
        }

        var last = parts[^1];
        Walk(root, parts[..^1], 0, false, parent =>
        {
            if (parent.ContainsKey(last))
            {
                apply(parent, last);
            }
        });
    }

    private static void Walk(JsonNode? node, string[] parts, int i, bool create, Action<JsonObject> apply)
    {
        if (node is JsonArray array)
        {
            foreach (var item in array)
            {
                Walk(item, parts, i, create, apply);
            }

            return;
        }

        if (node is not JsonObject obj)
        {
            return;
        }

        if (i == parts.Length)
        {
            apply(obj);
            return;
        }

        var part = parts[i];
        var isList = part.EndsWith("[]", StringComparison.Ordinal);
        var key = isList ? part[..^2] : part;
        var child = obj[key];
        if (child is null)
        {
            if (!create || isList)
            {
                return;
            }

            child = new JsonObject();
            obj[key] = child;
        }

        Walk(child, parts, i + 1, create, apply);
    }
}
