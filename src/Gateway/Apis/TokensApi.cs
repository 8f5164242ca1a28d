using Fleet.Gateway.Services;

namespace Fleet.Gateway.Apis;

/// <summary>
/// API tokens (<c>/api/v1/tokens</c>) and cluster registration tokens
/// (<c>/api/v1/namespaces/{ns}/registrationtokens</c>), admins only: POST creates and answers the secret once, GET
/// lists without secrets, DELETE revokes.
/// </summary>
internal static class TokensApi
{
    private static readonly string[] ApiTokenFields = ["name", "role", "namespaces", "expiresIn"];
    private static readonly string[] RegistrationTokenFields = ["name", "expiresIn", "maxUses", "clusterLabels"];

    public static void MapTokensApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1");
        group.MapPost("/tokens", CreateApiToken);
        group.MapGet("/tokens", ListApiTokens);
        group.MapDelete("/tokens/{name}", RevokeApiToken);
        group.MapPost("/namespaces/{ns}/registrationtokens", CreateRegistrationToken);
        group.MapGet("/namespaces/{ns}/registrationtokens", ListRegistrationTokens);
        group.MapDelete("/namespaces/{ns}/registrationtokens/{name}", RevokeRegistrationToken);
    }

    private static Task<IResult> CreateApiToken(HttpRequest request, Caller caller, TokenService tokens, TimeProvider time, CancellationToken ct) =>
        AccessResults.Run(async () =>
        {
            var body = await AccessBodies.ReadAsync(request, ApiTokenFields, ct);
            var created = await tokens.CreateApiTokenAsync(caller, new ApiTokenRequest(
                AccessBodies.String(body, "name"), AccessBodies.String(body, "role"), AccessBodies.List(body, "namespaces"), AccessBodies.Duration(body, "expiresIn")), ct);
            return AccessResults.Created(AccessBodies.ApiToken(created.Record, time.GetUtcNow(), created.Secret));
        });

    private static Task<IResult> ListApiTokens(Caller caller, TokenService tokens, TimeProvider time, CancellationToken ct) =>
        AccessResults.Run(async () =>
        {
            var now = time.GetUtcNow();
            return AccessResults.Ok(AccessResults.List("ApiTokenList", (await tokens.ListApiTokensAsync(caller, ct)).Select(t => AccessBodies.ApiToken(t, now))));
        });

    private static Task<IResult> RevokeApiToken(string name, Caller caller, TokenService tokens, CancellationToken ct) =>
        AccessResults.Run(async () =>
        {
            await tokens.RevokeApiTokenAsync(caller, name, ct);
            return AccessResults.Ok(AccessResults.Status("ApiToken", null, name));
        });

    private static Task<IResult> CreateRegistrationToken(string ns, HttpRequest request, Caller caller, TokenService tokens, TimeProvider time, CancellationToken ct) =>
        AccessResults.Run(async () =>
        {
            var body = await AccessBodies.ReadAsync(request, RegistrationTokenFields, ct);
            var created = await tokens.CreateRegistrationTokenAsync(caller, ns, new RegistrationTokenRequest(
                AccessBodies.String(body, "name"), AccessBodies.Duration(body, "expiresIn"), AccessBodies.Int(body, "maxUses"), AccessBodies.Map(body, "clusterLabels")), ct);
            return AccessResults.Created(AccessBodies.RegistrationToken(created.Record, time.GetUtcNow(), created.Secret));
        });

    private static Task<IResult> ListRegistrationTokens(string ns, Caller caller, TokenService tokens, TimeProvider time, CancellationToken ct) =>
        AccessResults.Run(async () =>
        {
            var now = time.GetUtcNow();
            return AccessResults.Ok(AccessResults.List("RegistrationTokenList", (await tokens.ListRegistrationTokensAsync(caller, ns, ct)).Select(t => AccessBodies.RegistrationToken(t, now))));
        });

    private static Task<IResult> RevokeRegistrationToken(string ns, string name, Caller caller, TokenService tokens, CancellationToken ct) =>
        AccessResults.Run(async () =>
        {
            await tokens.RevokeRegistrationTokenAsync(caller, ns, name, ct);
            return AccessResults.Ok(AccessResults.Status("RegistrationToken", ns, name));
        });
}
