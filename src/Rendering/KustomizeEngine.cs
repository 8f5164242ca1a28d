using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Fleet.Rendering.Kustomize;
using Fleet.Rendering.Yaml;

namespace Fleet.Rendering;

/// <summary>Renders a directory of an artifact the way <c>kustomize build</c> (v5.5) and Flux's kustomize-controller do.</summary>
public static class KustomizeEngine
{
    /// <summary>Renders <paramref name="path"/> (relative to <paramref name="rootDirectory"/>) into parsed objects.</summary>
    /// <exception cref="RenderException">The input is invalid, unsupported, escapes the root or exceeds a limit.</exception>
    public static RenderResult Render(string rootDirectory, string path, RenderOptions? options = null)
    {
        options ??= new RenderOptions();
        IReadOnlyList<JsonObject> objects = new Builder(rootDirectory, options).Build(path);
        if (options.Substitutions is not null)
        {
            objects = PostBuild.Substitute(objects, options.Substitutions, options.StrictSubstitution);
        }

        var result = new RenderResult(objects);
        if (objects.Count > options.Limits.MaxDocuments)
        {
            throw new RenderException($"{path}: rendered {objects.Count} documents, more than the limit of {options.Limits.MaxDocuments}");
        }

        var size = Encoding.UTF8.GetByteCount(result.ToYaml());
        if (size > options.Limits.MaxRenderedBytes)
        {
            throw new RenderException($"{path}: rendered output is {size} bytes, more than the limit of {options.Limits.MaxRenderedBytes}");
        }

        return result;
    }
}

/// <summary>What to render on top of the kustomization, and how.</summary>
public sealed record RenderOptions
{
    /// <summary>Flux Kustomization spec fields applied on top of the kustomization at the path.</summary>
    public FluxOverlay? Overlay { get; init; }

    /// <summary>postBuild variables; null skips substitution.</summary>
    public IReadOnlyDictionary<string, string>? Substitutions { get; init; }

    /// <summary>Fail on a variable that has no value and no default (Flux's strict substitution).</summary>
    public bool StrictSubstitution { get; init; }

    /// <summary>Safety limits.</summary>
    public RenderLimits Limits { get; init; } = new();
}

/// <summary>Limits that refuse hostile or oversized input.</summary>
public sealed record RenderLimits
{
    /// <summary>Largest rendered output, in bytes of YAML.</summary>
    public long MaxRenderedBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Most rendered documents.</summary>
    public int MaxDocuments { get; init; } = 10_000;

    /// <summary>Largest single input file, in characters.</summary>
    public long MaxInputBytes { get; init; } = 32L * 1024 * 1024;

    /// <summary>Deepest YAML nesting.</summary>
    public int MaxDepth { get; init; } = 100;

    /// <summary>Most YAML nodes in one document after alias expansion.</summary>
    public long MaxNodesPerDocument { get; init; } = 1_000_000;

    /// <summary>Deepest chain of kustomizations including one another.</summary>
    public int MaxKustomizationDepth { get; init; } = 50;
}

/// <summary>The fields of a Flux <c>Kustomization</c> spec that change the build, applied in Flux's order.</summary>
public sealed record FluxOverlay
{
    public string? TargetNamespace { get; init; }

    public string? NamePrefix { get; init; }

    public string? NameSuffix { get; init; }

    public IReadOnlyList<FluxPatch>? Patches { get; init; }

    public IReadOnlyList<FluxImage>? Images { get; init; }

    /// <summary>Component paths, relative to the rendered path.</summary>
    public IReadOnlyList<string>? Components { get; init; }

    public FluxCommonMetadata? CommonMetadata { get; init; }
}

/// <summary>A patch (strategic merge or JSON 6902, as YAML or JSON text) and an optional target.</summary>
public sealed record FluxPatch(string Patch, PatchSelector? Target = null);

/// <summary>Selects resources for a patch, as kustomize's <c>target</c>.</summary>
public sealed record PatchSelector
{
    public string? Group { get; init; }

    public string? Version { get; init; }

    public string? Kind { get; init; }

    public string? Name { get; init; }

    public string? Namespace { get; init; }

    public string? LabelSelector { get; init; }

    public string? AnnotationSelector { get; init; }
}

/// <summary>An image override, as kustomize's <c>images</c> entry.</summary>
public sealed record FluxImage(string Name, string? NewName = null, string? NewTag = null, string? Digest = null);

/// <summary>Labels and annotations set on every rendered object.</summary>
public sealed record FluxCommonMetadata(IReadOnlyDictionary<string, string>? Labels, IReadOnlyDictionary<string, string>? Annotations);

/// <summary>Rendered objects, in output order.</summary>
public sealed record RenderResult(IReadOnlyList<JsonObject> Objects)
{
    private string? _yaml;
    private string? _digest;

    /// <summary>Multi-document YAML, as kustomize prints it.</summary>
    public string ToYaml()
    {
        if (_yaml is null)
        {
            var sb = new StringBuilder();
            for (var i = 0; i < Objects.Count; i++)
            {
                if (i > 0)
                {
                    sb.Append("---\n");
                }

                YamlWriter.WriteDocument(sb, Objects[i]);
            }

            _yaml = sb.ToString();
        }

        return _yaml;
    }

    /// <summary><c>sha256:&lt;hex&gt;</c> of the YAML output, which is canonical for a given set of objects.</summary>
    public string Digest => _digest ??= "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ToYaml())));
}

/// <summary>A render failed; the message names the file and the problem.</summary>
public sealed class RenderException : Exception
{
    public RenderException()
    {
    }

    public RenderException(string message)
        : base(message)
    {
    }

    public RenderException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
