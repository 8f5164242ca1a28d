using System.Text.Json;
using System.Text.Json.Nodes;
using Fleet.Rendering.Transforms;
using Fleet.Rendering.Yaml;

namespace Fleet.Rendering.Kustomize;

/// <summary>
/// Builds a kustomization the way kustomize v5 does: resources, then components, generators, the
/// built-in transformers in kustomize's order, and at the top level the content hashes, name
/// references, vars and the output order.
/// </summary>
internal sealed partial class Builder
{
    private static readonly string[] KustomizationFileNames = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

    private static readonly HashSet<string> KnownFields = new(StringComparer.Ordinal)
    {
        "apiVersion", "kind", "metadata", "resources", "bases", "components", "namespace", "namePrefix", "nameSuffix",
        "commonLabels", "labels", "commonAnnotations", "patches", "patchesStrategicMerge", "patchesJson6902", "images",
        "replicas", "configMapGenerator", "secretGenerator", "generatorOptions", "replacements", "vars", "sortOptions",
        "crds", "buildMetadata", "configurations", "generators", "transformers", "validators", "helmCharts",
        "helmGlobals", "helmChartInflationGenerator", "openapi", "imageTags",
    };

    private readonly Files _files;
    private readonly RenderOptions _options;
    private readonly Stack<string> _stack = new();

    /// <summary>The <c>crds</c> configuration of the kustomization being accumulated, including what its resources and components brought.</summary>
    private CrdConfig _crd = new();

    /// <summary>The <c>configurations</c> of the kustomization being accumulated, including what its resources and components brought.</summary>
    private TransformerConfig _config = new();
    private int _nodeBudget;
    private bool _recordTransformations;
    private OpenApiSchema? _schema;

    public Builder(string root, RenderOptions options)
    {
        _files = new Files(root, options.Limits);
        _options = options;
    }

    public List<JsonObject> Build(string path)
    {
        var dir = _files.Locate(_files.Root, string.IsNullOrEmpty(path) ? "." : path.TrimStart('/'), "path");
        if (!Directory.Exists(dir))
        {
            throw new RenderException($"{_files.Rel(dir)}: not a directory");
        }

        var kust = LoadKustomization(dir, allowGenerated: true);
        if (_options.Overlay is { } overlay)
        {
            ApplyOverlay(kust.Doc, overlay);
        }

        _recordTransformations = kust.Doc["buildMetadata"] is JsonArray metadata && metadata.Any(m => m is JsonValue v && v.ToString() == "transformerAnnotations");
        var ctx = new Context(kust.Doc, kust.File);
        var resources = new List<Resource>();
        Accumulate(dir, kust, resources, ctx);
        Finish(resources, kust.Doc, ctx);
        return resources.Select(r => r.Obj).ToList();
    }

    /// <summary>State shared by the whole build (vars and build metadata).</summary>
    private sealed class Context(JsonObject top, string topFile)
    {
        public JsonObject Top { get; } = top;

        public string TopFile { get; } = topFile;

        public List<(JsonObject Var, string File)> Vars { get; } = [];
    }

    private sealed record Kust(JsonObject Doc, string File, string Dir, bool IsComponent);

    private Kust LoadKustomization(string dir, bool allowGenerated)
    {
        var found = KustomizationFileNames.Select(n => Path.Combine(dir, n)).Where(File.Exists).ToList();
        if (found.Count > 1)
        {
            throw new RenderException($"{_files.Rel(dir)}: found multiple kustomization files ({string.Join(", ", found.Select(Path.GetFileName))})");
        }

        if (found.Count == 0)
        {
            if (!allowGenerated)
            {
                throw new RenderException($"{_files.Rel(dir)}: unable to find one of 'kustomization.yaml', 'kustomization.yml' or 'Kustomization' in directory");
            }

            return new Kust(FluxGenerated(dir), _files.Rel(dir) + " (generated kustomization)", dir, false);
        }

        var file = found[0];
        _files.Locate(dir, Path.GetFileName(file), _files.Rel(dir));
        var rel = _files.Rel(file);
        var docs = YamlReader.ReadAll(_files.Read(file), rel, _options.Limits, lastKeyWins: true);
        var doc = docs.Count == 0 || docs[0] is null ? [] : docs[0] as JsonObject ?? throw new RenderException($"{rel}: kustomization must be a YAML mapping");
        if (doc.Count == 0)
        {
            throw new RenderException($"{rel}: kustomization file is empty");
        }

        doc = CanonicalFieldNames(doc, rel);
        CheckStringFields(doc, rel);

        var kind = Resource.Str(doc, "kind");
        if (kind.Length > 0 && kind is not ("Kustomization" or "Component"))
        {
            throw new RenderException($"{rel}: kind '{kind}' is not Kustomization or Component");
        }

        if (kind == "Component" && doc["apiVersion"] is not null && Resource.Str(doc, "apiVersion") != "kustomize.config.k8s.io/v1alpha1")
        {
            throw new RenderException($"{rel}: apiVersion for Component should be kustomize.config.k8s.io/v1alpha1");
        }

        foreach (var unsupported in new[] { "helmCharts", "helmGlobals", "helmChartInflationGenerator" })
        {
            if (doc.ContainsKey(unsupported))
            {
                throw new RenderException($"{rel}: '{unsupported}' (Helm chart inflation) is not supported");
            }
        }

        if (doc["validators"] is JsonArray { Count: > 0 })
        {
            throw new RenderException($"{rel}: 'validators' (KRM function and exec plugins) is not supported");
        }

        LoadOpenApi(doc, rel, dir);

        return new Kust(doc, rel, dir, kind == "Component");
    }

    /// <summary>
    /// kustomize decodes a kustomization with Go's JSON rules: field names match case-insensitively and,
    /// when two spellings of one field appear, the later one wins.
    /// </summary>
    private static JsonObject CanonicalFieldNames(JsonObject doc, string rel)
    {
        if (doc.All(p => KnownFields.Contains(p.Key)))
        {
            return doc;
        }

        var result = new JsonObject();
        foreach (var (key, value) in doc.ToList())
        {
            var known = KnownFields.Contains(key) ? key : KnownFields.FirstOrDefault(f => string.Equals(f, key, StringComparison.OrdinalIgnoreCase))
                ?? throw new RenderException($"{rel}: invalid Kustomization: unknown field \"{key}\"");
            doc.Remove(key);
            result.Remove(known);
            result[known] = value;
        }

        return result;
    }

    /// <summary>
    /// Flux's kustomize-controller: a directory without a kustomization renders every YAML manifest
    /// under it; subdirectories that have their own kustomization are included as a whole.
    /// </summary>
    private JsonObject FluxGenerated(string dir)
    {
        var resources = new JsonArray();
        void Scan(string d)
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries(d).Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileName(entry);
                if (name.StartsWith('.'))
                {
                    continue;
                }

                var rel = Path.GetRelativePath(dir, entry).Replace('\\', '/');
                if (Directory.Exists(entry))
                {
                    if (KustomizationFileNames.Any(n => File.Exists(Path.Combine(entry, n))))
                    {
                        resources.Add((JsonNode)rel);
                    }
                    else
                    {
                        Scan(entry);
                    }
                }
                else if (name.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
                {
                    resources.Add((JsonNode)rel);
                }
            }
        }

        Scan(dir);
        return new JsonObject { ["apiVersion"] = "kustomize.config.k8s.io/v1beta1", ["kind"] = "Kustomization", ["resources"] = resources };
    }

    private void Accumulate(string dir, Kust kust, List<Resource> ra, Context ctx)
    {
        if (_stack.Contains(dir))
        {
            throw new RenderException($"{kust.File}: cycle detected: '{_files.Rel(dir)}' includes itself (via {string.Join(" <- ", _stack.Select(_files.Rel))})");
        }

        if (_stack.Count >= _options.Limits.MaxKustomizationDepth)
        {
            throw new RenderException($"{kust.File}: kustomizations nested deeper than {_options.Limits.MaxKustomizationDepth} levels");
        }

        _stack.Push(dir);
        var outerCrd = _crd;
        _crd = new CrdConfig();
        var outerConfig = _config;
        _config = new TransformerConfig();
        try
        {
            var doc = kust.Doc;
            foreach (var field in new[] { "resources", "bases" })
            {
                foreach (var entry in Strings(doc, field, kust.File))
                {
                    AccumulateResource(dir, entry, kust, ra, ctx);
                }
            }

            // kustomize v5.5: configurations, crds and generators of this kustomization come before its components.
            LoadConfigurations(doc, kust, dir);
            LoadCrds(doc, kust, dir);
            Generators.Run(doc, kust.File, dir, ra, _files, _options.Limits);
            RunGeneratorPlugins(kust, dir, ra);
            foreach (var entry in Strings(doc, "components", kust.File))
            {
                CheckRemote(entry, kust.File);
                var compDir = _files.Locate(dir, entry, kust.File);
                if (!Directory.Exists(compDir))
                {
                    throw new RenderException($"{kust.File}: component '{entry}' must be a directory");
                }

                var comp = LoadKustomization(compDir, allowGenerated: false);
                if (!comp.IsComponent)
                {
                    throw new RenderException($"{comp.File}: expected kind 'Component' for path '{entry}' listed in components of {kust.File}, got 'Kustomization'");
                }

                Accumulate(compDir, comp, ra, ctx);
            }

            RunTransformers(doc, kust, dir, ra);
            RunTransformerPlugins(kust, dir, ra);
            if (doc["vars"] is JsonArray vars)
            {
                foreach (var v in vars)
                {
                    if (v is JsonObject vo)
                    {
                        if (ctx.Vars.Exists(x => Resource.Str(x.Var, "name") == Resource.Str(vo, "name")))
                        {
                            throw new RenderException($"{kust.File}: var '{Resource.Str(vo, "name")}' already encountered");
                        }

                        ctx.Vars.Add((vo, kust.File));
                    }
                }
            }
        }
        finally
        {
            _stack.Pop();
            outerCrd.Merge(_crd);
            _crd = outerCrd;
            outerConfig.Merge(_config);
            _config = outerConfig;
        }
    }

    /// <summary>
    /// Reads the <c>crds</c> files (OpenAPI definitions, see <see cref="CrdConfig"/>) into the current
    /// configuration, before this kustomization's transformers run.
    /// </summary>
    private void LoadCrds(JsonObject doc, Kust kust, string dir)
    {
        foreach (var entry in Strings(doc, "crds", kust.File))
        {
            var full = _files.LocateFile(dir, entry, kust.File);
            var rel = _files.Rel(full);
            var docs = YamlReader.ReadAll(_files.Read(full), rel, _options.Limits);
            _crd.Load(docs.Count > 0 ? docs[0] : null, rel);
        }
    }

    /// <summary>
    /// <c>openapi: {path: FILE}</c> replaces the schema strategic merge patches use, for the rest of the
    /// build (kustomize keeps it process-wide). <c>openapi: {version: ...}</c> picks a built-in Kubernetes
    /// version, which changes nothing here: the built-in merge keys are the same in every version.
    /// </summary>
    private void LoadOpenApi(JsonObject doc, string rel, string dir)
    {
        if (doc["openapi"] is null)
        {
            return;
        }

        if (doc["openapi"] is not JsonObject openapi)
        {
            throw new RenderException($"{rel}: 'openapi' must be a mapping with 'path' or 'version'");
        }

        if (Resource.Str(openapi, "path") is { Length: > 0 } path)
        {
            var full = _files.LocateFile(dir, path, rel);
            var file = _files.Rel(full);
            var docs = YamlReader.ReadAll(_files.Read(full), file, _options.Limits);
            _schema = OpenApiSchema.Load(docs.Count > 0 ? docs[0] : null, file);
        }
    }

    private void LoadConfigurations(JsonObject doc, Kust kust, string dir)
    {
        foreach (var entry in Strings(doc, "configurations", kust.File))
        {
            var full = _files.LocateFile(dir, entry, kust.File);
            var rel = _files.Rel(full);
            foreach (var d in YamlReader.ReadAll(_files.Read(full), rel, _options.Limits))
            {
                _config.Load(d, rel);
            }
        }
    }

    private void AccumulateResource(string dir, string entry, Kust kust, List<Resource> ra, Context ctx)
    {
        CheckRemote(entry, kust.File);
        var full = _files.Locate(dir, entry, kust.File);
        if (Directory.Exists(full))
        {
            var sub = LoadKustomization(full, allowGenerated: false);
            if (sub.IsComponent)
            {
                throw new RenderException($"{sub.File}: expected kind 'Kustomization' for resource '{entry}' of {kust.File}, got 'Component'");
            }

            var subResources = new List<Resource>();
            Accumulate(full, sub, subResources, ctx);
            AddAll(ra, subResources, kust.File);
            return;
        }

        full = _files.LocateFile(dir, entry, kust.File);
        AddAll(ra, ReadResources(full), kust.File);
    }

    private static void CheckRemote(string entry, string file)
    {
        if (entry.Contains("://", StringComparison.Ordinal) || entry.StartsWith("git@", StringComparison.Ordinal) ||
            entry.StartsWith("github.com/", StringComparison.Ordinal) || entry.Contains("?ref=", StringComparison.Ordinal) ||
            entry.StartsWith("gitlab.com/", StringComparison.Ordinal) || entry.StartsWith("bitbucket.org/", StringComparison.Ordinal))
        {
            throw new RenderException($"{file}: remote resource '{entry}' is not supported (renders never touch the network; vendor it into the repository)");
        }
    }

    internal List<Resource> ReadResources(string full)
    {
        var rel = _files.Rel(full);
        var result = new List<Resource>();
        foreach (var doc in YamlReader.ReadAll(_files.Read(full), rel, _options.Limits))
        {
            if (doc is null)
            {
                continue;
            }

            if (doc is not JsonObject obj)
            {
                throw new RenderException($"{rel}: a resource document must be a YAML mapping");
            }

            if (obj.Count == 0)
            {
                continue;
            }

            foreach (var item in ExpandList(obj, rel))
            {
                result.Add(ToResource(item, rel));
            }
        }

        _nodeBudget += result.Count;
        if (_nodeBudget > _options.Limits.MaxDocuments * 2)
        {
            throw new RenderException($"{rel}: more than {_options.Limits.MaxDocuments * 2} input documents");
        }

        return result;
    }

    private static IEnumerable<JsonObject> ExpandList(JsonObject obj, string rel)
    {
        var kind = Resource.Str(obj, "kind");
        if (kind.EndsWith("List", StringComparison.Ordinal) && obj["items"] is JsonArray items)
        {
            foreach (var item in items)
            {
                if (item is JsonObject io)
                {
                    foreach (var inner in ExpandList((JsonObject)io.DeepClone(), rel))
                    {
                        yield return inner;
                    }
                }
            }

            yield break;
        }

        yield return obj;
    }

    private static Resource ToResource(JsonObject obj, string rel)
    {
        var kind = Resource.Str(obj, "kind");
        if (kind.Length == 0)
        {
            throw new RenderException($"{rel}: missing Resource metadata: a document has no 'kind'");
        }

        if (kind is "Kustomization" or "Component" && Resource.Str(obj, "apiVersion").StartsWith("kustomize.config.k8s.io", StringComparison.Ordinal))
        {
            throw new RenderException($"{rel}: is a kustomization file, list its directory in resources instead");
        }

        if (obj["metadata"] is not JsonObject meta || Resource.Str(meta, "name").Length == 0)
        {
            if (obj["metadata"] is not JsonObject m2 || Resource.Str(m2, "generateName").Length == 0)
            {
                throw new RenderException($"{rel}: missing metadata.name in {kind} object");
            }
        }

        NormalizeAnnotations(obj);
        return new Resource(obj, rel);
    }

    /// <summary>
    /// kustomize reads annotations into a string map: every value becomes its text, and an empty or
    /// null <c>annotations</c> is dropped. Labels are left as written.
    /// </summary>
    private static void NormalizeAnnotations(JsonObject obj)
    {
        if (obj["metadata"] is not JsonObject meta || !meta.TryGetPropertyValue("annotations", out var node))
        {
            return;
        }

        if (node is null or JsonObject { Count: 0 })
        {
            meta.Remove("annotations");
            return;
        }

        if (node is JsonObject annotations)
        {
            foreach (var key in annotations.Select(p => p.Key).ToList())
            {
                if (annotations[key] is JsonValue v && v.GetValueKind() != JsonValueKind.String)
                {
                    annotations[key] = YamlReader.ScalarText(v);
                }
                else if (annotations[key] is null)
                {
                    annotations[key] = string.Empty;
                }
            }
        }
    }

    private static void AddAll(List<Resource> ra, List<Resource> add, string file)
    {
        var ids = new Dictionary<string, Resource>(ra.Count + add.Count, StringComparer.Ordinal);
        foreach (var r in ra)
        {
            ids.TryAdd(r.Id, r);
        }

        foreach (var r in add)
        {
            if (!ids.TryAdd(r.Id, r))
            {
                throw new RenderException($"{file}: may not add resource with an already registered id: {r.Describe()} conflicts with {ids[r.Id].Describe()}");
            }

            ra.Add(r);
        }
    }

    internal static List<string> Strings(JsonObject doc, string field, string file)
    {
        var node = doc[field];
        if (node is null)
        {
            return [];
        }

        if (node is not JsonArray a)
        {
            throw new RenderException($"{file}: '{field}' must be a list");
        }

        var list = new List<string>();
        foreach (var item in a)
        {
            if (item is JsonValue v && v.GetValueKind() == JsonValueKind.String)
            {
                list.Add(v.GetValue<string>());
            }
            else
            {
                throw new RenderException($"{file}: every entry of '{field}' must be a string");
            }
        }

        return list;
    }

    internal static Dictionary<string, string> StringMap(JsonNode? node, string file, string field)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        if (node is null)
        {
            return d;
        }

        if (node is not JsonObject o)
        {
            throw new RenderException($"{file}: '{field}' must be a map of strings");
        }

        foreach (var (k, v) in o)
        {
            // Go's JSON decoding into map[string]string: a number or boolean is an error, null is "".
            d[k] = v switch
            {
                null => string.Empty,
                JsonValue jv when jv.GetValueKind() == JsonValueKind.String => jv.GetValue<string>(),
                _ => throw new RenderException($"{file}: invalid Kustomization: cannot unmarshal {GoJsonKind(v)} into field {field} (key '{k}') of type string"),
            };
        }

        return d;
    }

    /// <summary>How Go's JSON decoder names the kind of a value it could not decode.</summary>
    internal static string GoJsonKind(JsonNode? node) => node switch
    {
        JsonObject => "object",
        JsonArray => "array",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.Number => "number",
            JsonValueKind.True or JsonValueKind.False => "bool",
            _ => "string",
        },
        _ => "null",
    };

    /// <summary>Kustomization fields that Go decodes into a string: any other scalar is an error, as in kustomize.</summary>
    private static readonly string[] StringFields = ["namespace", "namePrefix", "nameSuffix", "apiVersion", "kind"];

    private static void CheckStringFields(JsonObject doc, string rel)
    {
        foreach (var field in StringFields)
        {
            if (doc[field] is { } node && !(node is JsonValue v && v.GetValueKind() == JsonValueKind.String))
            {
                throw new RenderException($"{rel}: invalid Kustomization: cannot unmarshal {GoJsonKind(node)} into field {field} of type string");
            }
        }
    }

    private static void ApplyOverlay(JsonObject doc, FluxOverlay overlay)
    {
        if (!string.IsNullOrEmpty(overlay.TargetNamespace))
        {
            doc["namespace"] = overlay.TargetNamespace;
        }

        if (!string.IsNullOrEmpty(overlay.NamePrefix))
        {
            doc["namePrefix"] = overlay.NamePrefix + Resource.Str(doc, "namePrefix");
        }

        if (!string.IsNullOrEmpty(overlay.NameSuffix))
        {
            doc["nameSuffix"] = Resource.Str(doc, "nameSuffix") + overlay.NameSuffix;
        }

        if (overlay.Patches is { Count: > 0 })
        {
            var patches = doc["patches"] as JsonArray ?? [];
            doc["patches"] = patches;
            foreach (var p in overlay.Patches)
            {
                var entry = new JsonObject { ["patch"] = p.Patch };
                if (p.Target is { } t)
                {
                    var target = new JsonObject();
                    void Set(string k, string? v)
                    {
                        if (!string.IsNullOrEmpty(v))
                        {
                            target[k] = v;
                        }
                    }

                    Set("group", t.Group);
                    Set("version", t.Version);
                    Set("kind", t.Kind);
                    Set("name", t.Name);
                    Set("namespace", t.Namespace);
                    Set("labelSelector", t.LabelSelector);
                    Set("annotationSelector", t.AnnotationSelector);
                    entry["target"] = target;
                }

                patches.Add((JsonNode)entry);
            }
        }

        if (overlay.Images is { Count: > 0 })
        {
            var images = doc["images"] as JsonArray ?? [];
            doc["images"] = images;
            foreach (var i in overlay.Images)
            {
                var entry = new JsonObject { ["name"] = i.Name };
                if (i.NewName is not null)
                {
                    entry["newName"] = i.NewName;
                }

                if (i.NewTag is not null)
                {
                    entry["newTag"] = i.NewTag;
                }

                if (i.Digest is not null)
                {
                    entry["digest"] = i.Digest;
                }

                images.Add((JsonNode)entry);
            }
        }

        if (overlay.Components is { Count: > 0 })
        {
            var components = doc["components"] as JsonArray ?? [];
            doc["components"] = components;
            foreach (var c in overlay.Components)
            {
                components.Add((JsonNode)c);
            }
        }

        if (overlay.CommonMetadata is { } meta)
        {
            if (meta.Labels is { Count: > 0 })
            {
                var labels = doc["labels"] as JsonArray ?? [];
                doc["labels"] = labels;
                labels.Add((JsonNode)new JsonObject { ["pairs"] = new JsonObject(meta.Labels.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))) });
            }

            if (meta.Annotations is { Count: > 0 })
            {
                var annotations = doc["commonAnnotations"] as JsonObject ?? [];
                doc["commonAnnotations"] = annotations;
                foreach (var (k, v) in meta.Annotations)
                {
                    annotations[k] = v;
                }
            }
        }
    }
}
