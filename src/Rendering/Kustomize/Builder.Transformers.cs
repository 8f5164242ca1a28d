using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Fleet.Rendering.Transforms;
using Fleet.Rendering.Yaml;

namespace Fleet.Rendering.Kustomize;

internal sealed partial class Builder
{
    private void RunTransformers(JsonObject doc, Kust kust, string dir, List<Resource> ra)
    {
        // kustomize's built-in transformer order; each configured one is recorded for transformerAnnotations.
        PatchesStrategicMerge(doc, kust, dir, ra);
        Mark(ra, kust, "PatchStrategicMergeTransformer", doc["patchesStrategicMerge"] is JsonArray { Count: > 0 } ? 1 : 0);
        Patches(doc, kust, dir, ra);
        Mark(ra, kust, "PatchTransformer", Count(doc["patches"]));
        Namespace(doc, kust, ra, _config);
        Mark(ra, kust, "NamespaceTransformer", Resource.Str(doc, "namespace").Length > 0 ? 1 : 0);
        PrefixSuffix(doc, kust, ra);
        Mark(ra, kust, "PrefixTransformer", Resource.Str(doc, "namePrefix").Length > 0 ? 1 : 0);
        Mark(ra, kust, "SuffixTransformer", Resource.Str(doc, "nameSuffix").Length > 0 ? 1 : 0);
        Labels(doc, kust, ra);
        var labelEntries = Count(doc["labels"]);
        Mark(ra, kust, "LabelTransformer", labelEntries > 0 || doc["commonLabels"] is JsonObject { Count: > 0 } ? labelEntries + 1 : 0);
        Annotations(doc, kust, ra);
        Mark(ra, kust, "AnnotationsTransformer", doc["commonAnnotations"] is JsonObject { Count: > 0 } ? 1 : 0);
        PatchesJson6902(doc, kust, dir, ra);
        Mark(ra, kust, "PatchJson6902Transformer", Count(doc["patchesJson6902"]));
        Replicas(doc, kust, ra, _config.Replicas);
        Mark(ra, kust, "ReplicaCountTransformer", Count(doc["replicas"]));
        Images.Apply(doc["images"], kust.File, ra, _config.Images);
        Mark(ra, kust, "ImageTagTransformer", Count(doc["images"]));
        Replacements.Apply(doc["replacements"], kust.File, ra, p => LoadReplacementFile(dir, p, kust.File));
        Mark(ra, kust, "ReplacementTransformer", Count(doc["replacements"]) > 0 ? 1 : 0);
    }

    private static int Count(JsonNode? node) => node is JsonArray a ? a.Count : 0;

    private void Mark(List<Resource> ra, Kust kust, string kind, int times, string? name = null)
    {
        if (!_recordTransformations)
        {
            return;
        }

        foreach (var r in ra)
        {
            for (var i = 0; i < times; i++)
            {
                r.Transformations.Add((kust.File, kind, name));
            }
        }
    }

    private JsonArray LoadReplacementFile(string dir, string path, string file)
    {
        var full = _files.LocateFile(dir, path, file);
        var rel = _files.Rel(full);
        var result = new JsonArray();
        foreach (var d in YamlReader.ReadAll(_files.Read(full), rel, _options.Limits))
        {
            switch (d)
            {
                case JsonArray a:
                    foreach (var item in a)
                    {
                        result.Add(item?.DeepClone());
                    }

                    break;
                case JsonObject o:
                    result.Add(o.DeepClone());
                    break;
            }
        }

        return result;
    }

    private List<(JsonNode Patch, string Where)> PatchDocs(string dir, JsonObject entry, string file, int index, string field)
    {
        var where = $"{file}: {field}[{index}]";
        string text;
        string origin;
        if (entry["path"] is JsonValue pv && pv.GetValueKind() == JsonValueKind.String)
        {
            var full = _files.LocateFile(dir, pv.GetValue<string>(), where);
            text = _files.Read(full);
            origin = _files.Rel(full);
        }
        else if (entry["patch"] is JsonValue iv && iv.GetValueKind() == JsonValueKind.String)
        {
            text = iv.GetValue<string>();
            origin = where + " (inline patch)";
        }
        else
        {
            throw new RenderException($"{where}: a patch needs 'path' or 'patch'");
        }

        if (entry.ContainsKey("path") && entry.ContainsKey("patch"))
        {
            throw new RenderException($"{where}: a patch may not set both 'path' and 'patch'");
        }

        var trimmed = text.TrimStart();
        if (trimmed.StartsWith('['))
        {
            // A JSON 6902 patch written as JSON.
            try
            {
                return [(JsonNode.Parse(text) ?? new JsonArray(), origin)];
            }
            catch (JsonException e)
            {
                throw new RenderException($"{origin}: invalid JSON patch: {e.Message}", e);
            }
        }

        var docs = YamlReader.ReadAll(text, origin, _options.Limits).Where(d => d is not null).Select(d => (d!, origin)).ToList();
        if (docs.Count == 0)
        {
            // kustomize refuses a patch without content (its text qualifies as neither kind of patch).
            throw new RenderException($"{origin}: patch appears to be empty");
        }

        return docs;
    }

    private void PatchesStrategicMerge(JsonObject doc, Kust kust, string dir, List<Resource> ra)
    {
        if (doc["patchesStrategicMerge"] is not JsonArray list)
        {
            return;
        }

        for (var i = 0; i < list.Count; i++)
        {
            var item = list[i] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : throw new RenderException($"{kust.File}: patchesStrategicMerge[{i}] must be a string");
            var entry = item.Contains('\n', StringComparison.Ordinal) || item.TrimStart().StartsWith('{') ? new JsonObject { ["patch"] = item } : new JsonObject { ["path"] = item };
            foreach (var (patch, where) in PatchDocs(dir, entry, kust.File, i, "patchesStrategicMerge"))
            {
                if (patch is not JsonObject po)
                {
                    throw new RenderException($"{where}: a strategic merge patch must be a YAML mapping");
                }

                ApplyUntargetedSmp(po, where, ra);
            }
        }
    }

    private void ApplyUntargetedSmp(JsonObject patch, string where, List<Resource> ra, PatchOptions options = default)
    {
        var kind = Resource.Str(patch, "kind");
        var name = patch["metadata"] is JsonObject m ? Resource.Str(m, "name") : string.Empty;
        var ns = patch["metadata"] is JsonObject m2 ? Resource.Str(m2, "namespace") : string.Empty;
        var apiVersion = Resource.Str(patch, "apiVersion");
        if (kind.Length == 0 || name.Length == 0)
        {
            throw new RenderException($"{where}: a strategic merge patch without a target needs kind and metadata.name");
        }

        var group = apiVersion.Contains('/', StringComparison.Ordinal) ? apiVersion[..apiVersion.IndexOf('/', StringComparison.Ordinal)] : string.Empty;
        var matches = ra.Where(r => r.Kind == kind && r.Group == group && r.HadName(name) &&
            (ns.Length == 0 || r.History.Exists(h => h.Namespace == ns) || (ns == "default" && r.Namespace.Length == 0))).ToList();
        if (matches.Count > 1 && ns.Length == 0)
        {
            var unnamespaced = matches.Where(r => r.History.Exists(h => h.Namespace.Length == 0 || h.Namespace == "default")).ToList();
            if (unnamespaced.Count == 1)
            {
                matches = unnamespaced;
            }
        }

        if (matches.Count == 0)
        {
            throw new RenderException($"{where}: no resource matches strategic merge patch \"{kind} {name}\"");
        }

        if (matches.Count > 1)
        {
            throw new RenderException($"{where}: multiple resources match strategic merge patch \"{kind} {name}\"; set metadata.namespace or use a target");
        }

        ApplySmp(matches[0], patch, ra, options);
    }

    /// <summary>A patch's <c>options</c>: whether it may change the name or kind of what it patches.</summary>
    private readonly record struct PatchOptions(bool AllowNameChange, bool AllowKindChange);

    private static PatchOptions ReadPatchOptions(JsonObject entry) =>
        entry["options"] is JsonObject o
            ? new PatchOptions(o["allowNameChange"] is JsonValue n && n.GetValueKind() == JsonValueKind.True, o["allowKindChange"] is JsonValue k && k.GetValueKind() == JsonValueKind.True)
            : default;

    private void ApplySmp(Resource r, JsonObject patch, List<Resource> ra, PatchOptions options = default)
    {
        // As kustomize: the patch may set apiVersion; kind and name only when its options allow, namespace never.
        var copy = (JsonObject)patch.DeepClone();
        if (!options.AllowKindChange)
        {
            copy.Remove("kind");
        }

        if (copy["metadata"] is JsonObject meta)
        {
            if (!options.AllowNameChange)
            {
                meta.Remove("name");
            }

            meta.Remove("namespace");
        }

        if (options.AllowNameChange || options.AllowKindChange)
        {
            r.StorePrevious();
        }

        // The copy is ours and the resource's old object is replaced, so merge in place.
        var merged = StrategicMerge.Apply(r.Obj, copy, inPlace: true, _schema);
        if (merged is null)
        {
            ra.Remove(r);
            return;
        }

        r.Obj = merged;
        DropNullFields(merged);
        r.Record();
    }

    /// <summary>
    /// kustomize's strategic merge (kyaml) leaves out fields whose value is an empty null (<c>labels:</c>)
    /// everywhere in the object it patched, and keeps an explicit <c>~</c> or <c>null</c>
    /// (<c>creationTimestamp: null</c>): the reader remembers which was which.
    /// </summary>
    private static void DropNullFields(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                List<string>? nulls = null;
                YamlReader.EmptyNulls.TryGetValue(o, out var empty);
                foreach (var (k, v) in o)
                {
                    if (v is null && empty is not null && empty.Contains(k))
                    {
                        (nulls ??= []).Add(k);
                    }
                    else
                    {
                        DropNullFields(v);
                    }
                }

                foreach (var k in nulls ?? [])
                {
                    o.Remove(k);
                }

                break;
            case JsonArray a:
                foreach (var item in a)
                {
                    DropNullFields(item);
                }

                break;
        }
    }

    private void Patches(JsonObject doc, Kust kust, string dir, List<Resource> ra)
    {
        if (doc["patches"] is not JsonArray list)
        {
            return;
        }

        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is not JsonObject entry)
            {
                throw new RenderException($"{kust.File}: patches[{i}] must be a mapping with 'path' or 'patch' and an optional 'target'");
            }

            foreach (var key in entry.Select(p => p.Key))
            {
                if (key is not ("path" or "patch" or "target" or "options"))
                {
                    throw new RenderException($"{kust.File}: patches[{i}]: unknown field \"{key}\"");
                }
            }

            var docs = PatchDocs(dir, entry, kust.File, i, "patches");
            var target = entry["target"] as JsonObject;
            var options = ReadPatchOptions(entry);
            foreach (var (patch, where) in docs)
            {
                if (patch is JsonArray ops)
                {
                    if (target is null)
                    {
                        throw new RenderException($"{where}: a JSON 6902 patch needs a target");
                    }

                    foreach (var r in Select(ra, target, where))
                    {
                        ApplyJsonPatch(r, ops, where);
                    }
                }
                else if (patch is JsonObject smp)
                {
                    if (target is null)
                    {
                        ApplyUntargetedSmp(smp, where, ra, options);
                    }
                    else
                    {
                        foreach (var r in Select(ra, target, where))
                        {
                            ApplySmp(r, smp, ra, options);
                        }
                    }
                }
                else
                {
                    throw new RenderException($"{where}: a patch must be a mapping (strategic merge) or a list (JSON 6902)");
                }
            }
        }
    }

    /// <summary>
    /// A JSON 6902 patch on one object. kustomize's objects always carry (internal) annotations while
    /// it builds, so a path under <c>metadata.annotations</c> exists even when the input has none.
    /// </summary>
    private static void ApplyJsonPatch(Resource r, JsonArray ops, string where)
    {
        r.StorePrevious();
        var meta = r.Metadata;
        var added = !meta.ContainsKey("annotations");
        if (added)
        {
            meta["annotations"] = new JsonObject();
        }

        r.Obj = JsonPatch.Apply(r.Obj, ops, where, inPlace: true);
        if (added && r.Obj["metadata"] is JsonObject after && after["annotations"] is JsonObject { Count: 0 })
        {
            after.Remove("annotations");
        }

        r.Record();
    }

    private void PatchesJson6902(JsonObject doc, Kust kust, string dir, List<Resource> ra)
    {
        if (doc["patchesJson6902"] is not JsonArray list)
        {
            return;
        }

        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is not JsonObject entry || entry["target"] is not JsonObject target)
            {
                throw new RenderException($"{kust.File}: patchesJson6902[{i}] needs a target");
            }

            foreach (var (patch, where) in PatchDocs(dir, entry, kust.File, i, "patchesJson6902"))
            {
                if (patch is not JsonArray ops)
                {
                    throw new RenderException($"{where}: a JSON 6902 patch must be a list of operations");
                }

                var matches = Select(ra, target, where);
                if (matches.Count == 0)
                {
                    throw new RenderException($"{where}: no resource matches the target of the JSON 6902 patch");
                }

                foreach (var r in matches)
                {
                    ApplyJsonPatch(r, ops, where);
                }
            }
        }
    }

    /// <summary>Resources a kustomize selector (group, version, kind, name and namespace as anchored regexes, label and annotation selectors) picks.</summary>
    internal static List<Resource> Select(List<Resource> ra, JsonObject target, string where)
    {
        Regex? Rx(string key)
        {
            var s = Resource.Str(target, key);
            if (s.Length == 0)
            {
                return null;
            }

            try
            {
                return new Regex("^(?:" + s + ")$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            }
            catch (ArgumentException e)
            {
                throw new RenderException($"{where}: invalid regular expression in target.{key}: {e.Message}", e);
            }
        }

        var group = Rx("group");
        var version = Rx("version");
        var kind = Rx("kind");
        var name = Rx("name");
        var ns = Rx("namespace");
        var labels = Selectors.Parse(Resource.Str(target, "labelSelector"), where);
        var annotations = Selectors.Parse(Resource.Str(target, "annotationSelector"), where);
        return ra.Where(r =>
            (group is null || group.IsMatch(r.Group)) &&
            (version is null || version.IsMatch(r.Version)) &&
            (kind is null || kind.IsMatch(r.Kind)) &&
            (name is null || name.IsMatch(r.Name) || r.History.Exists(h => name.IsMatch(h.Name))) &&
            (ns is null || ns.IsMatch(r.Namespace)) &&
            (labels.IsEmpty || labels.Matches(r.Labels)) && (annotations.IsEmpty || annotations.Matches(r.Annotations))).ToList();
    }

    /// <summary>
    /// kustomize's namespace transformer. <paramref name="unsetOnly"/> and <paramref name="subjects"/> are the
    /// NamespaceTransformer plugin's <c>unsetOnly</c> and <c>setRoleBindingSubjects</c> (defaultOnly, the
    /// default: subjects named "default"; allServiceAccounts; none).
    /// </summary>
    private static void Namespace(JsonObject doc, Kust kust, List<Resource> ra, TransformerConfig config, bool unsetOnly = false, string subjects = "")
    {
        var ns = Resource.Str(doc, "namespace");
        if (ns.Length == 0)
        {
            return;
        }

        if (subjects is not ("" or "defaultOnly" or "allServiceAccounts" or "none"))
        {
            throw new RenderException($"{kust.File}: invalid value \"{subjects}\" for setRoleBindingSubjects: must be one of \"defaultOnly\", \"none\" or \"allServiceAccounts\"");
        }

        void Set(JsonObject map, string key)
        {
            if (!unsetOnly || map[key] is null || (map[key] is JsonValue v && v.ToString().Length == 0))
            {
                map[key] = ns;
            }
        }

        foreach (var r in ra)
        {
            r.StorePrevious();
            if (r.Kind == "Namespace" && r.ApiVersion == "v1")
            {
                if (!unsetOnly)
                {
                    r.SetName(ns);
                }

                continue;
            }

            if (r.Kind is "RoleBinding" or "ClusterRoleBinding" && r.Obj["subjects"] is JsonArray list && subjects != "none")
            {
                // kustomize's default: every subject named "default", whatever its kind, moves to the namespace.
                foreach (var s in list.OfType<JsonObject>())
                {
                    var matches = subjects == "allServiceAccounts"
                        ? s["kind"] is JsonValue sk && sk.ToString() == "ServiceAccount"
                        : s["name"] is JsonValue sn && YamlReader.ScalarText(sn) == "default";
                    if (matches)
                    {
                        Set(s, "namespace");
                    }
                }
            }

            if (r.Kind == "APIService" && r.Group == "apiregistration.k8s.io")
            {
                FieldSpecs.ForEachMap(r.Obj, ["spec", "service"], create: true, service => Set(service, "namespace"));
            }

            if (r.Kind == "CustomResourceDefinition" && r.Group == "apiextensions.k8s.io" &&
                r.Obj["spec"]?["conversion"]?["webhook"]?["clientConfig"]?["service"] is JsonObject conversion && conversion.ContainsKey("namespace"))
            {
                Set(conversion, "namespace");
            }

            foreach (var spec in config.Namespace)
            {
                if (spec.Matches(r) && spec.Path != "metadata/namespace")
                {
                    var parent = spec.Parts[..^1];
                    var key = spec.Parts[^1];
                    FieldSpecs.ForEachMap(r.Obj, parent, spec.Create, map =>
                    {
                        if (spec.Create || map.ContainsKey(key))
                        {
                            Set(map, key);
                        }
                    });
                }
            }

            if (!r.IsClusterScoped && (!unsetOnly || r.Namespace.Length == 0))
            {
                r.SetNamespace(ns);
            }
        }

        CheckConflicts(ra, kust.File, "namespace");
    }

    private static void CheckConflicts(List<Resource> ra, string file, string what)
    {
        var seen = new Dictionary<string, Resource>(StringComparer.Ordinal);
        foreach (var r in ra)
        {
            if (!seen.TryAdd(r.Id, r))
            {
                throw new RenderException($"{file}: {what} transformation produces ID conflict: {r.Describe()} and {seen[r.Id].Describe()}");
            }
        }
    }

    private void PrefixSuffix(JsonObject doc, Kust kust, List<Resource> ra)
    {
        var prefix = Resource.Str(doc, "namePrefix");
        var suffix = Resource.Str(doc, "nameSuffix");
        if (prefix.Length == 0 && suffix.Length == 0)
        {
            return;
        }

        foreach (var r in ra)
        {
            // kustomize's prefix and suffix transformers skip these kinds (by original id, any group but APIService's).
            var original = r.Kind;
            if (original is "CustomResourceDefinition" or "Namespace" || (original == "APIService" && r.Group == "apiregistration.k8s.io"))
            {
                continue;
            }

            if (prefix.Length > 0)
            {
                r.Prefixes.Add(prefix);
                r.StorePrevious();
                r.SetName(prefix + r.Name);
            }

            if (suffix.Length > 0)
            {
                r.Suffixes.Add(suffix);
                r.StorePrevious();
                r.SetName(r.Name + suffix);
            }

            // kustomize adds crds identity fields to the prefix field specs only, not the suffix ones.
            if (prefix.Length > 0)
            {
                AffixFields(r, _crd.Identity.Where(spec => spec.Kind == r.Kind).Concat(_config.Prefix), v => prefix + v);
            }

            if (suffix.Length > 0)
            {
                AffixFields(r, _config.Suffix, v => v + suffix);
            }
        }
    }

    /// <summary>Adds a prefix or suffix to the string fields of extra field specs (metadata/name is done already).</summary>
    private static void AffixFields(Resource r, IEnumerable<FieldSpec> specs, Func<string, string> affix)
    {
        foreach (var spec in specs)
        {
            if (spec.Path == "metadata/name" || !spec.Matches(r))
            {
                continue;
            }

            FieldSpecs.ForEachParent(r.Obj, spec.Parts, (parent, key) =>
            {
                if (parent[key] is JsonValue v && v.GetValueKind() == JsonValueKind.String)
                {
                    parent[key] = affix(v.GetValue<string>());
                }
            });
        }
    }

    private void Labels(JsonObject doc, Kust kust, List<Resource> ra)
    {
        if (doc["labels"] is JsonArray labels)
        {
            for (var i = 0; i < labels.Count; i++)
            {
                if (labels[i] is not JsonObject entry)
                {
                    throw new RenderException($"{kust.File}: labels[{i}] must be a mapping");
                }

                var pairs = StringMap(entry["pairs"], kust.File, $"labels[{i}].pairs");
                var selectors = entry["includeSelectors"] is JsonValue sv && sv.GetValueKind() == JsonValueKind.True;
                var templates = entry["includeTemplates"] is JsonValue tv && tv.GetValueKind() == JsonValueKind.True;
                var specs = new List<FieldSpec>(FieldSpecs.LabelMetadata);
                specs.AddRange(_config.Labels);
                if (selectors)
                {
                    specs.AddRange(FieldSpecs.LabelTemplates);
                    specs.AddRange(FieldSpecs.LabelSelectors);
                    specs.AddRange(_crd.Labels);
                    specs.AddRange(_config.CommonLabels);
                }
                else if (templates)
                {
                    specs.AddRange(FieldSpecs.LabelTemplates);
                    specs.AddRange(_config.TemplateLabels);
                }

                if (entry["fields"] is JsonArray fields)
                {
                    foreach (var f in fields.OfType<JsonObject>())
                    {
                        specs.Add(new FieldSpec(Resource.Str(f, "kind") is { Length: > 0 } k ? k : null, Resource.Str(f, "path"), f["create"] is JsonValue cv && cv.GetValueKind() == JsonValueKind.True, f.ContainsKey("group") ? Resource.Str(f, "group") : null));
                    }
                }

                SetAll(ra, pairs, specs);
            }
        }

        // kustomize applies each labels entry first and commonLabels last, so commonLabels wins a shared key.
        var common = StringMap(doc["commonLabels"], kust.File, "commonLabels");
        if (common.Count > 0)
        {
            SetAll(ra, common, [.. FieldSpecs.LabelMetadata, .. FieldSpecs.LabelTemplates, .. FieldSpecs.LabelSelectors, .. _crd.Labels, .. _config.CommonLabels]);
        }
    }

    private void Annotations(JsonObject doc, Kust kust, List<Resource> ra)
    {
        var common = StringMap(doc["commonAnnotations"], kust.File, "commonAnnotations");
        if (common.Count > 0)
        {
            SetAll(ra, common, [.. FieldSpecs.Annotations, .. _crd.Annotations, .. _config.CommonAnnotations]);
        }
    }

    private static void SetAll(List<Resource> ra, Dictionary<string, string> pairs, IEnumerable<FieldSpec> specs)
    {
        var list = specs.ToList();
        void Set(JsonObject map)
        {
            foreach (var (k, v) in pairs)
            {
                map[k] = v;
            }
        }

        foreach (var r in ra)
        {
            var kind = r.Kind;
            foreach (var spec in list)
            {
                if (spec.Matches(r))
                {
                    FieldSpecs.ForEachMap(r.Obj, spec.Parts, spec.Create, Set);
                }
            }
        }
    }

    private static readonly FieldSpec[] ReplicaSpecs =
    [
        new("Deployment", "spec/replicas", true),
        new("ReplicationController", "spec/replicas", true),
        new("ReplicaSet", "spec/replicas", true),
        new("StatefulSet", "spec/replicas", true),
    ];

    private static void Replicas(JsonObject doc, Kust kust, List<Resource> ra, List<FieldSpec> configured)
    {
        if (doc["replicas"] is not JsonArray list)
        {
            return;
        }

        var specs = ReplicaSpecs.Concat(configured).ToList();
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is not JsonObject entry)
            {
                throw new RenderException($"{kust.File}: replicas[{i}] must be a mapping with name and count");
            }

            var name = Resource.Str(entry, "name");
            if (entry["count"] is not JsonValue count || count.GetValueKind() != JsonValueKind.Number)
            {
                throw new RenderException($"{kust.File}: replicas[{i}] ({name}): count must be a number");
            }

            var matched = ra.Where(r => (r.HadName(name) || r.Name == name) && specs.Exists(s => s.Matches(r))).ToList();
            if (matched.Count == 0)
            {
                throw new RenderException($"{kust.File}: replicas[{i}]: resource with name {name} does not match a Deployment, StatefulSet, ReplicaSet or ReplicationController");
            }

            foreach (var r in matched)
            {
                foreach (var spec in specs.Where(s => s.Matches(r)))
                {
                    var key = spec.Parts[^1];
                    FieldSpecs.ForEachMap(r.Obj, spec.Parts[..^1], spec.Create, map =>
                    {
                        if (spec.Create || map.ContainsKey(key))
                        {
                            map[key] = count.DeepClone();
                        }
                    });
                }
            }
        }
    }
}
