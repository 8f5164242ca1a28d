using System.Text.Json.Nodes;
using Fleet.Gateway.Services;

namespace Fleet.Gateway.Apis;

/// <summary>The audit log, admins only: <c>GET /api/v1/audit?after=&amp;limit=</c>, oldest first; <c>continue</c> is the <c>after</c> of the next page.</summary>
internal static class AuditApi
{
    public static void MapAuditApi(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/v1/audit", (Caller caller, AuditService audit, long? after, int? limit, CancellationToken ct) =>
            AccessResults.Run(async () =>
            {
                var page = await audit.ListAsync(caller, after ?? 0, limit ?? 100, ct);
                var items = page.Items.Select(e => new JsonObject
                {
                    ["sequence"] = e.Sequence,
                    ["time"] = AccessBodies.Time(e.Time),
                    ["subject"] = e.Subject,
                    ["verb"] = e.Verb,
                    ["kind"] = e.Kind,
                    ["namespace"] = e.Namespace,
                    ["name"] = e.Name,
                    ["status"] = e.Status,
                });
                var list = AccessResults.List("AuditEntryList", items);
                list["continue"] = page.More ? page.Last : null;
                return AccessResults.Ok(list);
            }));
}
