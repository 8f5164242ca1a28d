using System.Text.Json;
using System.Text.Json.Nodes;
using Fleet.Rendering.Transforms;

namespace Fleet.Rendering.Kustomize;

/// <summary>
/// Field specs a kustomization adds to the built-in transformers through <c>configurations</c> files
/// (kustomize's TransformerConfig: <c>namePrefix</c>, <c>nameSuffix</c>, <c>namespace</c>,
/// <c>commonLabels</c>, <c>templateLabels</c>, <c>labels</c>, <c>commonAnnotations</c>, <c>images</c>,
/// <c>replicas</c>, <c>varReference</c> and <c>nameReference</c>). Like kustomize, a kustomization's
/// configuration also applies to the kustomizations that include it (it accumulates upwards), and name
/// references and vars use everything accumulated at the top.
/// </summary>
internal sealed class TransformerConfig
{
    private static readonly HashSet<string> Sections = new(StringComparer.Ordinal)
    {
        "namePrefix", "nameSuffix", "namespace", "commonLabels", "templateLabels", "labels", "commonAnnotations",
        "images", "replicas", "varReference", "nameReference",
    };

    public List<FieldSpec> Prefix { get; } = [];

    public List<FieldSpec> Suffix { get; } = [];

    public List<FieldSpec> Namespace { get; } = [];

    public List<FieldSpec> CommonLabels { get; } = [];

    public List<FieldSpec> TemplateLabels { get; } = [];

    public List<FieldSpec> Labels { get; } = [];

    public List<FieldSpec> CommonAnnotations { get; } = [];

    public List<FieldSpec> Images { get; } = [];

    public List<FieldSpec> Replicas { get; } = [];

    public List<FieldSpec> VarReferences { get; } = [];

    public List<NameReferences.Ref> NameReferences { get; } = [];

    public void Merge(TransformerConfig other)
    {
        AddDistinct(Prefix, other.Prefix);
        AddDistinct(Suffix, other.Suffix);
        AddDistinct(Namespace, other.Namespace);
        AddDistinct(CommonLabels, other.CommonLabels);
        AddDistinct(TemplateLabels, other.TemplateLabels);
        AddDistinct(Labels, other.Labels);
        AddDistinct(CommonAnnotations, other.CommonAnnotations);
        AddDistinct(Images, other.Images);
        AddDistinct(Replicas, other.Replicas);
        AddDistinct(VarReferences, other.VarReferences);
        AddDistinct(NameReferences, other.NameReferences);
    }

    internal static void AddDistinct<T>(List<T> into, List<T> from)
    {
        foreach (var x in from)
        {
            if (!into.Contains(x))
            {
                into.Add(x);
            }
        }
    }

    /// <summary>Adds one parsed <c>configurations</c> file.</summary>
    public void Load(JsonNode? doc, string file)
    {
        if (doc is null)
        {
            return;
        }

        if (doc is not JsonObject o)
        {
            throw new RenderException($"{file}: a transformer configuration must be a YAML mapping");
        }

        foreach (var (key, value) in o)
        {
            if (!Sections.Contains(key))
            {
                throw new RenderException($"{file}: unknown field \"{key}\" in transformer configuration");
            }

            if (key == "nameReference")
            {
                LoadNameReferences(value, file);
                continue;
            }

            var into = key switch
            {
                "namePrefix" => Prefix,
                "nameSuffix" => Suffix,
                "namespace" => Namespace,
                "commonLabels" => CommonLabels,
                "templateLabels" => TemplateLabels,
                "labels" => Labels,
                "commonAnnotations" => CommonAnnotations,
                "images" => Images,
                "replicas" => Replicas,
                _ => VarReferences,
            };
            AddDistinct(into, ReadFieldSpecs(value, file, key));
        }
    }

    private void LoadNameReferences(JsonNode? value, string file)
    {
        if (value is null)
        {
            return;
        }

        if (value is not JsonArray list)
        {
            throw new RenderException($"{file}: nameReference must be a list");
        }

        foreach (var item in list)
        {
            if (item is not JsonObject entry)
            {
                throw new RenderException($"{file}: every nameReference entry must be a mapping with kind and fieldSpecs");
            }

            var target = new NameReferences.Gvk(Resource.Str(entry, "kind"), Resource.Str(entry, "group"), Resource.Str(entry, "version"));
            foreach (var spec in ReadFieldSpecs(entry["fieldSpecs"], file, "nameReference.fieldSpecs"))
            {
                var referrer = new NameReferences.Gvk(spec.Kind ?? string.Empty, spec.Group ?? string.Empty, spec.Version ?? string.Empty);
                var r = new NameReferences.Ref(target, referrer, spec.Path);
                if (!NameReferences.Contains(r))
                {
                    NameReferences.Add(r);
                }
            }
        }
    }

    /// <summary>Reads a list of kustomize field specs (<c>group</c>, <c>version</c>, <c>kind</c>, <c>path</c>, <c>create</c>).</summary>
    internal static List<FieldSpec> ReadFieldSpecs(JsonNode? value, string file, string field)
    {
        if (value is null)
        {
            return [];
        }

        if (value is not JsonArray list)
        {
            throw new RenderException($"{file}: {field} must be a list of field specs");
        }

        var specs = new List<FieldSpec>();
        foreach (var item in list)
        {
            if (item is not JsonObject fs || Resource.Str(fs, "path").Length == 0)
            {
                throw new RenderException($"{file}: every entry of {field} needs a path");
            }

            static string? Opt(JsonObject o, string key) => Resource.Str(o, key) is { Length: > 0 } s ? s : null;
            specs.Add(new FieldSpec(
                Opt(fs, "kind"),
                Resource.Str(fs, "path"),
                fs["create"] is JsonValue c && c.GetValueKind() == JsonValueKind.True,
                Opt(fs, "group"),
                Opt(fs, "version")));
        }

        return specs;
    }
}
