using Fleet.Gateway.Serialization;
using System.Globalization;
using System.Text.Json.Nodes;
using Fleet.Gateway.Services;
using Fleet.Store;
using Microsoft.Extensions.Hosting;

namespace Fleet.Gateway.Apis;

/// <summary>Events: <c>GET /api/v1/events</c> and <c>/api/v1/namespaces/{ns}/events</c>, filtered, with <c>after</c> for paging and <c>watch=true</c> to stream (server-sent events).</summary>
internal static class EventsApi
{
    public static void MapEventsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/events", (HttpContext http, Caller caller, IEventLog log, IHostApplicationLifetime lifetime, string? kind, string? name, long? after, bool? watch, CancellationToken ct) =>
            Handle(http, caller, log, lifetime, null, kind, name, after, watch, ct));
        app.MapGet("/api/v1/namespaces/{ns}/events", (HttpContext http, Caller caller, IEventLog log, IHostApplicationLifetime lifetime, string ns, string? kind, string? name, long? after, bool? watch, CancellationToken ct) =>
            Handle(http, caller, log, lifetime, ns, kind, name, after, watch, ct));
    }

    private static async Task<IResult> Handle(HttpContext http, Caller caller, IEventLog log, IHostApplicationLifetime lifetime, string? ns, string? kind, string? name, long? after, bool? watch, CancellationToken ct)
    {
        var query = new EventQuery(ns, kind, name, null, after ?? 0);
        if (watch != true)
        {
            var items = new JsonArray();
            // A caller sees the events of its namespaces only (a namespace it cannot see has none).
            foreach (var e in (await log.ListAsync(query, ct)).Where(e => caller.CanSee(e.Namespace)))
            {
                items.Add(ToJson(e));
            }
            return Results.Text(new JsonObject { ["kind"] = "EventList", ["items"] = items }.ToApiJson(), "application/json");
        }
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        var last = after ?? 0;
        // A watch ends when the client leaves or the host stops (SIGTERM): the host must not wait out its
        // shutdown timeout on open streams and then fail them.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct, lifetime.ApplicationStopping);
        ct = stop.Token;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                foreach (var e in await log.ListAsync(query with { After = last }, ct))
                {
                    last = e.Sequence;
                    if (!caller.CanSee(e.Namespace))
                    {
                        continue;
                    }
                    await http.Response.WriteAsync($"id: {e.Sequence}\nevent: event\ndata: {ToJson(e).ToApiJson()}\n\n", ct);
                }
                await http.Response.Body.FlushAsync(ct);
                await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
            }
        }
        catch (OperationCanceledException)
        {
            // The client went away or the host is stopping.
        }
        return Results.Empty;
    }

    private static JsonObject ToJson(FleetEvent e) => new()
    {
        ["sequence"] = e.Sequence,
        ["namespace"] = e.Namespace,
        ["involvedObject"] = new JsonObject { ["kind"] = e.InvolvedKind, ["name"] = e.InvolvedName },
        ["type"] = e.Type.ToString(),
        ["reason"] = e.Reason,
        ["message"] = e.Message,
        ["time"] = e.Time.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
    };
}
