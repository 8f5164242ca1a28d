using System.Text.Json.Nodes;
using Fleet.Rendering.Kustomize;

namespace Fleet.Rendering.Transforms;

/// <summary>
/// Updates references to objects that were renamed (prefix, suffix, hash, namespace), like
/// kustomize's nameReference transformer: the same built-in table of referring fields (kustomize
/// v5.5.0's, including its omissions: no <c>serviceAccount</c>, no ephemeral containers, and an
/// IngressClass entry whose group never matches) and the same way of choosing among candidates.
/// </summary>
internal static class NameReferences
{
    /// <summary>A reference field declared by a <c>crds</c> file: the target's kind and version, the referrer's kind and the path.</summary>
    internal sealed record CustomRef(string TargetKind, string TargetVersion, string ReferrerKind, string Path);

    /// <summary>A group/version/kind selector: an empty part matches anything, as kustomize's <c>Gvk.IsSelected</c>.</summary>
    internal sealed record Gvk(string Kind, string Group = "", string Version = "")
    {
        public bool Selects(string group, string version, string kind) =>
            (Kind.Length == 0 || Kind == kind) && (Group.Length == 0 || Group == group) && (Version.Length == 0 || Version == version);
    }

    /// <summary>One referring field: objects selected by <paramref name="Referrer"/> name a <paramref name="Target"/> at <paramref name="Path"/>.</summary>
    internal sealed record Ref(Gvk Target, Gvk Referrer, string Path)
    {
        public string[] Parts { get; } = FieldSpecs.SplitPath(Path);

        public bool IsRoleRef { get; } = Path.EndsWith("roleRef/name", StringComparison.Ordinal);
    }

    private static readonly string[] TemplateKinds = ["Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "Job"];

    private static readonly string[] WorkloadKinds = ["StatefulSet", "Deployment", "ReplicationController", "Job", "DaemonSet"];

    internal static readonly IReadOnlyList<Ref> Builtin = BuildTable();

    private static List<Ref> BuildTable()
    {
        var table = new List<Ref>();
        void Add(Gvk target, string referrerKind, string path, string group = "", string version = "") =>
            table.Add(new Ref(target, new Gvk(referrerKind, group, version), path));

        // ConfigMaps and Secrets, through every pod template kustomize knows.
        void Pod(Gvk target, string[] fields)
        {
            foreach (var f in fields)
            {
                Add(target, "Pod", "spec/" + f, version: "v1");
            }

            foreach (var f in fields)
            {
                Add(target, "PodTemplate", "template/spec/" + f);
            }

            foreach (var kind in TemplateKinds)
            {
                foreach (var f in fields)
                {
                    Add(target, kind, "spec/template/spec/" + f);
                }
            }

            foreach (var f in fields)
            {
                Add(target, "CronJob", "spec/jobTemplate/spec/template/spec/" + f);
            }
        }

        foreach (var scalable in new[] { "Deployment", "ReplicationController", "ReplicaSet", "StatefulSet" })
        {
            Add(new Gvk(scalable), "HorizontalPodAutoscaler", "spec/scaleTargetRef/name");
        }

        var configMap = new Gvk("ConfigMap", Version: "v1");
        Pod(configMap,
        [
            "volumes/configMap/name", "containers/env/valueFrom/configMapKeyRef/name", "initContainers/env/valueFrom/configMapKeyRef/name",
            "containers/envFrom/configMapRef/name", "initContainers/envFrom/configMapRef/name", "volumes/projected/sources/configMap/name",
        ]);
        Add(configMap, "Node", "spec/configSource/configMap");
        Add(configMap, "Role", "rules/resourceNames");
        Add(configMap, "ClusterRole", "rules/resourceNames");
        Add(configMap, "Ingress", @"metadata/annotations/nginx.ingress.kubernetes.io\/fastcgi-params-configmap");

        var secret = new Gvk("Secret", Version: "v1");
        Pod(secret,
        [
            "volumes/secret/secretName", "containers/env/valueFrom/secretKeyRef/name", "initContainers/env/valueFrom/secretKeyRef/name",
            "containers/envFrom/secretRef/name", "initContainers/envFrom/secretRef/name", "imagePullSecrets/name", "volumes/projected/sources/secret/name",
        ]);
        Add(secret, "Ingress", "spec/tls/secretName");
        Add(secret, "Ingress", @"metadata/annotations/ingress.kubernetes.io\/auth-secret");
        Add(secret, "Ingress", @"metadata/annotations/nginx.ingress.kubernetes.io\/auth-secret");
        Add(secret, "Ingress", @"metadata/annotations/nginx.ingress.kubernetes.io\/auth-tls-secret");
        Add(secret, "ServiceAccount", "imagePullSecrets/name");
        foreach (var p in new[] { "secretName", "adminSecretName", "userSecretName", "secretRef" })
        {
            Add(secret, "StorageClass", "parameters/" + p);
        }

        Add(secret, "Role", "rules/resourceNames");
        Add(secret, "ClusterRole", "rules/resourceNames");
        Add(secret, "Service", "spec/template/spec/containers/env/valueFrom/secretKeyRef/name", "serving.knative.dev", "v1");
        Add(secret, "PersistentVolume", "spec/azureFile/secretName");

        var service = new Gvk("Service", Version: "v1");
        Add(service, "StatefulSet", "spec/serviceName", "apps");
        Add(service, "Ingress", "spec/rules/http/paths/backend/serviceName");
        Add(service, "Ingress", "spec/backend/serviceName");
        Add(service, "Ingress", "spec/rules/http/paths/backend/service/name");
        Add(service, "Ingress", "spec/defaultBackend/service/name");
        Add(service, "APIService", "spec/service/name", "apiregistration.k8s.io");
        Add(service, "ValidatingWebhookConfiguration", "webhooks/clientConfig/service", "admissionregistration.k8s.io");
        Add(service, "MutatingWebhookConfiguration", "webhooks/clientConfig/service", "admissionregistration.k8s.io");

        const string Rbac = "rbac.authorization.k8s.io";
        Add(new Gvk("Role", Rbac), "RoleBinding", "roleRef/name", Rbac);
        Add(new Gvk("ClusterRole", Rbac), "RoleBinding", "roleRef/name", Rbac);
        Add(new Gvk("ClusterRole", Rbac), "ClusterRoleBinding", "roleRef/name", Rbac);

        var serviceAccount = new Gvk("ServiceAccount", Version: "v1");
        Add(serviceAccount, "RoleBinding", "subjects", Rbac);
        Add(serviceAccount, "ClusterRoleBinding", "subjects", Rbac);
        Workloads(serviceAccount, "serviceAccountName");

        Workloads(new Gvk("PersistentVolumeClaim", Version: "v1"), "volumes/persistentVolumeClaim/claimName");

        var pv = new Gvk("PersistentVolume", Version: "v1");
        Add(pv, "PersistentVolumeClaim", "spec/volumeName");
        Add(pv, "ClusterRole", "rules/resourceNames");

        var storageClass = new Gvk("StorageClass", "storage.k8s.io", "v1");
        Add(storageClass, "PersistentVolume", "spec/storageClassName");
        Add(storageClass, "PersistentVolumeClaim", "spec/storageClassName");
        Add(storageClass, "StatefulSet", "spec/volumeClaimTemplates/spec/storageClassName");

        Workloads(new Gvk("PriorityClass", "scheduling.k8s.io", "v1"), "priorityClassName");

        // kustomize v5.5.0 declares this target with group "networking.k8s.io/v1", which no object has:
        // an Ingress's ingressClassName never follows a rename.
        Add(new Gvk("IngressClass", "networking.k8s.io/v1", "v1"), "Ingress", "spec/ingressClassName");
        Add(new Gvk("ValidatingAdmissionPolicy", "admissionregistration.k8s.io"), "ValidatingAdmissionPolicyBinding", "spec/policyName", "admissionregistration.k8s.io");
        return table;

        void Workloads(Gvk target, string field)
        {
            Add(target, "Pod", "spec/" + field);
            foreach (var kind in WorkloadKinds)
            {
                Add(target, kind, "spec/template/spec/" + field);
            }

            Add(target, "CronJob", "spec/jobTemplate/spec/template/spec/" + field);
        }
    }

    public static void Fix(List<Resource> resources, IReadOnlyList<CustomRef>? custom = null, IReadOnlyList<Ref>? configured = null)
    {
        IEnumerable<Ref> all = Builtin;
        if (custom is { Count: > 0 })
        {
            all = all.Concat(custom.Select(c => new Ref(new Gvk(c.TargetKind, Version: c.TargetVersion), new Gvk(c.ReferrerKind), c.Path)));
        }

        if (configured is { Count: > 0 })
        {
            all = all.Concat(configured);
        }

        var byReferrerKind = all.GroupBy(r => r.Referrer.Kind).ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);
        var anyKind = byReferrerKind.GetValueOrDefault(string.Empty) ?? [];

        // Only renamed objects can be referred to by an old name: index them by each name they had.
        var byPreviousName = new Dictionary<string, List<Resource>>(StringComparer.Ordinal);
        foreach (var r in resources)
        {
            foreach (var name in r.PreviousNames().Distinct())
            {
                if (!byPreviousName.TryGetValue(name, out var list))
                {
                    byPreviousName[name] = list = [];
                }

                list.Add(r);
            }
        }

        if (byPreviousName.Count == 0)
        {
            return;
        }

        foreach (var referrer in resources)
        {
            var entries = byReferrerKind.GetValueOrDefault(referrer.Kind);
            if (entries is null && anyKind.Length == 0)
            {
                continue;
            }

            Func<Resource, bool>? reachable = null;
            foreach (var entry in (entries ?? []).Concat(anyKind))
            {
                if (!entry.Referrer.Selects(referrer.Group, referrer.Version, referrer.Kind))
                {
                    continue;
                }

                reachable ??= Reachable(referrer);
                var context = new Context(referrer, entry, resources, reachable, byPreviousName);
                Visit(referrer.Obj, entry.Parts, 0, context.Set);
            }
        }
    }

    /// <summary>kustomize's <c>SubsetThatCouldBeReferencedByResource</c>, as a test of one object.</summary>
    private static Func<Resource, bool> Reachable(Resource referrer)
    {
        if (referrer.IsClusterScoped)
        {
            return _ => true;
        }

        var bindingNamespaces = new HashSet<string>(StringComparer.Ordinal);
        if (referrer.Kind == "RoleBinding" && referrer.Obj["subjects"] is JsonArray subjects)
        {
            foreach (var s in subjects.OfType<JsonObject>())
            {
                if (Resource.Str(s, "kind") == "ServiceAccount")
                {
                    bindingNamespaces.Add(Resource.Str(s, "namespace"));
                }
            }
        }

        var ns = Norm(referrer.Namespace);
        return r => r.IsClusterScoped || Norm(r.Namespace) == ns || bindingNamespaces.Contains(r.Namespace);
    }

    private sealed class Context(Resource referrer, Ref entry, List<Resource> all, Func<Resource, bool> reachable, Dictionary<string, List<Resource>> byPreviousName)
    {
        public void Set(JsonObject parent, string key)
        {
            switch (parent[key])
            {
                case JsonValue v:
                    if (SetScalar(v) is { } renamed)
                    {
                        parent[key] = renamed;
                    }

                    break;
                case JsonObject map:
                    SetMapping(map);
                    break;
                case JsonArray list:
                    for (var i = 0; i < list.Count; i++)
                    {
                        switch (list[i])
                        {
                            case JsonValue item:
                                if (SetScalar(item) is { } name)
                                {
                                    list[i] = name;
                                }

                                break;
                            case JsonObject map:
                                SetMapping(map);
                                break;
                        }
                    }

                    break;
            }
        }

        private string? SetScalar(JsonValue v)
        {
            var old = Yaml.YamlReader.ScalarText(v);
            var referral = Select(old, Candidates(old, null), sameNamespace: false);
            return referral is null || referral.Name == old ? null : referral.Name;
        }

        private void SetMapping(JsonObject map)
        {
            if (map["name"] is not JsonValue nameNode)
            {
                throw new RenderException($"updating name reference in '{entry.Path}' field of {referrer.Describe()}: path config error; no 'name' field in node");
            }

            var old = Yaml.YamlReader.ScalarText(nameNode);
            var ns = map.ContainsKey("namespace") ? map["namespace"] is JsonValue nv ? Yaml.YamlReader.ScalarText(nv) : string.Empty : null;
            var referral = Select(old, Candidates(old, ns), sameNamespace: true);
            if (referral is null || (referral.Name == old && referral.Namespace.Length == 0))
            {
                return;
            }

            map["name"] = referral.Name;
            if (referral.Namespace.Length > 0)
            {
                map["namespace"] = referral.Namespace;
            }
        }

        /// <summary>Reachable objects once named <paramref name="old"/>; for a map with a namespace, those of that original (else current) namespace.</summary>
        private List<Resource> Candidates(string old, string? ns)
        {
            if (!byPreviousName.TryGetValue(old, out var named))
            {
                return [];
            }

            var list = named.FindAll(r => reachable(r));
            if (ns is not null)
            {
                // kustomize groups by effective namespace ("" is "default"; cluster-scoped objects have none).
                bool InOriginal(Resource r) => !r.IsClusterScoped && Norm(r.History[0].Namespace) == ns;
                bool InCurrent(Resource r) => !r.IsClusterScoped && Norm(r.Namespace) == ns;
                list = all.Exists(r => reachable(r) && InOriginal(r)) ? list.FindAll(InOriginal) : list.FindAll(InCurrent);
            }

            return list;
        }

        /// <summary>kustomize's <c>selectReferral</c>: sieve by kind, roleRef and namespace, then by prefixes and suffixes.</summary>
        private Resource? Select(string old, List<Resource> candidates, bool sameNamespace)
        {
            candidates = candidates.FindAll(c => entry.Target.Selects(c.Group, c.Version, c.Kind));
            if (entry.IsRoleRef && referrer.Obj["roleRef"] is JsonObject roleRef && roleRef["apiGroup"] is JsonValue && roleRef["kind"] is JsonValue)
            {
                var roleGvk = new Gvk(Resource.Str(roleRef, "kind"), Resource.Str(roleRef, "apiGroup"));
                candidates = candidates.FindAll(c => roleGvk.Selects(c.Group, c.Version, c.Kind));
            }

            if (!referrer.IsClusterScoped)
            {
                candidates = candidates.FindAll(c => c.IsClusterScoped || c.Kind == "ServiceAccount" || Norm(c.Namespace) == Norm(referrer.Namespace));
            }

            if (candidates.Count == 1)
            {
                return candidates[0];
            }

            candidates = candidates.FindAll(c => AffixesEqual(c, referrer, allowEmpty: true));
            if (candidates.Count > 1)
            {
                candidates = candidates.FindAll(c => AffixesEqual(c, referrer, allowEmpty: false));
            }

            if (candidates.Count <= 1)
            {
                return candidates.Count == 1 ? candidates[0] : null;
            }

            var first = candidates[0];
            if (candidates.TrueForAll(c => c.Name == first.Name && (!sameNamespace || c.Namespace == first.Namespace)))
            {
                return first;
            }

            throw new RenderException(
                $"updating name reference in '{entry.Path}' field of {referrer.Describe()}: found multiple possible referrals for '{old}': " +
                string.Join(", ", candidates.Select(c => c.Describe())));
        }
    }

    /// <summary>kustomize's <c>PrefixesSuffixesEquals</c>: the shorter list of prefixes (and of suffixes) ends the longer one.</summary>
    private static bool AffixesEqual(Resource a, Resource b, bool allowEmpty)
    {
        bool Same(List<string> x, List<string> y)
        {
            if (allowEmpty && (x.Count == 0 || y.Count == 0))
            {
                return true;
            }

            var (shortest, longest) = x.Count <= y.Count ? (x, y) : (y, x);
            if (shortest.Count == 0)
            {
                return longest.Count == 0;
            }

            var diff = longest.Count - shortest.Count;
            for (var i = shortest.Count - 1; i >= 0; i--)
            {
                if (longest[i + diff] != shortest[i])
                {
                    return false;
                }
            }

            return true;
        }

        return Same(a.Prefixes, b.Prefixes) && Same(a.Suffixes, b.Suffixes);
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
