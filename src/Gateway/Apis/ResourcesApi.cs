using Fleet.Gateway.Serialization;
using System.Text.Json.Nodes;
using Fleet.Gateway.Resources;
using Fleet.Gateway.Services;

namespace Fleet.Gateway.Apis;

/// <summary>
/// The resource endpoints: <c>/api/v1/namespaces/{ns}/{plural}[/{name}]</c> for every kind of <c>fleet.dev/v1</c>,
/// JSON or YAML bodies, validation errors as 422 naming each field. The REST face of <see cref="ResourceService"/>.
/// </summary>
internal static class ResourcesApi
{
    public static RouteGroupBuilder MapResourcesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1");
        group.MapGet("/{plural}", ListAll);
        group.MapGet("/namespaces/{ns}/{plural}", List);
        group.MapPost("/namespaces/{ns}/{plural}", Create);
        group.MapGet("/namespaces/{ns}/{plural}/{name}", Get);
        group.MapPut("/namespaces/{ns}/{plural}/{name}", Put);
        group.MapDelete("/namespaces/{ns}/{plural}/{name}", Delete);
        return group;
    }

    private static Task<IResult> ListAll(string plural, string? labelSelector, Caller caller, ResourceService service, CancellationToken ct) =>
        List(null, plural, labelSelector, caller, service, ct);

    private static Task<IResult> List(string? ns, string plural, string? labelSelector, Caller caller, ResourceService service, CancellationToken ct) =>
        Run(async () =>
        {
            var kind = ResourceService.KindOf(plural);
            return Json(ApiObject.List(kind.Kind, await service.ListAsync(caller, kind, ns, labelSelector, ct)));
        });

    private static Task<IResult> Get(string ns, string plural, string name, Caller caller, ResourceService service, CancellationToken ct) =>
        Run(async () => Json(ApiObject.From(await service.GetAsync(caller, ResourceService.KindOf(plural), ns, name, ct))));

    private static Task<IResult> Create(string ns, string plural, HttpRequest request, Caller caller, ResourceService service, CancellationToken ct) =>
        Write(ns, plural, null, request, caller, service, WriteMode.Create, ct);

    private static Task<IResult> Put(string ns, string plural, string name, HttpRequest request, Caller caller, ResourceService service, CancellationToken ct) =>
        Write(ns, plural, name, request, caller, service, WriteMode.Replace, ct);

    private static Task<IResult> Write(string ns, string plural, string? name, HttpRequest request, Caller caller, ResourceService service, WriteMode mode, CancellationToken ct) =>
        Run(async () =>
        {
            var kind = ResourceService.KindOf(plural);
            var (body, error) = await RequestReader.ParseBodyAsync(request, ct);
            if (body is null)
            {
                return error!.Contains("larger than", StringComparison.Ordinal) ? Problems.TooLarge(error) : Problems.BadRequest(error);
            }
            var result = await service.WriteAsync(caller, kind, ns, name, body, mode, ct);
            var json = ApiObject.From(result.Object);
            return result.Created
                ? Results.Text(json.ToApiJson(), "application/json", statusCode: StatusCodes.Status201Created)
                : Json(json);
        });

    private static Task<IResult> Delete(string ns, string plural, string name, Caller caller, ResourceService service, CancellationToken ct) =>
        Run(async () =>
        {
            var kind = ResourceService.KindOf(plural);
            await service.DeleteAsync(caller, kind, ns, name, ct);
            return Json(new JsonObject { ["kind"] = "Status", ["status"] = "Success", ["details"] = new JsonObject { ["kind"] = kind.Kind, ["namespace"] = ns, ["name"] = name } });
        });

    /// <summary>Runs an endpoint body, answering a service failure with its problem+json.</summary>
    private static async Task<IResult> Run(Func<Task<IResult>> body)
    {
        try
        {
            return await body();
        }
        catch (ApiException ex)
        {
            return Problems.From(ex);
        }
    }

    private static IResult Json(JsonNode node) => Results.Text(node.ToApiJson(), "application/json");
}
