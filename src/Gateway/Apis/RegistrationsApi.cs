using System.Text.Json.Nodes;
using Fleet.Gateway.Resources;
using Fleet.Gateway.Services;

namespace Fleet.Gateway.Apis;

/// <summary>
/// Cluster self-registration: <c>POST /api/v1/registrations</c>, authenticated by a registration token (not an API
/// token), creates the Cluster and its credentials Secret in the token's namespace. Answers 201 with the Cluster.
/// </summary>
internal static class RegistrationsApi
{
    public const string Path = "/api/v1/registrations";
    private static readonly string[] Fields = ["name", "server", "caData", "token", "labels"];

    public static void MapRegistrationsApi(this IEndpointRouteBuilder app) =>
        app.MapPost(Path, (HttpContext http, TokenService tokens, CancellationToken ct) =>
            AccessResults.Run(async () =>
            {
                var bearer = CallerMiddleware.BearerToken(http.Request);
                // The token is checked before the body is read: a wrong token learns nothing about the body's rules.
                var registrar = await tokens.CheckRegistrationAsync(bearer, ct);
                http.Items[Caller.HttpItemKey] = registrar;
                var body = await AccessBodies.ReadAsync(http.Request, Fields, ct);
                var registered = await tokens.RegisterClusterAsync(bearer, new ClusterRegistration(
                    AccessBodies.String(body, "name"), AccessBodies.String(body, "server"), AccessBodies.String(body, "caData"), AccessBodies.String(body, "token"), AccessBodies.Map(body, "labels")), ct);
                var answer = new JsonObject
                {
                    ["kind"] = "Registration",
                    ["cluster"] = ApiObject.From(registered.Cluster),
                    ["secret"] = registered.Secret.Name,
                };
                return AccessResults.Created(answer);
            }));
}
