using System.Text.Json;
using Fleet.Abstractions.Grains;
using Fleet.Abstractions.Resources;
using Fleet.Store;
using Fleet.Store.Secrets;
using Fleet.Sources;

namespace Fleet.Gateway.Apis;

/// <summary>
/// Webhook receivers: <c>POST /hook/{id}</c>. A request whose signature or token checks out makes the Receiver's
/// GitRepositories fetch now; an unknown id gets 404 and a bad signature 401, and neither triggers anything.
/// </summary>
internal static class HooksApi
{
    private const int MaxBodyBytes = 3 * 1024 * 1024;

    public static void MapHooksApi(this IEndpointRouteBuilder app) => app.MapPost("/hook/{id}", Handle);

    private static async Task<IResult> Handle(string id, HttpRequest request, IResourceStore store, SecretReader secrets, IGrainFactory grains, IEventLog events, WebhookRejections rejections, CancellationToken ct)
    {
        var path = "/hook/" + id;
        StoredResource? found = null;
        foreach (var r in await store.ListAsync(ResourceKinds.Receiver.Kind, null, null, ct))
        {
            if (r.StatusJson is not null && JsonSerializer.Deserialize<ReceiverStatus>(r.StatusJson, FleetJson.Options)?.WebhookPath == path)
            {
                found = r;
                break;
            }
        }
        if (found is null)
        {
            return Problems.NotFound("no receiver has this webhook path");
        }
        var spec = JsonSerializer.Deserialize<ReceiverSpec>(found.SpecJson, FleetJson.Options)!;
        if (spec.Suspend)
        {
            return Problems.ServiceUnavailable("receiver is suspended");
        }
        var body = await ReadBodyAsync(request, ct);
        if (body is null)
        {
            return Problems.TooLarge($"webhook body is larger than {MaxBodyBytes} bytes");
        }
        var data = await secrets.GetAsync(found.Namespace, spec.SecretRef.Name, ct);
        if (data is null || !data.TryGetValue("token", out var token))
        {
            return Problems.Unauthorized("receiver has no token");
        }
        var verdict = Webhooks.Verify(spec.Type, token, spec.Events ?? [], h => request.Headers.TryGetValue(h, out var v) ? v.ToString() : null, body);
        switch (verdict.Result)
        {
            case WebhookResult.Unauthorized:
                if (rejections.ShouldRecord(found.Namespace, found.Name))
                {
                    await events.AppendAsync(found.Namespace, ResourceKinds.Receiver.Kind, found.Name, FleetEventType.Warning, "ValidationFailed",
                        $"{verdict.Reason} (further refusals within {WebhookRejections.Window.TotalSeconds:0}s are counted in fleet_webhook_rejections_unrecorded, not logged)", ct);
                }
                return Problems.Unauthorized(verdict.Reason);
            case WebhookResult.Ping:
                return Results.Text("pong");
            case WebhookResult.EventIgnored:
                return Results.Text(verdict.Reason);
        }
        foreach (var resource in spec.Resources)
        {
            await grains.GetGrain<IGitRepositoryGrain>($"{found.Namespace}/{resource.Name}").HintFetchNow();
        }
        await events.AppendAsync(found.Namespace, ResourceKinds.Receiver.Kind, found.Name, FleetEventType.Normal, "ReconciliationRequested",
            $"fetch requested for {string.Join(", ", spec.Resources.Select(r => $"GitRepository/{r.Name}"))}", ct);
        return Results.Text("ok");
    }

    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            return null;
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxBodyBytes)
            {
                return null;
            }
        }
        return buffer.ToArray();
    }
}
