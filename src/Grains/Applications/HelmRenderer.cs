using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fleet.Abstractions.Resources;
using Fleet.Helm;
using Fleet.Rendering;
using Fleet.Store;
using Fleet.Store.Secrets;

namespace Fleet.Grains.Applications;

/// <summary>What one Helm render of an application takes: values, release and cluster version, and a key over all of them.</summary>
internal sealed record HelmRenderInput(
    string ReleaseName,
    string Namespace,
    string KubeVersion,
    Dictionary<string, object?> Values,
    string Key);

/// <summary>
/// Renders an application's chart with the in-process Helm engine, as Flux's helm-controller does for a HelmRelease:
/// values from <c>valuesFrom</c> Secrets then <c>values</c>, the matching customization's on top; the target
/// cluster's Kubernetes version as <c>.Capabilities.KubeVersion</c>; then the post-renderer: the release namespace
/// on namespaced objects that name none (as Helm's client sets it), and the application's <c>patches</c>,
/// <c>images</c> and <c>commonMetadata</c> through the kustomize engine. Hooks stay in the output with their
/// <c>helm.sh/hook</c> annotations; the placement runs them around the apply.
/// </summary>
internal sealed class HelmRenderer(ArtifactCache artifacts, HelmChartSource charts, SecretReader secrets)
{
    /// <summary>The Kubernetes version charts see where the cluster's is not known yet (Helm's own default for `helm template` is older).</summary>
    public const string DefaultKubeVersion = "v1.32.0";

    /// <summary>Resolves the values (reading Secrets) and the cluster's version; the key changes whenever the render would.</summary>
    /// <exception cref="SubstitutionSourceException">A <c>valuesFrom</c> Secret or key is missing and not optional.</exception>
    /// <exception cref="RenderException">A values document is not valid YAML.</exception>
    public async Task<HelmRenderInput> PrepareAsync(string ns, string application, ApplicationSpec spec, TargetCustomization? customization, StoredResource cluster, CancellationToken ct)
    {
        var helm = spec.Helm!;
        var values = new Dictionary<string, object?>(StringComparer.Ordinal);
        try
        {
            values = await MergeAsync(ns, values, helm.ValuesFrom, helm.Values, "spec.helm", ct);
            if (customization?.Helm is { } custom)
            {
                values = await MergeAsync(ns, values, custom.ValuesFrom, custom.Values, $"targetCustomizations[{customization.Name}].helm", ct);
            }
        }
        catch (HelmException ex)
        {
            throw new RenderException(ex.Message);
        }

        var kube = cluster.StatusJson is { } status && JsonSerializer.Deserialize<ClusterStatus>(status, FleetJson.Options)?.KubernetesVersion is { Length: > 0 } v ? v : DefaultKubeVersion;
        var release = helm.ReleaseName ?? application;
        var releaseNs = spec.TargetNamespace ?? "default";
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{release}\n{releaseNs}\n{kube}\n{HelmValues.ToYaml(values)}")))[..16];
        return new HelmRenderInput(release, releaseNs, kube, values, $"|helm:{key}");
    }

    private async Task<Dictionary<string, object?>> MergeAsync(string ns, Dictionary<string, object?> values, List<HelmValuesReference>? from, JsonObject? inline, string where, CancellationToken ct)
    {
        foreach (var reference in from ?? [])
        {
            var key = reference.ValuesKey ?? "values.yaml";
            IReadOnlyDictionary<string, string>? data = reference.Kind == ResourceKinds.Secret.Kind ? await secrets.GetAsync(ns, reference.Name, ct) : null;
            if (data is null || !data.TryGetValue(key, out var text))
            {
                if (reference.Optional)
                {
                    continue;
                }

                throw new SubstitutionSourceException(reference.Kind != ResourceKinds.Secret.Kind
                    ? $"{where}.valuesFrom: kind {reference.Kind} is not supported (Fleet keeps values in Secrets)"
                    : data is null ? $"{where}.valuesFrom: Secret {ns}/{reference.Name} does not exist" : $"{where}.valuesFrom: Secret {ns}/{reference.Name} has no key {key}");
            }

            if (reference.TargetPath is { Length: > 0 } path)
            {
                // As Flux: the key's value is one value, set at the path with --set's rules (commas in it escaped).
                HelmValues.ApplySet(values, path + "=" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace(",", "\\,", StringComparison.Ordinal));
            }
            else
            {
                values = HelmValues.Merge(values, HelmValues.Parse(text, $"Secret {ns}/{reference.Name} key {key}"));
            }
        }

        return inline is null ? values : HelmValues.Merge(values, HelmValues.FromJson(inline));
    }

    /// <summary>The rendered objects: the chart's CRDs, its manifests and its hooks, post-rendered.</summary>
    /// <exception cref="RenderException">The chart cannot be loaded or rendered, or a patch fails.</exception>
    public async Task<IReadOnlyList<JsonObject>> RenderAsync(HelmRenderInput input, ApplicationSpec spec, TargetCustomization? customization, string artifactDigest, CancellationToken ct)
    {
        var helm = spec.Helm!;
        string chart;
        try
        {
            if (spec.SourceRef.Kind == ResourceKinds.HelmRepository.Kind)
            {
                chart = await charts.ArchiveAsync(artifactDigest, ct);
            }
            else
            {
                var root = await artifacts.GetDirectoryAsync(artifactDigest, ct);
                chart = Path.GetFullPath(Path.Combine(root, (helm.Chart ?? spec.Path ?? ".").TrimStart('/')));
                if (!chart.StartsWith(Path.GetFullPath(root), StringComparison.Ordinal))
                {
                    throw new RenderException($"chart path {helm.Chart ?? spec.Path} leaves the source");
                }
            }

            var result = HelmEngine.Render(chart, input.Values, new HelmRenderOptions
            {
                ReleaseName = input.ReleaseName,
                Namespace = input.Namespace,
                KubeVersion = input.KubeVersion,
                IncludeCrds = !helm.SkipCrds,
                SkipTests = true,
                Cancellation = ct,
            });
            var objects = new List<JsonObject>();
            if (helm.CreateNamespace)
            {
                objects.Add(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = input.Namespace } });
            }

            objects.AddRange(result.Crds);
            objects.AddRange(result.Objects);
            objects.AddRange(result.Hooks.Select(h => h.Object));
            return PostRender(objects, input.Namespace, spec, customization);
        }
        catch (HelmException ex)
        {
            throw new RenderException($"chart {helm.Chart ?? spec.Path}: {ex.Message}");
        }
    }

    /// <summary>
    /// The release namespace on namespaced objects that name none, then the application's patches, images and common
    /// metadata, by the kustomize engine over the rendered objects (a NamespaceTransformer with <c>unsetOnly</c>, so a
    /// namespace a chart names stays, as with Helm).
    /// </summary>
    internal static IReadOnlyList<JsonObject> PostRender(IReadOnlyList<JsonObject> objects, string releaseNamespace, ApplicationSpec spec, TargetCustomization? customization)
    {
        var dir = Path.Combine(Path.GetTempPath(), "fleet-helm-post-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "rendered.yaml"), new RenderResult(objects).ToYaml());
            File.WriteAllText(Path.Combine(dir, "namespace.yaml"),
                $"apiVersion: builtin\nkind: NamespaceTransformer\nmetadata:\n  name: release-namespace\n  namespace: {releaseNamespace}\nunsetOnly: true\nsetRoleBindingSubjects: none\n");
            File.WriteAllText(Path.Combine(dir, "kustomization.yaml"), "resources:\n- rendered.yaml\ntransformers:\n- namespace.yaml\n");
            return KustomizeEngine.Render(dir, ".", new RenderOptions
            {
                Overlay = new FluxOverlay
                {
                    NamePrefix = spec.NamePrefix,
                    NameSuffix = spec.NameSuffix,
                    Patches = (spec.Patches ?? []).Concat(customization?.Patches ?? []).Select(ApplicationGrain.ToPatch).ToList(),
                    Images = spec.Images?.Select(ApplicationGrain.ToImage).ToList(),
                    CommonMetadata = spec.CommonMetadata is { } m ? new FluxCommonMetadata(m.Labels, m.Annotations) : null,
                },
            }).Objects;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
