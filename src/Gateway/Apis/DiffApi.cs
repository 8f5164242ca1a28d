using Fleet.Gateway.Serialization;
using System.Text.Json.Nodes;
using Fleet.Abstractions.Resources;
using Fleet.Gateway.Services;

namespace Fleet.Gateway.Apis;

/// <summary>
/// <c>GET /api/v1/namespaces/{ns}/placements/{name}/diff</c>: what applying the placement now would change on its
/// cluster, object by object (the REST face of <see cref="PlacementDiffService"/>; <c>fleet diff</c> prints it).
/// </summary>
internal static class DiffApi
{
    public static void MapDiffApi(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/v1/namespaces/{ns}/placements/{name}/diff", async (string ns, string name, Caller caller, PlacementDiffService diffs, CancellationToken ct) =>
        {
            try
            {
                var items = new JsonArray();
                foreach (var d in await diffs.DiffAsync(caller, ns, name, ct))
                {
                    items.Add(new JsonObject
                    {
                        ["apiVersion"] = d.ApiVersion,
                        ["kind"] = d.Kind,
                        ["namespace"] = d.Namespace,
                        ["name"] = d.Name,
                        ["action"] = d.Action.ToString().ToLowerInvariant(),
                        ["message"] = d.Message,
                        ["desired"] = d.Desired,
                        ["live"] = d.Live,
                    });
                }
                var body = new JsonObject
                {
                    ["apiVersion"] = FleetApi.ApiVersion,
                    ["kind"] = "PlacementDiff",
                    ["metadata"] = new JsonObject { ["namespace"] = ns, ["name"] = name },
                    ["objects"] = items,
                };
                return Results.Text(body.ToApiJson(), "application/json");
            }
            catch (ApiException ex)
            {
                return Problems.From(ex);
            }
        });
}
