using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Fleet.Rendering.Transforms;

namespace Fleet.Rendering.Kustomize;

internal sealed partial class Builder
{
    private static readonly string[] DefaultOrderFirst =
    [
        "Namespace", "ResourceQuota", "StorageClass", "CustomResourceDefinition", "ServiceAccount", "PodSecurityPolicy",
        "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "ConfigMap", "Secret", "Endpoints", "Service",
        "LimitRange", "PriorityClass", "PersistentVolume", "PersistentVolumeClaim", "Deployment", "StatefulSet",
        "CronJob", "PodDisruptionBudget",
    ];

    private static readonly string[] DefaultOrderLast = ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"];

    [GeneratedRegex(@"\$\(([^)$]+)\)")]
    private static partial Regex VarPattern();

    /// <summary>The steps kustomize runs once, at the top: hashes, name references, vars, metadata, order.</summary>
    private void Finish(List<Resource> ra, JsonObject top, Context ctx)
    {
        foreach (var r in ra.Where(r => r.NeedsHash))
        {
            r.StorePrevious();
            r.SetName(r.Name + "-" + Generators.Hash(r.Obj));
        }

        NameReferences.Fix(ra, _crd.References, _config.NameReferences);
        ResolveVars(ra, ctx);
        foreach (var r in ra)
        {
            // Transformers may have written a non-string annotation; kustomize's annotations are strings.
            NormalizeAnnotations(r.Obj);
        }

        // kustomize's IgnoreLocal: objects marked as local configuration are not part of the output.
        ra.RemoveAll(r => r.Obj["metadata"]?["annotations"]?["config.kubernetes.io/local-config"] is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() == "true");
        BuildMetadata(ra, top, ctx);
        Sort(ra, top, ctx.TopFile);
    }

    private void ResolveVars(List<Resource> ra, Context ctx)
    {
        if (ctx.Vars.Count == 0)
        {
            return;
        }

        var values = new Dictionary<string, JsonValue>(StringComparer.Ordinal);
        foreach (var (v, file) in ctx.Vars)
        {
            var name = Resource.Str(v, "name");
            if (Field(v, "objref") is not JsonObject objref)
            {
                throw new RenderException($"{file}: var '{name}' needs objref");
            }

            string Ref(string key) => Field(objref, key) is JsonValue x ? x.ToString() : string.Empty;
            var kind = Ref("kind");
            var refName = Ref("name");
            var apiVersion = Ref("apiVersion");
            var ns = Ref("namespace");
            var matches = ra.Where(r => r.Kind == kind && r.HadName(refName) &&
                (apiVersion.Length == 0 || r.ApiVersion == apiVersion) &&
                (ns.Length == 0 || r.History.Exists(h => h.Namespace == ns))).ToList();
            if (matches.Count != 1)
            {
                throw new RenderException($"{file}: var '{name}' cannot be mapped to a field in the set of known resources ({kind} {refName}: {matches.Count} matches)");
            }

            var fieldPath = Field(v, "fieldref") is JsonObject fr && Field(fr, "fieldpath") is JsonValue fp ? fp.ToString() : string.Empty;
            if (fieldPath.Length == 0)
            {
                fieldPath = "metadata.name";
            }

            var found = FieldPath.Get(matches[0].Obj, VarFieldPath(fieldPath));
            if (found.Count == 0)
            {
                throw new RenderException($"{file}: var '{name}': field '{fieldPath}' not found in {matches[0].Describe()}");
            }

            values[name] = found[0] is JsonValue value ? value : JsonValue.Create(FieldPath.Text(found[0]));
        }

        var specs = FieldSpecs.VarReferences.Concat(_config.VarReferences).ToList();
        foreach (var r in ra)
        {
            foreach (var spec in specs)
            {
                if (spec.Matches(r))
                {
                    FieldSpecs.ForEachParent(r.Obj, spec.Parts, (parent, key) => parent[key] = ExpandVars(parent[key], values));
                }
            }
        }
    }

    /// <summary>A field of a var, matched case-insensitively as Go's JSON decoding does (<c>fieldPath</c> is <c>fieldpath</c>).</summary>
    private static JsonNode? Field(JsonObject o, string name) =>
        o[name] ?? o.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    /// <summary>A var's field path: <c>a.b[0].c</c> and <c>a[name=x].b</c> as well as the dotted form.</summary>
    private static List<string> VarFieldPath(string path)
    {
        var parts = new List<string>();
        foreach (var part in FieldPath.Parse(path))
        {
            var open = part.IndexOf('[', StringComparison.Ordinal);
            if (open > 0 && part.EndsWith(']'))
            {
                parts.Add(part[..open]);
                var inner = part[(open + 1)..^1];
                parts.Add(inner.Contains('=', StringComparison.Ordinal) ? "[" + inner + "]" : inner);
            }
            else
            {
                parts.Add(part);
            }
        }

        return parts;
    }

    /// <summary>
    /// Expands $(VAR) in a string, each string of a list, or each string value of a map, as kustomize's
    /// refvar filter does. A string that is exactly one var takes the var's value with its type.
    /// </summary>
    private static JsonNode? ExpandVars(JsonNode? node, Dictionary<string, JsonValue> values)
    {
        switch (node)
        {
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                var text = v.GetValue<string>();
                var whole = VarPattern().Match(text);
                if (whole.Success && whole.Length == text.Length && values.TryGetValue(whole.Groups[1].Value, out var typed))
                {
                    return typed.DeepClone();
                }

                return ReplaceVars(text, values);
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    if (a[i] is JsonValue)
                    {
                        a[i] = ExpandVars(a[i], values);
                    }
                }

                return a;
            case JsonObject o:
                foreach (var (k, item) in o.ToList())
                {
                    if (item is JsonValue)
                    {
                        o[k] = ExpandVars(item, values);
                    }
                }

                return o;
            default:
                return node;
        }
    }

    private static string ReplaceVars(string s, Dictionary<string, JsonValue> values) =>
        VarPattern().Replace(s, m => values.TryGetValue(m.Groups[1].Value, out var v) ? FieldPath.Text(v) : m.Value);

    private void BuildMetadata(List<Resource> ra, JsonObject top, Context ctx)
    {
        var options = Strings(top, "buildMetadata", ctx.TopFile);
        foreach (var option in options)
        {
            switch (option)
            {
                case "managedByLabel":
                    foreach (var r in ra)
                    {
                        if (r.Metadata["labels"] is not JsonObject labels)
                        {
                            labels = [];
                            r.Metadata["labels"] = labels;
                        }

                        // The kustomize built into kubectl (the reference) reports its version as "(devel)".
                        labels["app.kubernetes.io/managed-by"] = "kustomize-(devel)";
                    }

                    break;
                case "originAnnotations":
                    var topDir = Path.GetDirectoryName(ctx.TopFile.Replace(" (generated kustomization)", "/x", StringComparison.Ordinal)) ?? string.Empty;
                    foreach (var r in ra)
                    {
                        if (r.Metadata["annotations"] is not JsonObject annotations)
                        {
                            annotations = [];
                            r.Metadata["annotations"] = annotations;
                        }

                        annotations["config.kubernetes.io/origin"] = r.Origin.Contains(": ", StringComparison.Ordinal)
                            ? $"configuredIn: {Path.GetRelativePath(topDir.Length == 0 ? "." : topDir, r.Origin[..r.Origin.IndexOf(':', StringComparison.Ordinal)]).Replace('\\', '/')}\nconfiguredBy:\n  apiVersion: builtin\n  kind: {r.Kind}Generator\n"
                            : $"path: {Path.GetRelativePath(topDir.Length == 0 ? "." : topDir, r.Origin).Replace('\\', '/')}\n";
                    }

                    break;
                case "transformerAnnotations":
                    var from = Path.GetDirectoryName(ctx.TopFile.Replace(" (generated kustomization)", "/x", StringComparison.Ordinal)) ?? string.Empty;
                    foreach (var r in ra.Where(r => r.Transformations.Count > 0))
                    {
                        if (r.Metadata["annotations"] is not JsonObject annotations)
                        {
                            annotations = [];
                            r.Metadata["annotations"] = annotations;
                        }

                        var sb = new System.Text.StringBuilder();
                        foreach (var (file, kind, name) in r.Transformations)
                        {
                            sb.Append("- configuredIn: ").Append(Path.GetRelativePath(from.Length == 0 ? "." : from, file).Replace('\\', '/'))
                                .Append("\n  configuredBy:\n    apiVersion: builtin\n    kind: ").Append(kind).Append('\n');
                            if (name is not null)
                            {
                                sb.Append("    name: ").Append(Yaml.YamlWriter.Scalar(name)).Append('\n');
                            }
                        }

                        annotations["alpha.config.kubernetes.io/transformations"] = sb.ToString();
                    }

                    break;
                default:
                    throw new RenderException($"{ctx.TopFile}: buildMetadata option '{option}' is not one of originAnnotations, transformerAnnotations and managedByLabel");
            }
        }
    }

    private static void Sort(List<Resource> ra, JsonObject top, string file)
    {
        var first = DefaultOrderFirst;
        var last = DefaultOrderLast;
        if (top["sortOptions"] is JsonObject sortOptions)
        {
            var order = Resource.Str(sortOptions, "order");
            if (order == "fifo")
            {
                if (sortOptions.ContainsKey("legacySortOptions"))
                {
                    throw new RenderException($"{file}: the field 'sortOptions.legacySortOptions' is set but the selected sort order is 'fifo', not 'legacy'");
                }

                return;
            }

            if (order is not ("legacy" or ""))
            {
                throw new RenderException($"{file}: sortOptions.order '{order}' is not 'legacy' or 'fifo'");
            }

            if (sortOptions["legacySortOptions"] is JsonObject legacy)
            {
                first = [.. Strings(legacy, "orderFirst", file)];
                last = [.. Strings(legacy, "orderLast", file)];
            }
        }

        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < first.Length; i++)
        {
            index[first[i]] = -first.Length + i;
        }

        for (var i = 0; i < last.Length; i++)
        {
            index[last[i]] = 1 + i;
        }

        static string Gvk(Resource r) =>
            $"{(r.Group.Length == 0 ? "~G" : r.Group)}_{(r.Version.Length == 0 ? "~V" : r.Version)}_{(r.Kind.Length == 0 ? "~K" : r.Kind)}";

        // kustomize orders two Namespace kinds in reverse when one of them is in the core group: the core one first.
        var sorted = ra.Select((r, i) => (r, i)).OrderBy(x => index.GetValueOrDefault(x.r.Kind, 0))
            .ThenBy(x => x.r.Kind == "Namespace" && x.r.Group.Length == 0 ? 0 : 1)
            .ThenBy(x => Gvk(x.r), StringComparer.Ordinal)
            .ThenBy(x => (x.r.Namespace.Length == 0 ? "~X" : x.r.Namespace) + "|" + x.r.Name, StringComparer.Ordinal)
            .ThenBy(x => x.i)
            .Select(x => x.r).ToList();
        ra.Clear();
        ra.AddRange(sorted);
    }
}
