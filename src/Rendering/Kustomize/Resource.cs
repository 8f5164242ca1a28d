using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fleet.Rendering.Kustomize;

/// <summary>One object being built, with the names it had before prefixes, suffixes, namespaces and hashes.</summary>
internal sealed class Resource
{
    public Resource(JsonObject obj, string origin)
    {
        Obj = obj;
        Origin = origin;
        History.Add((Name, Namespace));
    }

    public JsonObject Obj { get; set; }

    /// <summary>The file (or generator) this object came from, for error messages.</summary>
    public string Origin { get; set; }

    /// <summary>Every (name, namespace) this object has had, oldest first.</summary>
    public List<(string Name, string Namespace)> History { get; } = [];

    /// <summary>
    /// The ids kustomize stores before a transformer that may rename (namespace, prefix, suffix, hash,
    /// JSON patch, a name-changing patch) runs; only objects with one can be found by an old name.
    /// </summary>
    public List<(string Name, string Namespace)> Previous { get; } = [];

    /// <summary>Name prefixes applied, innermost kustomization first (kustomize's build annotation).</summary>
    public List<string> Prefixes { get; } = [];

    /// <summary>Name suffixes applied, innermost kustomization first.</summary>
    public List<string> Suffixes { get; } = [];

    /// <summary>Built-in transformers run over this object (kustomization file, plugin kind), for buildMetadata transformerAnnotations.</summary>
    public List<(string File, string Kind, string? Name)> Transformations { get; } = [];

    public void StorePrevious() => Previous.Add((Name, Namespace));

    public IEnumerable<string> PreviousNames() => Previous.Select(p => p.Name);

    /// <summary>Generated ConfigMap or Secret that gets a content-hash suffix at the end of the build.</summary>
    public bool NeedsHash { get; set; }

    /// <summary>Generator behavior (create, merge, replace) for generated objects.</summary>
    public string? Behavior { get; set; }

    /// <summary>buildMetadata origin annotation value, when requested.</summary>
    public string? OriginAnnotation { get; set; }

    public string ApiVersion => Str(Obj, "apiVersion");

    public string Kind => Str(Obj, "kind");

    public string Group => SplitApiVersion().Group;

    public string Version => SplitApiVersion().Version;

    private (string ApiVersion, string Group, string Version) _gv = (string.Empty, string.Empty, string.Empty);

    /// <summary>Group and version, cached per apiVersion value (patches may change it).</summary>
    private (string ApiVersion, string Group, string Version) SplitApiVersion()
    {
        var api = ApiVersion;
        if (!ReferenceEquals(api, _gv.ApiVersion) && api != _gv.ApiVersion)
        {
            var slash = api.IndexOf('/', StringComparison.Ordinal);
            _gv = slash < 0 ? (api, string.Empty, api) : (api, api[..slash], api[(slash + 1)..]);
        }

        return _gv;
    }

    public string Name => Obj["metadata"] is JsonObject m ? Str(m, "name") : string.Empty;

    public string Namespace => Obj["metadata"] is JsonObject m ? Str(m, "namespace") : string.Empty;

    public string OriginalName => History[0].Name;

    public JsonObject Metadata
    {
        get
        {
            if (Obj["metadata"] is not JsonObject m)
            {
                m = [];
                Obj["metadata"] = m;
            }

            return m;
        }
    }

    public void SetName(string name)
    {
        Metadata["name"] = name;
        Record();
    }

    public void SetNamespace(string ns)
    {
        Metadata["namespace"] = ns;
        Record();
    }

    public void Record()
    {
        var cur = (Name, Namespace);
        if (History[^1] != cur)
        {
            History.Add(cur);
        }
    }

    public bool HadName(string name) => History.Exists(h => h.Name == name);

    public bool IsClusterScoped => KindInfo.IsClusterScoped(Kind, Group);

    /// <summary>kustomize's resource id: group/version/kind, namespace, name.</summary>
    public string Id => $"{Group}_{Version}_{Kind}|{(IsClusterScoped ? string.Empty : (Namespace.Length == 0 ? "default" : Namespace))}|{Name}";

    public string Describe() => $"{Kind} {(Namespace.Length > 0 ? Namespace + "/" : string.Empty)}{Name} (from {Origin})";

    public static string Str(JsonObject o, string key) =>
        o[key] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : o[key] is JsonValue other ? other.ToJsonString() : string.Empty;

    public Dictionary<string, string> Labels => Map(Obj["metadata"]?["labels"]);

    public Dictionary<string, string> Annotations => Map(Obj["metadata"]?["annotations"]);

    private static Dictionary<string, string> Map(JsonNode? node)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        if (node is JsonObject o)
        {
            foreach (var (k, v) in o)
            {
                d[k] = v is JsonValue jv ? Yaml.YamlReader.ScalarText(jv) : string.Empty;
            }
        }

        return d;
    }
}

/// <summary>Facts about built-in Kubernetes kinds that kustomize hard-codes.</summary>
internal static class KindInfo
{
    /// <summary>
    /// Built-in cluster-scoped kinds and their API group. kustomize asks its built-in OpenAPI schema, so
    /// a kind of the same name in another group (a custom <c>Namespace</c>) is namespaced.
    /// </summary>
    private static readonly Dictionary<string, string[]> ClusterScoped = new(StringComparer.Ordinal)
    {
        ["APIService"] = ["apiregistration.k8s.io"],
        ["CertificateSigningRequest"] = ["certificates.k8s.io"],
        ["ClusterRole"] = ["rbac.authorization.k8s.io"],
        ["ClusterRoleBinding"] = ["rbac.authorization.k8s.io"],
        ["ComponentStatus"] = [string.Empty],
        ["CSIDriver"] = ["storage.k8s.io"],
        ["CSINode"] = ["storage.k8s.io"],
        ["CustomResourceDefinition"] = ["apiextensions.k8s.io"],
        ["FlowSchema"] = ["flowcontrol.apiserver.k8s.io"],
        ["IngressClass"] = ["networking.k8s.io"],
        ["MutatingWebhookConfiguration"] = ["admissionregistration.k8s.io"],
        ["Namespace"] = [string.Empty],
        ["Node"] = [string.Empty],
        ["PersistentVolume"] = [string.Empty],
        ["PodSecurityPolicy"] = ["policy", "extensions"],
        ["PriorityClass"] = ["scheduling.k8s.io"],
        ["PriorityLevelConfiguration"] = ["flowcontrol.apiserver.k8s.io"],
        ["RuntimeClass"] = ["node.k8s.io"],
        ["SelfSubjectAccessReview"] = ["authorization.k8s.io"],
        ["SelfSubjectRulesReview"] = ["authorization.k8s.io"],
        ["StorageClass"] = ["storage.k8s.io"],
        ["SubjectAccessReview"] = ["authorization.k8s.io"],
        ["TokenReview"] = ["authentication.k8s.io"],
        ["ValidatingAdmissionPolicy"] = ["admissionregistration.k8s.io"],
        ["ValidatingAdmissionPolicyBinding"] = ["admissionregistration.k8s.io"],
        ["ValidatingWebhookConfiguration"] = ["admissionregistration.k8s.io"],
        ["VolumeAttachment"] = ["storage.k8s.io"],
    };

    public static bool IsClusterScoped(string kind, string group) => ClusterScoped.TryGetValue(kind, out var groups) && Array.IndexOf(groups, group) >= 0;
}
