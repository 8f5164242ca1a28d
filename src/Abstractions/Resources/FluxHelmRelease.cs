using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fleet.Abstractions.Resources;

/// <summary>
/// Flux's <c>helm.toolkit.fluxcd.io/v2</c> HelmRelease, accepted unchanged: it becomes a <c>fleet.dev/v1</c>
/// Application whose clusters are given on the side (a selector), as a Flux Kustomization does. A pure function, so
/// that every entry point (the apply endpoint, the CLI) converts alike.
/// </summary>
public static class FluxHelmRelease
{
    public const string ApiVersion = "helm.toolkit.fluxcd.io/v2";
    public const string Kind = "HelmRelease";

    /// <summary>
    /// The Application for <paramref name="helmRelease"/> (a whole object: apiVersion, kind, metadata, spec), deployed
    /// to the clusters <paramref name="clusterSelector"/> selects; or the problems, each naming its field in the
    /// HelmRelease. The Application's spec is checked as any Application's is.
    /// </summary>
    /// <remarks>
    /// Mapped: <c>chart.spec.{chart, version, sourceRef}</c> (HelmRepository or GitRepository of the same namespace),
    /// <c>releaseName</c> (Flux's default: <c>[targetNamespace-]name</c>), <c>targetNamespace</c> (the release
    /// namespace; the HelmRelease's namespace when absent), <c>values</c>, <c>valuesFrom</c>, <c>interval</c>,
    /// <c>timeout</c>, <c>suspend</c>, <c>dependsOn</c>, <c>install.crds</c> (<c>Skip</c>),
    /// <c>install.createNamespace</c>, <c>install.disableWait</c>, and <c>postRenderers[].kustomize.{patches, images}</c>.
    /// Refused: <c>chartRef</c>, <c>chart.spec.valuesFiles</c>, a Bucket source, references to other namespaces.
    /// Ignored (Helm release bookkeeping Fleet does not keep): <c>maxHistory</c>, <c>storageNamespace</c>,
    /// <c>serviceAccountName</c>, <c>kubeConfig</c> (clusters come from the selector), <c>test</c>, <c>rollback</c>,
    /// <c>uninstall</c>, <c>upgrade</c> (but <c>upgrade.crds: Skip</c> as install's), <c>driftDetection</c> (Fleet always
    /// corrects drift).
    /// </remarks>
    public static (JsonObject? Application, List<FieldError> Errors) ToApplication(JsonObject helmRelease, LabelSelectorSpec clusterSelector)
    {
        ArgumentNullException.ThrowIfNull(helmRelease);
        ArgumentNullException.ThrowIfNull(clusterSelector);
        var errors = new List<FieldError>();
        if (Str(helmRelease["apiVersion"]) != ApiVersion)
        {
            errors.Add(new FieldError("apiVersion", $"\"{Str(helmRelease["apiVersion"])}\" is not {ApiVersion}"));
        }
        if (Str(helmRelease["kind"]) != Kind)
        {
            errors.Add(new FieldError("kind", $"\"{Str(helmRelease["kind"])}\" is not {Kind}"));
        }
        var meta = helmRelease["metadata"] as JsonObject;
        var name = Str(meta?["name"]);
        var ns = Str(meta?["namespace"]);
        if (string.IsNullOrEmpty(name))
        {
            errors.Add(new FieldError("metadata.name", "required"));
        }
        if (helmRelease["spec"] is not JsonObject spec)
        {
            errors.Add(new FieldError("spec", "required: an object"));
            return (null, errors);
        }

        var app = new JsonObject();
        var helm = new JsonObject();
        if (spec["chartRef"] is not null)
        {
            errors.Add(new FieldError("spec.chartRef", "not supported: name the chart in spec.chart.spec (with a HelmRepository or GitRepository sourceRef)"));
        }
        var chartSpec = spec["chart"]?["spec"] as JsonObject;
        if (chartSpec is null)
        {
            errors.Add(new FieldError("spec.chart.spec", "required"));
        }
        else
        {
            var source = chartSpec["sourceRef"] as JsonObject;
            var kind = Str(source?["kind"]);
            if (kind is not ("HelmRepository" or "GitRepository"))
            {
                errors.Add(new FieldError("spec.chart.spec.sourceRef.kind", $"\"{kind}\" is not supported: HelmRepository or GitRepository"));
            }
            if (Str(source?["namespace"]) is { Length: > 0 } sourceNs && sourceNs != ns)
            {
                errors.Add(new FieldError("spec.chart.spec.sourceRef.namespace", $"\"{sourceNs}\": a source of another namespace cannot be used"));
            }
            app["sourceRef"] = new JsonObject { ["kind"] = kind, ["name"] = Str(source?["name"]) };
            var chart = Str(chartSpec["chart"]);
            if (kind == "GitRepository")
            {
                // A chart in Git is a path in the source, as Flux's HelmChart reads it.
                app["path"] = chart;
            }
            else
            {
                helm["chart"] = chart;
                if (Str(chartSpec["version"]) is { Length: > 0 } version && version != "*")
                {
                    helm["version"] = version;
                }
            }
            if (chartSpec["valuesFiles"] is JsonArray { Count: > 0 })
            {
                errors.Add(new FieldError("spec.chart.spec.valuesFiles", "not supported: give the values in spec.values or spec.valuesFrom"));
            }
        }

        var targetNamespace = Str(spec["targetNamespace"]);
        app["targetNamespace"] = targetNamespace ?? ns;
        helm["releaseName"] = Str(spec["releaseName"]) ?? (targetNamespace is null ? name : $"{targetNamespace}-{name}");
        if (spec["values"] is JsonObject values)
        {
            helm["values"] = values.DeepClone();
        }
        if (spec["valuesFrom"] is JsonArray valuesFrom)
        {
            helm["valuesFrom"] = valuesFrom.DeepClone();
        }
        if (Str(spec["install"]?["crds"]) == "Skip" || Str(spec["upgrade"]?["crds"]) == "Skip")
        {
            helm["skipCrds"] = true;
        }
        if (spec["install"]?["createNamespace"] is JsonValue create && create.GetValueKind() == JsonValueKind.True)
        {
            helm["createNamespace"] = true;
        }
        app["helm"] = helm;

        app["interval"] = Str(spec["interval"]) ?? "10m";
        if (Str(spec["timeout"]) is { } timeout)
        {
            app["timeout"] = timeout;
        }
        if (spec["suspend"] is JsonValue suspend && suspend.GetValueKind() == JsonValueKind.True)
        {
            app["suspend"] = true;
        }
        // A release is uninstalled with everything it made, and Helm waits for its objects unless told not to.
        app["prune"] = true;
        app["wait"] = !(spec["install"]?["disableWait"] is JsonValue noWait && noWait.GetValueKind() == JsonValueKind.True);

        var dependsOn = new JsonArray();
        foreach (var (d, i) in (spec["dependsOn"] as JsonArray ?? []).Select((d, i) => (d, i)))
        {
            if (Str(d?["namespace"]) is { Length: > 0 } dependencyNs && dependencyNs != ns)
            {
                errors.Add(new FieldError($"spec.dependsOn[{i}].namespace", $"\"{dependencyNs}\": a dependency in another namespace cannot be used"));
            }
            dependsOn.Add(new JsonObject { ["name"] = Str(d?["name"]) });
        }
        if (dependsOn.Count > 0)
        {
            app["dependsOn"] = dependsOn;
        }

        var patches = new JsonArray();
        var images = new JsonArray();
        foreach (var (renderer, i) in (spec["postRenderers"] as JsonArray ?? []).Select((r, i) => (r, i)))
        {
            if (renderer?["kustomize"] is not JsonObject kustomize)
            {
                errors.Add(new FieldError($"spec.postRenderers[{i}]", "only kustomize post-renderers are supported"));
                continue;
            }
            foreach (var key in kustomize.Select(p => p.Key).Where(k => k is not ("patches" or "images")))
            {
                errors.Add(new FieldError($"spec.postRenderers[{i}].kustomize.{key}", "not supported: use patches (and images)"));
            }
            foreach (var p in kustomize["patches"] as JsonArray ?? [])
            {
                patches.Add(p?.DeepClone());
            }
            foreach (var image in kustomize["images"] as JsonArray ?? [])
            {
                images.Add(image?.DeepClone());
            }
        }
        if (patches.Count > 0)
        {
            app["patches"] = patches;
        }
        if (images.Count > 0)
        {
            app["images"] = images;
        }
        app["clusterSelector"] = JsonSerializer.SerializeToNode(clusterSelector, FleetJson.Options);

        var (_, specErrors) = ResourceKinds.Application.ReadSpec(app, strict: true);
        errors.AddRange(specErrors.Select(e => new FieldError("spec" + e.Field["spec".Length..] + " (as an Application)", e.Message)));
        if (errors.Count > 0)
        {
            return (null, errors);
        }

        var metadata = new JsonObject { ["name"] = name };
        if (ns is not null)
        {
            metadata["namespace"] = ns;
        }
        foreach (var key in new[] { "labels", "annotations" })
        {
            if (meta?[key] is JsonObject map)
            {
                metadata[key] = map.DeepClone();
            }
        }
        return (new JsonObject
        {
            ["apiVersion"] = FleetApi.ApiVersion,
            ["kind"] = ResourceKinds.Application.Kind,
            ["metadata"] = metadata,
            ["spec"] = app,
        }, errors);
    }

    private static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
