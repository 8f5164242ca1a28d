using System.Globalization;
using System.Text.Json.Nodes;
using Fleet.Abstractions.Resources;
using Fleet.Gateway.Resources;
using Fleet.Gateway.Serialization;
using Fleet.Gateway.Services;
using Microsoft.AspNetCore.Mvc;

namespace Fleet.Gateway.Apis;

/// <summary>
/// The resource endpoints: <c>/api/v1/namespaces/{ns}/{plural}[/{name}]</c> for every kind of <c>fleet.dev/v1</c>
/// (mapped per kind, so the OpenAPI document shows each kind's schema), lists across namespaces at
/// <c>/api/v1/{plural}</c>, watches, <c>/status</c>, and the actions <c>reconcile</c>, <c>suspend</c>, <c>resume</c>.
/// JSON or YAML bodies; errors are problem+json naming each field. The REST face of <see cref="ResourceService"/>.
/// </summary>
internal static class ResourcesApi
{
    public static RouteGroupBuilder MapResourcesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1");
        foreach (var kind in ResourceKinds.All)
        {
            MapKind(group, kind);
        }

        // Any other name: a clear 404 naming the served types (not part of the API's description).
        group.MapMethods("/{plural}", ["GET"], (string plural) => Problems.From(ApiException.UnknownPlural(plural))).ExcludeFromDescription();
        group.MapMethods("/namespaces/{ns}/{plural}/{**rest}", ["GET", "POST", "PUT", "DELETE"], (string plural, HttpRequest request) =>
            ResourceKinds.ByPlural(plural) is null
                ? Problems.From(ApiException.UnknownPlural(plural))
                : Problems.NotFound($"no API at {request.Method} {request.Path}")).ExcludeFromDescription();
        return group;
    }

    private static void MapKind(RouteGroupBuilder api, ResourceKind kind)
    {
        var tag = kind.Kind;
        var one = ApiSchemas.ObjectType(kind);
        var list = ApiSchemas.ListType(kind);
        var writable = !kind.ReadOnly;

        api.MapGet($"/{kind.Plural}", (string? labelSelector, string? fieldSelector, string? limit, [FromQuery(Name = "continue")] string? continueToken, string? watch, string? resourceVersion, HttpContext http, Caller caller, ResourceService service, CancellationToken ct) =>
                List(kind, null, new ListQuery(labelSelector, fieldSelector, limit, continueToken, watch, resourceVersion), http, caller, service, ct))
            .WithName($"list{kind.Kind}ForAllNamespaces").WithTags(tag)
            .WithSummary($"List or watch {kind.Kind} objects in every namespace the caller may see")
            .Produces(StatusCodes.Status200OK, list).ProducesProblems(400, 401, 410);

        var ns = api.MapGroup($"/namespaces/{{ns}}/{kind.Plural}").WithTags(tag);
        ns.MapGet("", (string ns, string? labelSelector, string? fieldSelector, string? limit, [FromQuery(Name = "continue")] string? continueToken, string? watch, string? resourceVersion, HttpContext http, Caller caller, ResourceService service, CancellationToken ct) =>
                List(kind, ns, new ListQuery(labelSelector, fieldSelector, limit, continueToken, watch, resourceVersion), http, caller, service, ct))
            .WithName($"list{kind.Kind}").WithSummary($"List or watch {kind.Kind} objects of a namespace")
            .Produces(StatusCodes.Status200OK, list).ProducesProblems(400, 401, 410);
        ns.MapGet("/{name}", (string ns, string name, Caller caller, ResourceService service, CancellationToken ct) =>
                Run(async () => Json(ApiObject.From(await service.GetAsync(caller, kind, ns, name, ct)))))
            .WithName($"read{kind.Kind}").WithSummary($"Read a {kind.Kind}")
            .Produces(StatusCodes.Status200OK, one).ProducesProblems(401, 404);
        ns.MapGet("/{name}/status", (string ns, string name, Caller caller, ResourceService service, CancellationToken ct) =>
                Run(async () => Json(ApiObject.From(await service.GetStatusAsync(caller, kind, ns, name, ct)))))
            .WithName($"read{kind.Kind}Status").WithSummary($"Read a {kind.Kind} with its status")
            .Produces(StatusCodes.Status200OK, one).ProducesProblems(401, 404);
        if (!writable)
        {
            // Answered with a clear 405 rather than a bare routing 404 (not part of the API's description).
            var readOnly = () => Problems.From(new ApiException(ApiErrorKind.NotAllowed, $"{kind.Kind} objects are read-only: Fleet writes them"));
            ns.MapPost("", readOnly).ExcludeFromDescription();
            ns.MapMethods("/{name}", ["PUT", "DELETE"], readOnly).ExcludeFromDescription();
            ns.MapPost("/{name}/{action}", readOnly).ExcludeFromDescription();
            return;
        }

        ns.MapPost("", (string ns, string? dryRun, HttpRequest request, Caller caller, ResourceService service, CancellationToken ct) =>
                Write(kind, ns, null, dryRun, request, caller, service, WriteMode.Create, ct))
            .WithName($"create{kind.Kind}").WithSummary($"Create a {kind.Kind}")
            .Accepts(one, "application/json", "application/yaml")
            .Produces(StatusCodes.Status201Created, one).ProducesProblems(400, 401, 403, 404, 409, 413, 415, 422);
        ns.MapPut("/{name}", (string ns, string name, string? dryRun, HttpRequest request, Caller caller, ResourceService service, CancellationToken ct) =>
                Write(kind, ns, name, dryRun, request, caller, service, WriteMode.Replace, ct))
            .WithName($"replace{kind.Kind}").WithSummary($"Create or replace a {kind.Kind} (a metadata.resourceVersion must match the stored one)")
            .Accepts(one, "application/json", "application/yaml")
            .Produces(StatusCodes.Status200OK, one).Produces(StatusCodes.Status201Created, one).ProducesProblems(400, 401, 403, 404, 409, 413, 415, 422);
        ns.MapDelete("/{name}", (string ns, string name, string? dryRun, Caller caller, ResourceService service, CancellationToken ct) =>
                Run(async () =>
                {
                    await service.DeleteAsync(caller, kind, ns, name, ct, ParseDryRun(dryRun));
                    return Json(new JsonObject { ["kind"] = "Status", ["status"] = "Success", ["details"] = new JsonObject { ["kind"] = kind.Kind, ["namespace"] = ns, ["name"] = name } });
                }))
            .WithName($"delete{kind.Kind}").WithSummary($"Delete a {kind.Kind}")
            .Produces(StatusCodes.Status200OK, typeof(ApiSchemas.DeleteStatus)).ProducesProblems(400, 401, 403, 404);

        if (kind != ResourceKinds.Secret)
        {
            MapActions(ns, kind, one);
        }
        if (ResourceService.SuspendField(kind) is null)
        {
            // Answered with a clear 405 rather than a bare routing 404 (not part of the API's description).
            foreach (var action in new[] { "suspend", "resume" })
            {
                ns.MapPost($"/{{name}}/{action}", () => Problems.From(new ApiException(ApiErrorKind.NotAllowed,
                    $"{kind.Kind} objects cannot be suspended or resumed; these can: {string.Join(", ", ResourceKinds.All.Where(k => ResourceService.SuspendField(k) is not null).Select(k => k.Plural))}"))).ExcludeFromDescription();
            }
        }
    }

    private static void MapActions(RouteGroupBuilder ns, ResourceKind kind, Type one)
    {
        ns.MapPost("/{name}/reconcile", (string ns, string name, string? dryRun, Caller caller, ResourceService service, CancellationToken ct) =>
                Run(async () => Json(ApiObject.From(await service.RequestReconcileAsync(caller, kind, ns, name, ct, ParseDryRun(dryRun))))))
            .WithName($"reconcile{kind.Kind}").WithSummary($"Reconcile a {kind.Kind} now (writes the {ResourceService.ReconcileRequestedAt} annotation)")
            .Produces(StatusCodes.Status200OK, one).ProducesProblems(400, 401, 403, 404, 409);
        if (ResourceService.SuspendField(kind) is { } field)
        {
            ns.MapPost("/{name}/suspend", (string ns, string name, string? dryRun, Caller caller, ResourceService service, CancellationToken ct) =>
                    Run(async () => Json(ApiObject.From(await service.SetSuspendedAsync(caller, kind, ns, name, true, ct, ParseDryRun(dryRun))))))
                .WithName($"suspend{kind.Kind}").WithSummary($"Suspend a {kind.Kind} (sets spec.{field})")
                .Produces(StatusCodes.Status200OK, one).ProducesProblems(400, 401, 403, 404, 409);
            ns.MapPost("/{name}/resume", (string ns, string name, string? dryRun, Caller caller, ResourceService service, CancellationToken ct) =>
                    Run(async () => Json(ApiObject.From(await service.SetSuspendedAsync(caller, kind, ns, name, false, ct, ParseDryRun(dryRun))))))
                .WithName($"resume{kind.Kind}").WithSummary($"Resume a {kind.Kind} (clears spec.{field})")
                .Produces(StatusCodes.Status200OK, one).ProducesProblems(400, 401, 403, 404, 409);
        }
    }

    /// <summary>The query parameters of a list, as sent (parsed here so that a bad value gets a message naming it).</summary>
    private sealed record ListQuery(string? LabelSelector, string? FieldSelector, string? Limit, string? Continue, string? Watch, string? ResourceVersion);

    private static async Task<IResult> List(ResourceKind kind, string? ns, ListQuery q, HttpContext http, Caller caller, ResourceService service, CancellationToken ct)
    {
        try
        {
            if (ParseBool(q.Watch, "watch"))
            {
                var events = await service.WatchAsync(caller, kind, ns, new WatchOptions(q.LabelSelector, q.FieldSelector, q.ResourceVersion), ct);
                await StreamAsync(http, events, ct);
                return Results.Empty;
            }
            int? limit = null;
            if (q.Limit is { Length: > 0 } text)
            {
                limit = int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                    ? n
                    : throw new ApiException(ApiErrorKind.BadRequest, $"limit: \"{text}\" is not a number of objects");
            }
            var page = await service.ListPageAsync(caller, kind, ns, new ListOptions(q.LabelSelector, q.FieldSelector, limit, q.Continue), ct);
            return Json(ApiObject.List(kind.Kind, page.Items, page.ResourceVersion, page.Continue));
        }
        catch (ApiException ex)
        {
            return Problems.From(ex);
        }
    }

    /// <summary>
    /// A watch as Kubernetes streams it: chunked JSON, one <c>{"type":"ADDED|MODIFIED|DELETED","object":{...}}</c> per
    /// line, flushed per event; it ends when the client leaves or the host stops.
    /// </summary>
    private static async Task StreamAsync(HttpContext http, IAsyncEnumerable<WatchEvent> events, CancellationToken ct)
    {
        http.Response.ContentType = "application/json";
        http.Response.Headers.CacheControl = "no-cache";
        try
        {
            // The headers go out now, not with the first event: a client waits for them before it reads events.
            await http.Response.StartAsync(ct);
            await http.Response.Body.FlushAsync(ct);
            await foreach (var e in events.WithCancellation(ct))
            {
                var line = new JsonObject { ["type"] = e.Type.ToString().ToUpperInvariant(), ["object"] = ApiObject.From(e.Object) };
                await http.Response.WriteAsync(line.ToApiJson() + "\n", ct);
                await http.Response.Body.FlushAsync(ct);
            }
        }
        catch (OperationCanceledException)
        {
            // The client went away.
        }
        catch (WatchTooSlowException)
        {
            // The client did not keep up: the stream ends, as Kubernetes ends a slow watch; the client watches
            // again from the last resourceVersion it got (the change feed still holds what followed it).
        }
    }

    private static Task<IResult> Write(ResourceKind kind, string ns, string? name, string? dryRun, HttpRequest request, Caller caller, ResourceService service, WriteMode mode, CancellationToken ct) =>
        Run(async () =>
        {
            var dry = ParseDryRun(dryRun);
            var (body, error) = await RequestReader.ParseBodyAsync(request, ct);
            if (body is null)
            {
                return error!.Contains("larger than", StringComparison.Ordinal) ? Problems.TooLarge(error) : Problems.BadRequest(error);
            }
            var result = await service.WriteAsync(caller, kind, ns, name, body, mode, ct, dry);
            var json = ApiObject.From(result.Object);
            return result.Created
                ? Results.Text(json.ToApiJson(), "application/json", statusCode: StatusCodes.Status201Created)
                : Json(json);
        });

    /// <summary>Kubernetes' <c>dryRun</c>: <c>All</c> or absent.</summary>
    internal static bool ParseDryRun(string? dryRun) => dryRun switch
    {
        null or "" => false,
        "All" => true,
        _ => throw new ApiException(ApiErrorKind.BadRequest, $"dryRun: \"{dryRun}\" is not supported: use dryRun=All"),
    };

    private static bool ParseBool(string? value, string name) => value switch
    {
        null or "" or "false" or "0" => false,
        "true" or "1" => true,
        _ => throw new ApiException(ApiErrorKind.BadRequest, $"{name}: \"{value}\" is not true or false"),
    };

    /// <summary>Runs an endpoint body, answering a service failure with its problem+json.</summary>
    internal static async Task<IResult> Run(Func<Task<IResult>> body)
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

    internal static IResult Json(JsonNode node) => Results.Text(node.ToApiJson(), "application/json");
}
