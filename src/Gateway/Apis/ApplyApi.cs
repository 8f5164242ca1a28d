using System.Text.Json.Nodes;
using Fleet.Gateway.Resources;
using Fleet.Gateway.Serialization;
using Fleet.Gateway.Services;

namespace Fleet.Gateway.Apis;

/// <summary>
/// <c>POST /api/v1/apply</c>: many objects at once, all or nothing, as <c>kubectl apply -f</c> (multi-document YAML, or
/// a JSON List). Takes Fleet's kinds and Flux's GitRepository, Kustomization and Receiver documents unchanged.
/// </summary>
internal static class ApplyApi
{
    public static void MapApplyApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/apply", Apply)
            .WithName("apply").WithTags("Apply")
            .WithSummary("Create or replace many objects, all or nothing")
            .WithDescription("Multi-document YAML or a JSON List. Each document replaces its object's labels, annotations and spec. "
                + "A document without metadata.namespace goes to the namespace parameter (default \"default\"). "
                + "A Flux kustomize.toolkit.fluxcd.io/v1 Kustomization becomes an Application whose clusters are chosen by the "
                + $"{FluxDocuments.ClusterSelectorAnnotation} annotation (a label selector).")
            .Accepts<JsonObject>("application/yaml", "application/json")
            .Produces<ApplyResponse>(StatusCodes.Status200OK)
            .ProducesProblems(400, 401, 403, 404, 405, 409, 413, 415, 422);
    }

    /// <summary>The answer of an apply, for the OpenAPI description.</summary>
    internal sealed record ApplyResponse(string Kind, bool DryRun, List<ApplyItem> Items);

    /// <summary>One document's outcome: created, configured or unchanged, and the object as stored.</summary>
    internal sealed record ApplyItem(string Action, string Kind, string Namespace, string Name, JsonObject Object);

    private static Task<IResult> Apply(string? @namespace, string? dryRun, HttpRequest request, Caller caller, ResourceService service, CancellationToken ct) =>
        ResourcesApi.Run(async () =>
        {
            var dry = ResourcesApi.ParseDryRun(dryRun);
            var (docs, error) = await RequestReader.ParseDocumentsAsync(request, multiple: true, ct);
            if (docs is null)
            {
                return error!.Contains("larger than", StringComparison.Ordinal) ? Problems.TooLarge(error) : Problems.BadRequest(error);
            }
            var results = await service.ApplyAsync(caller, docs, string.IsNullOrEmpty(@namespace) ? "default" : @namespace, ct, dry);
            var items = new JsonArray();
            foreach (var r in results)
            {
                items.Add(new JsonObject
                {
                    ["action"] = r.Action.ToString().ToLowerInvariant(),
                    ["kind"] = r.Object.Kind,
                    ["namespace"] = r.Object.Namespace,
                    ["name"] = r.Object.Name,
                    ["object"] = ApiObject.From(r.Object),
                });
            }
            return Results.Text(new JsonObject { ["kind"] = "ApplyResult", ["dryRun"] = dry, ["items"] = items }.ToApiJson(), "application/json");
        });
}
