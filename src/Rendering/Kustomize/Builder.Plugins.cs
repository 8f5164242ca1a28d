using System.Text.Json;
using System.Text.Json.Nodes;
using Fleet.Rendering.Transforms;
using Fleet.Rendering.Yaml;

namespace Fleet.Rendering.Kustomize;

/// <summary>
/// <c>generators:</c> and <c>transformers:</c> entries that configure kustomize's built-in plugins
/// (<c>apiVersion: builtin</c>). Each configuration is turned into the kustomization field that drives
/// the same built-in, so both paths share one implementation. Exec and container KRM functions (any
/// other apiVersion, or a <c>config.kubernetes.io/function</c> annotation) are refused: a render never
/// runs programs from the repository.
/// </summary>
internal sealed partial class Builder
{
    private static readonly HashSet<string> BuiltinGenerators = new(StringComparer.Ordinal) { "ConfigMapGenerator", "SecretGenerator" };

    private static readonly HashSet<string> BuiltinTransformers = new(StringComparer.Ordinal)
    {
        "AnnotationsTransformer", "HashTransformer", "ImageTagTransformer", "LabelTransformer", "NamespaceTransformer",
        "PatchJson6902Transformer", "PatchStrategicMergeTransformer", "PatchTransformer", "PrefixSuffixTransformer",
        "PrefixTransformer", "SuffixTransformer", "ReplacementTransformer", "ReplicaCountTransformer",
    };

    /// <summary>Runs the kustomization's <c>generators:</c> (after its configMapGenerator and secretGenerator).</summary>
    private void RunGeneratorPlugins(Kust kust, string dir, List<Resource> ra)
    {
        foreach (var (config, where, _) in PluginConfigs(kust, dir, "generators", BuiltinGenerators))
        {
            var spec = (JsonObject)config.DeepClone();
            var meta = spec["metadata"] as JsonObject;
            spec.Remove("apiVersion");
            spec.Remove("kind");
            spec.Remove("metadata");
            spec["name"] = meta is null ? string.Empty : Resource.Str(meta, "name");
            if (meta is not null && Resource.Str(meta, "namespace") is { Length: > 0 } ns)
            {
                spec["namespace"] = ns;
            }

            var field = Resource.Str(config, "kind") == "ConfigMapGenerator" ? "configMapGenerator" : "secretGenerator";
            Generators.Run(new JsonObject { [field] = new JsonArray(spec) }, where, dir, ra, _files, _options.Limits);
        }
    }

    /// <summary>Runs the kustomization's <c>transformers:</c> in order (after its built-in fields).</summary>
    private void RunTransformerPlugins(Kust kust, string dir, List<Resource> ra)
    {
        foreach (var (config, where, origin) in PluginConfigs(kust, dir, "transformers", BuiltinTransformers))
        {
            var at = kust with { File = where };
            var specs = config.ContainsKey("fieldSpecs") ? TransformerConfig.ReadFieldSpecs(config["fieldSpecs"], where, "fieldSpecs") : null;
            switch (Resource.Str(config, "kind"))
            {
                case "PatchTransformer":
                    var entry = new JsonObject();
                    foreach (var key in new[] { "path", "patch", "target", "options" })
                    {
                        if (config[key] is { } value)
                        {
                            entry[key] = value.DeepClone();
                        }
                    }

                    Patches(new JsonObject { ["patches"] = new JsonArray(entry) }, at, dir, ra);
                    break;
                case "PatchStrategicMergeTransformer":
                    var list = new JsonArray();
                    foreach (var path in Strings(config, "paths", where))
                    {
                        list.Add((JsonNode)path);
                    }

                    if (config["patches"] is JsonValue inline)
                    {
                        list.Add((JsonNode)YamlReader.ScalarText(inline));
                    }

                    PatchesStrategicMerge(new JsonObject { ["patchesStrategicMerge"] = list }, at, dir, ra);
                    break;
                case "PatchJson6902Transformer":
                    var json6902 = new JsonObject { ["target"] = config["target"]?.DeepClone() };
                    if (config["path"] is { } jsonPath)
                    {
                        json6902["path"] = jsonPath.DeepClone();
                    }

                    if (config["jsonOp"] is { } op)
                    {
                        json6902["patch"] = op.DeepClone();
                    }

                    PatchesJson6902(new JsonObject { ["patchesJson6902"] = new JsonArray(json6902) }, at, dir, ra);
                    break;
                case "NamespaceTransformer":
                    var ns = config["metadata"] is JsonObject nm ? Resource.Str(nm, "namespace") : string.Empty;
                    var nsConfig = new TransformerConfig();
                    TransformerConfig.AddDistinct(nsConfig.Namespace, specs ?? []);
                    Namespace(
                        new JsonObject { ["namespace"] = ns },
                        at,
                        ra,
                        nsConfig,
                        config["unsetOnly"] is JsonValue unset && unset.GetValueKind() == JsonValueKind.True,
                        Resource.Str(config, "setRoleBindingSubjects"));
                    break;
                case "PrefixSuffixTransformer" or "PrefixTransformer" or "SuffixTransformer":
                    PluginPrefixSuffix(config, specs, at, ra);
                    break;
                case "LabelTransformer":
                    SetAll(ra, StringMap(config["labels"], where, "labels"), specs ?? [.. FieldSpecs.LabelMetadata]);
                    break;
                case "AnnotationsTransformer":
                    SetAll(ra, StringMap(config["annotations"], where, "annotations"), specs ?? [.. FieldSpecs.Annotations]);
                    break;
                case "ImageTagTransformer":
                    Images.Apply(new JsonArray(config["imageTag"]?.DeepClone()), where, ra, specs);
                    break;
                case "ReplicaCountTransformer":
                    Replicas(new JsonObject { ["replicas"] = new JsonArray(config["replica"]?.DeepClone()) }, at, ra, specs ?? []);
                    break;
                case "ReplacementTransformer":
                    Replacements.Apply(config["replacements"]?.DeepClone() ?? new JsonArray(), where, ra, p => LoadReplacementFile(dir, p, where));
                    break;
                case "HashTransformer":
                    foreach (var r in ra.Where(r => r.NeedsHash))
                    {
                        r.StorePrevious();
                        r.SetName(r.Name + "-" + Generators.Hash(r.Obj));
                        r.NeedsHash = false;
                    }

                    break;
            }

            // Recorded as kustomize records a plugin: the file it came from and its name.
            Mark(ra, kust with { File = origin }, Resource.Str(config, "kind"), 1, config["metadata"] is JsonObject pm ? Resource.Str(pm, "name") : null);
        }
    }

    /// <summary>A prefix/suffix plugin: its field specs decide whether the name itself changes.</summary>
    private void PluginPrefixSuffix(JsonObject config, List<FieldSpec>? specs, Kust at, List<Resource> ra)
    {
        var prefix = Resource.Str(config, "prefix");
        var suffix = Resource.Str(config, "suffix");
        if (specs is null || specs.Exists(s => s.Path == "metadata/name"))
        {
            var outer = _config;
            _config = new TransformerConfig();
            TransformerConfig.AddDistinct(_config.Prefix, specs ?? []);
            TransformerConfig.AddDistinct(_config.Suffix, specs ?? []);
            try
            {
                PrefixSuffix(new JsonObject { ["namePrefix"] = prefix, ["nameSuffix"] = suffix }, at, ra);
            }
            finally
            {
                _config = outer;
            }

            return;
        }

        foreach (var r in ra)
        {
            AffixFields(r, specs, v => prefix + v + suffix);
        }
    }

    /// <summary>
    /// The configurations a <c>generators</c> or <c>transformers</c> list names: a file, inline YAML, or a
    /// directory whose kustomization renders to configurations.
    /// </summary>
    private List<(JsonObject Config, string Where, string Origin)> PluginConfigs(Kust kust, string dir, string field, HashSet<string> builtins)
    {
        var result = new List<(JsonObject, string, string)>();
        // As kustomize: inline configurations first, in order, then those loaded from paths, in order.
        static bool IsInline(string e) => e.Contains('\n', StringComparison.Ordinal) || e.TrimStart().StartsWith('{') || e.Contains(": ", StringComparison.Ordinal);
        var all = Strings(kust.Doc, field, kust.File);
        var entries = all.Select((e, i) => (Entry: e, Index: i)).OrderBy(x => IsInline(x.Entry) ? 0 : 1).ToList();
        foreach (var (entry, i) in entries)
        {
            var where = $"{kust.File}: {field}[{i}]";
            var origin = kust.File;
            List<JsonNode?> docs;
            if (IsInline(entry))
            {
                docs = YamlReader.ReadAll(entry, where, _options.Limits);
            }
            else
            {
                CheckRemote(entry, kust.File);
                var full = _files.Locate(dir, entry, where);
                if (Directory.Exists(full))
                {
                    var sub = new Builder(_files.Root, _options with { Overlay = null, Substitutions = null });
                    docs = [.. sub.Build(_files.Rel(full))];
                }
                else
                {
                    full = _files.LocateFile(dir, entry, where);
                    where = origin = _files.Rel(full);
                    docs = YamlReader.ReadAll(_files.Read(full), where, _options.Limits);
                }
            }

            foreach (var doc in docs)
            {
                if (doc is null)
                {
                    continue;
                }

                if (doc is not JsonObject config)
                {
                    throw new RenderException($"{where}: a plugin configuration must be a YAML mapping");
                }

                var kind = Resource.Str(config, "kind");
                var isFunction = config["metadata"]?["annotations"] is JsonObject a &&
                    (a.ContainsKey("config.kubernetes.io/function") || a.ContainsKey("config.k8s.io/function"));
                if (Resource.Str(config, "apiVersion") != "builtin" || isFunction || !builtins.Contains(kind))
                {
                    throw new RenderException(
                        $"{where}: {field} entry '{kind}' ({Resource.Str(config, "apiVersion")}) is not a built-in kustomize plugin; " +
                        "exec and container KRM functions and Go plugins are not supported (a render never runs programs from the repository)");
                }

                result.Add((config, where, origin));
            }
        }

        return result;
    }
}
