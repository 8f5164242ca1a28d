using Fleet.Gateway.Serialization;
using System.Text.Json.Nodes;
using Fleet.Abstractions;
using Fleet.Abstractions.Resources;
using Fleet.Gateway.Resources;
using Fleet.Store;

namespace Fleet.Gateway.Apis;

/// <summary>
/// The resource endpoints: <c>/api/v1/namespaces/{ns}/{plural}[/{name}]</c> for every kind of <c>fleet.dev/v1</c>,
/// JSON or YAML bodies, validation errors as 422 naming each field.
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

    private static async Task<IResult> ListAll(string plural, string? labelSelector, IResourceStore store, CancellationToken ct) =>
        await ListIn(null, plural, labelSelector, store, ct);

    private static async Task<IResult> List(string ns, string plural, string? labelSelector, IResourceStore store, CancellationToken ct) =>
        await ListIn(ns, plural, labelSelector, store, ct);

    private static async Task<IResult> ListIn(string? ns, string plural, string? labelSelector, IResourceStore store, CancellationToken ct)
    {
        if (ResourceKinds.ByPlural(plural) is not { } kind)
        {
            return UnknownPlural(plural);
        }
        LabelSelector selector;
        try
        {
            selector = LabelSelector.Parse(labelSelector);
        }
        catch (LabelSelectorException ex)
        {
            return Problems.BadRequest($"labelSelector: {ex.Message}");
        }
        var items = await store.ListAsync(kind.Kind, ns, selector.IsEmpty ? null : selector, ct);
        return Json(ApiObject.List(kind.Kind, items));
    }

    private static async Task<IResult> Get(string ns, string plural, string name, IResourceStore store, CancellationToken ct)
    {
        if (ResourceKinds.ByPlural(plural) is not { } kind)
        {
            return UnknownPlural(plural);
        }
        var found = await store.GetAsync(kind.Kind, ns, name, ct);
        return found is null ? Problems.NotFound($"{kind.Kind} {ns}/{name} not found") : Json(ApiObject.From(found));
    }

    private static Task<IResult> Create(string ns, string plural, HttpRequest request, RequestReader reader, IResourceStore store, CancellationToken ct) =>
        Write(ns, plural, null, request, reader, store, createOnly: true, ct);

    private static Task<IResult> Put(string ns, string plural, string name, HttpRequest request, RequestReader reader, IResourceStore store, CancellationToken ct) =>
        Write(ns, plural, name, request, reader, store, createOnly: false, ct);

    private static async Task<IResult> Write(string ns, string plural, string? name, HttpRequest request, RequestReader reader, IResourceStore store, bool createOnly, CancellationToken ct)
    {
        if (ResourceKinds.ByPlural(plural) is not { } kind)
        {
            return UnknownPlural(plural);
        }
        if (kind.ReadOnly)
        {
            return Problems.MethodNotAllowed($"{kind.Kind} objects are read-only: Fleet writes them");
        }
        var (body, error) = await RequestReader.ParseBodyAsync(request, ct);
        if (body is null)
        {
            return error!.Contains("larger than", StringComparison.Ordinal) ? Problems.TooLarge(error) : Problems.BadRequest(error);
        }
        var read = reader.Read(body, kind, ns, name);
        if (read.Object is not { } obj)
        {
            return Problems.Invalid(kind.Kind, name ?? body["metadata"]?["name"]?.ToString(), read.Errors);
        }
        var existing = await store.GetAsync(kind.Kind, ns, obj.Name, ct);
        if (createOnly && existing is not null)
        {
            return Problems.Conflict($"{kind.Kind} {ns}/{obj.Name} already exists; use PUT to update it");
        }
        StoredResource stored;
        try
        {
            stored = await store.PutAsync(kind.Kind, ns, obj.Name, obj.Labels, obj.Annotations, obj.SpecJson, createOnly ? 0 : obj.ExpectedResourceVersion, ct);
        }
        catch (ResourceConflictException ex)
        {
            return Problems.Conflict(ex.Message);
        }
        var json = ApiObject.From(stored);
        return existing is null
            ? Results.Text(json.ToApiJson(), "application/json", statusCode: StatusCodes.Status201Created)
            : Json(json);
    }

    private static async Task<IResult> Delete(string ns, string plural, string name, IResourceStore store, CancellationToken ct)
    {
        if (ResourceKinds.ByPlural(plural) is not { } kind)
        {
            return UnknownPlural(plural);
        }
        if (kind.ReadOnly)
        {
            return Problems.MethodNotAllowed($"{kind.Kind} objects are read-only: delete the Application or Cluster instead");
        }
        if (!await store.DeleteAsync(kind.Kind, ns, name, ct))
        {
            return Problems.NotFound($"{kind.Kind} {ns}/{name} not found");
        }
        return Json(new JsonObject { ["kind"] = "Status", ["status"] = "Success", ["details"] = new JsonObject { ["kind"] = kind.Kind, ["namespace"] = ns, ["name"] = name } });
    }

    private static IResult UnknownPlural(string plural) =>
        Problems.NotFound($"unknown resource type \"{plural}\"; served: {string.Join(", ", ResourceKinds.All.Select(k => k.Plural))}");

    private static IResult Json(JsonNode node) => Results.Text(node.ToApiJson(), "application/json");
}
