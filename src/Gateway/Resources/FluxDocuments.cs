using System.Text.Json;
using System.Text.Json.Nodes;
using Fleet.Abstractions;
using Fleet.Abstractions.Resources;

namespace Fleet.Gateway.Resources;

/// <summary>A document of an apply resolved to a Fleet kind: the body to validate, and whether unknown fields are ignored (Flux's documents).</summary>
internal sealed record ResolvedDocument(ResourceKind Kind, JsonObject Body, bool Lenient);

/// <summary>
/// Which documents an apply takes and how: Fleet's own kinds, the Flux kinds Fleet serves under Flux's apiVersions
/// unchanged (<c>GitRepository</c>, <c>Receiver</c>: <see cref="ResourceKind.ForeignApiVersions"/>), and Flux kinds
/// that become a Fleet kind (<c>Kustomization</c> becomes an <c>Application</c>). The conversions are one table: a new
/// Flux kind is one more entry.
/// </summary>
internal static class FluxDocuments
{
    /// <summary>
    /// The clusters a Flux Kustomization goes to, as a label selector (<c>env=prod,region in (eu)</c>): Flux applies to
    /// the cluster it runs in, Fleet to every cluster the selector picks. Becomes the Application's
    /// <c>spec.clusterSelector</c>; a <c>spec.clusterSelector</c> in the document is taken as well.
    /// </summary>
    public const string ClusterSelectorAnnotation = "fleet.dev/cluster-selector";

    private static readonly Dictionary<(string ApiVersion, string Kind), (ResourceKind Kind, Func<JsonObject, List<FieldError>, JsonObject> Convert)> Conversions = new()
    {
        [("kustomize.toolkit.fluxcd.io/v1", "Kustomization")] = (ResourceKinds.Application, KustomizationToApplication),
        [(FluxHelmRelease.ApiVersion, FluxHelmRelease.Kind)] = (ResourceKinds.Application, HelmReleaseToApplication),
    };

    /// <summary>The names apply accepts, for error messages.</summary>
    public static IEnumerable<string> Accepted =>
        ResourceKinds.All.Where(k => !k.ReadOnly).Select(k => $"{FleetApi.ApiVersion} {k.Kind}")
            .Concat(ResourceKinds.All.SelectMany(k => k.ForeignApiVersions.Where(v => v.Contains('.', StringComparison.Ordinal)).Select(v => $"{v} {k.Kind}")))
            .Concat(Conversions.Keys.Select(k => $"{k.ApiVersion} {k.Kind}"));

    /// <summary>The Fleet kind of a document, converted where needed; null with errors when it is none Fleet takes.</summary>
    public static ResolvedDocument? Resolve(JsonObject doc, List<FieldError> errors)
    {
        var apiVersion = Text(doc["apiVersion"]);
        var kindName = Text(doc["kind"]);
        if (apiVersion is null || kindName is null)
        {
            errors.Add(new FieldError(apiVersion is null ? "apiVersion" : "kind", "required"));
            return null;
        }
        if (Conversions.TryGetValue((apiVersion, kindName), out var conversion))
        {
            var body = conversion.Convert(doc.DeepClone().AsObject(), errors);
            return new ResolvedDocument(conversion.Kind, body, Lenient: true);
        }
        if (ResourceKinds.ByKind(kindName) is { } kind && (apiVersion == FleetApi.ApiVersion || kind.ForeignApiVersions.Contains(apiVersion)))
        {
            return new ResolvedDocument(kind, doc, Lenient: false);
        }
        errors.Add(new FieldError("kind", $"{apiVersion} {kindName} is not accepted; apply takes: {string.Join(", ", Accepted)}"));
        return null;
    }

    /// <summary>
    /// A Flux Kustomization's spec is an Application's (Fleet's Application has the Kustomization's fields); Flux-only
    /// fields Fleet does not implement (<c>serviceAccountName</c>, <c>decryption</c>, <c>kubeConfig</c>, ...) are
    /// ignored, and the target clusters come from <see cref="ClusterSelectorAnnotation"/>.
    /// </summary>
    private static JsonObject KustomizationToApplication(JsonObject doc, List<FieldError> errors)
    {
        doc["apiVersion"] = FleetApi.ApiVersion;
        doc["kind"] = ResourceKinds.Application.Kind;
        var selector = Text(doc["metadata"]?["annotations"]?[ClusterSelectorAnnotation]);
        if (selector is null || doc["spec"] is not JsonObject spec || spec["clusterSelector"] is not null)
        {
            return doc;
        }
        try
        {
            spec["clusterSelector"] = ToSpec(LabelSelector.Parse(selector));
        }
        catch (LabelSelectorException ex)
        {
            errors.Add(new FieldError($"metadata.annotations[{ClusterSelectorAnnotation}]", ex.Message));
        }
        return doc;
    }

    /// <summary>
    /// A Flux HelmRelease becomes an Application rendering its chart (<see cref="FluxHelmRelease.ToApplication"/>); its
    /// clusters come from <see cref="ClusterSelectorAnnotation"/>, which it must have: without it the release would go
    /// nowhere, which is never what applying one means.
    /// </summary>
    private static JsonObject HelmReleaseToApplication(JsonObject doc, List<FieldError> errors)
    {
        var field = $"metadata.annotations[{ClusterSelectorAnnotation}]";
        // Converted whatever the selector says, so that every other problem of the document is reported too; a
        // missing or bad selector is an error, so nothing is written.
        var clusters = new LabelSelectorSpec();
        if (Text(doc["metadata"]?["annotations"]?[ClusterSelectorAnnotation]) is not { } selector)
        {
            errors.Add(new FieldError(field, "required on a HelmRelease: the label selector of the clusters it goes to (for example env=prod)"));
        }
        else
        {
            try
            {
                clusters = ToSpec(LabelSelector.Parse(selector)).Deserialize<LabelSelectorSpec>(FleetJson.Options)!;
            }
            catch (LabelSelectorException ex)
            {
                errors.Add(new FieldError(field, ex.Message));
            }
        }
        var (application, problems) = FluxHelmRelease.ToApplication(doc, clusters);
        errors.AddRange(problems);
        return application ?? new JsonObject { ["apiVersion"] = FleetApi.ApiVersion, ["kind"] = ResourceKinds.Application.Kind, ["metadata"] = doc["metadata"]?.DeepClone() };
    }

    /// <summary>The structured form (<c>matchExpressions</c>) of a parsed selector.</summary>
    private static JsonObject ToSpec(LabelSelector selector)
    {
        var expressions = new JsonArray();
        foreach (var r in selector.Requirements)
        {
            var (op, values) = r.Operator switch
            {
                SelectorOperator.Equals => ("In", r.Values),
                SelectorOperator.NotEquals => ("NotIn", r.Values),
                SelectorOperator.In => ("In", r.Values),
                SelectorOperator.NotIn => ("NotIn", r.Values),
                SelectorOperator.Exists => ("Exists", []),
                SelectorOperator.DoesNotExist => ("DoesNotExist", []),
                SelectorOperator.GreaterThan => ("Gt", r.Values),
                _ => ("Lt", r.Values),
            };
            var e = new JsonObject { ["key"] = r.Key, ["operator"] = op };
            if (values.Count > 0)
            {
                e["values"] = new JsonArray(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
            }
            expressions.Add(e);
        }
        return new JsonObject { ["matchExpressions"] = expressions };
    }

    private static string? Text(JsonNode? node) => node?.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : null;
}
