namespace Fleet.Gateway.Services;

/// <summary>Turns the bearer token a client sent (REST <c>Authorization</c> header, gRPC <c>authorization</c> metadata, the console's sign-in) into a <see cref="Caller"/>.</summary>
public interface IApiAuthenticator
{
    /// <summary>The caller the token stands for; throws <see cref="ApiException"/> (<see cref="ApiErrorKind.Unauthenticated"/>) for a missing, unknown, expired or revoked token.</summary>
    ValueTask<Caller> AuthenticateAsync(string? bearerToken, CancellationToken ct);
}
