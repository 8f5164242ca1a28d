namespace Fleet.Gateway.Services;

/// <summary>
/// The gateway's behaviour before API tokens existed: every request acts as <see cref="Caller.System"/>. Kept only
/// until token authentication is registered in its place; the gateway still serves loopback only by default.
/// </summary>
internal sealed class NoAuthentication : IApiAuthenticator
{
    public ValueTask<Caller> AuthenticateAsync(string? bearerToken, CancellationToken ct) => ValueTask.FromResult(Caller.System);
}
