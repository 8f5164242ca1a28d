using System.Text.Json;
using System.Text.Json.Nodes;
using Fleet.Rendering.Kustomize;

namespace Fleet.Rendering.Transforms;

/// <summary>
/// Updates references to objects that were renamed (prefix, suffix, hash, namespace), like
/// kustomize's nameReference transformer. The table of referring fields is our own rendition of the
/// built-in Kubernetes references kustomize knows.
/// </summary>
internal static class NameReferences
{
    /// <summary>A reference field declared by a <c>crds</c> file: the target's kind and version, the referrer's kind and the path.</summary>
    internal sealed record CustomRef(string TargetKind, string TargetVersion, string ReferrerKind, string Path);

    private sealed record Ref(string TargetKind, string? ReferrerKind, string Path, string? RefKindField = null, string? TargetVersion = null)
    {
        public string[] Parts { get; } = Path.Split('/');
    }

    private static readonly string[] TemplateKinds = ["Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "Job", "ReplicationController"];

    private static readonly List<Ref> Table = BuildTable();

    private static readonly Dictionary<string, Ref[]> ByReferrer = Table.GroupBy(r => r.ReferrerKind ?? string.Empty).ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);

    private static List<Ref> BuildTable()
    {
        var table = new List<Ref>();
        void Pod(string target, string suffix)
        {
            foreach (var k in TemplateKinds)
            {
                table.Add(new(target, k, "spec/template/spec/" + suffix));
            }

            table.Add(new(target, "CronJob", "spec/jobTemplate/spec/template/spec/" + suffix));
            table.Add(new(target, "Pod", "spec/" + suffix));
            table.Add(new(target, "PodTemplate", "template/spec/" + suffix));
        }

        foreach (var c in new[] { "containers", "initContainers", "ephemeralContainers" })
        {
            Pod("ConfigMap", c + "/env/valueFrom/configMapKeyRef/name");
            Pod("ConfigMap", c + "/envFrom/configMapRef/name");
            Pod("Secret", c + "/env/valueFrom/secretKeyRef/name");
            Pod("Secret", c + "/envFrom/secretRef/name");
        }

        Pod("ConfigMap", "volumes/configMap/name");
        Pod("ConfigMap", "volumes/projected/sources/configMap/name");
        Pod("Secret", "volumes/secret/secretName");
        Pod("Secret", "volumes/projected/sources/secret/name");
        Pod("Secret", "imagePullSecrets/name");
        Pod("ServiceAccount", "serviceAccountName");
        Pod("ServiceAccount", "serviceAccount");
        Pod("PersistentVolumeClaim", "volumes/persistentVolumeClaim/claimName");
        Pod("PriorityClass", "priorityClassName");
        table.Add(new("Secret", "ServiceAccount", "imagePullSecrets/name"));
        table.Add(new("Secret", "Ingress", "spec/tls/secretName"));
        table.Add(new("Service", "Ingress", "spec/rules/http/paths/backend/service/name"));
        table.Add(new("Service", "Ingress", "spec/defaultBackend/service/name"));
        table.Add(new("Service", "Ingress", "spec/rules/http/paths/backend/serviceName"));
        table.Add(new("Service", "Ingress", "spec/backend/serviceName"));
        table.Add(new("Service", "StatefulSet", "spec/serviceName"));
        table.Add(new("Service", "APIService", "spec/service/name"));
        table.Add(new("Service", "ValidatingWebhookConfiguration", "webhooks/clientConfig/service/name"));
        table.Add(new("Service", "MutatingWebhookConfiguration", "webhooks/clientConfig/service/name"));
        table.Add(new("IngressClass", "Ingress", "spec/ingressClassName"));
        foreach (var binding in new[] { "RoleBinding", "ClusterRoleBinding" })
        {
            table.Add(new("ServiceAccount", binding, "subjects/name", "ServiceAccount"));
            table.Add(new("ClusterRole", binding, "roleRef/name", "ClusterRole"));
        }

        table.Add(new("Role", "RoleBinding", "roleRef/name", "Role"));
        table.Add(new("PersistentVolume", "PersistentVolumeClaim", "spec/volumeName"));
        table.Add(new("StorageClass", "PersistentVolumeClaim", "spec/storageClassName"));
        table.Add(new("StorageClass", "PersistentVolume", "spec/storageClassName"));
        table.Add(new("StorageClass", "StatefulSet", "spec/volumeClaimTemplates/spec/storageClassName"));
        foreach (var scalable in new[] { "Deployment", "StatefulSet", "ReplicaSet", "ReplicationController" })
        {
            table.Add(new(scalable, "HorizontalPodAutoscaler", "spec/scaleTargetRef/name", scalable));
        }

        return table;
    }

    public static void Fix(List<Resource> resources, IReadOnlyList<CustomRef>? custom = null)
    {
        var byReferrer = ByReferrer;
        if (custom is { Count: > 0 })
        {
            byReferrer = Table.Concat(custom.Select(c => new Ref(c.TargetKind, c.ReferrerKind, c.Path, null, c.TargetVersion)))
                .GroupBy(r => r.ReferrerKind ?? string.Empty).ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);
        }

        // Per kind, every name an object ever had → those objects, in resource order (names do not change here).
        var byKind = new Dictionary<string, Dictionary<string, List<Resource>>>(StringComparer.Ordinal);
        foreach (var r in resources)
        {
            if (!byKind.TryGetValue(r.Kind, out var byName))
            {
                byKind[r.Kind] = byName = new Dictionary<string, List<Resource>>(StringComparer.Ordinal);
            }

            foreach (var (name, _) in r.History)
            {
                if (!byName.TryGetValue(name, out var list))
                {
                    byName[name] = list = [];
                }

                if (list.Count == 0 || !ReferenceEquals(list[^1], r))
                {
                    list.Add(r);
                }
            }
        }

        foreach (var referrer in resources)
        {
            if (!byReferrer.TryGetValue(referrer.Kind, out var entries))
            {
                continue;
            }

            foreach (var entry in entries)
            {
                if (!byKind.TryGetValue(entry.TargetKind, out var byName))
                {
                    continue;
                }

                Visit(referrer.Obj, entry.Parts, 0, (parent, field) =>
                {
                    if (entry.RefKindField is not null && Resource.Str(parent, "kind") != entry.RefKindField)
                    {
                        return;
                    }

                    if (parent[field] is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
                    {
                        return;
                    }

                    var name = v.GetValue<string>();
                    var isSubject = entry.Path == "subjects/name";
                    var subjectNs = isSubject ? Resource.Str(parent, "namespace") : null;
                    if (!byName.TryGetValue(name, out var candidates))
                    {
                        return;
                    }

                    if (entry.TargetVersion is { } version)
                    {
                        candidates = candidates.FindAll(c => c.Version == version);
                    }

                    var match = Find(candidates, referrer, name, subjectNs);
                    if (match is null)
                    {
                        return;
                    }

                    parent[field] = match.Name;
                    if (isSubject && match.Namespace.Length > 0)
                    {
                        parent["namespace"] = match.Namespace;
                    }
                });
            }
        }
    }

    private static Resource? Find(List<Resource> candidates, Resource referrer, string name, string? subjectNs)
    {
        Resource? found = null;
        foreach (var c in candidates)
        {
            if (!c.HadName(name))
            {
                continue;
            }

            if (!c.IsClusterScoped)
            {
                if (subjectNs is not null)
                {
                    var want = subjectNs.Length == 0 ? (referrer.IsClusterScoped ? "default" : referrer.Namespace) : subjectNs;
                    if (!c.History.Exists(h => Norm(h.Namespace) == Norm(want)))
                    {
                        continue;
                    }
                }
                else if (!referrer.IsClusterScoped && Norm(c.Namespace) != Norm(referrer.Namespace))
                {
                    continue;
                }
            }

            if (found is not null && found.Name != c.Name)
            {
                // Ambiguous: prefer the object whose own original name is the referenced one.
                if (c.OriginalName == name && found.OriginalName != name)
                {
                    found = c;
                }

                continue;
            }

            found ??= c;
        }

        return found;
    }

    private static string Norm(string ns) => ns.Length == 0 ? "default" : ns;

    private static void Visit(JsonNode? node, string[] parts, int i, Action<JsonObject, string> onField)
    {
        if (node is JsonArray a)
        {
            foreach (var item in a)
            {
                Visit(item, parts, i, onField);
            }

            return;
        }

        if (node is not JsonObject o)
        {
            return;
        }

        if (i == parts.Length - 1)
        {
            if (o.ContainsKey(parts[i]))
            {
                onField(o, parts[i]);
            }

            return;
        }

        Visit(o[parts[i]], parts, i + 1, onField);
    }
}
