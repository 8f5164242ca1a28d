using System.Globalization;
using System.Text.Json.Nodes;

namespace Fleet.Kubernetes;

/// <summary>A service-account token and when it expires. <see cref="ToString"/> never prints the token.</summary>
public sealed record ServiceAccountToken(string Token, DateTimeOffset? ExpiresAt)
{
    public override string ToString() => $"ServiceAccountToken {{ ExpiresAt = {ExpiresAt?.ToString("u", CultureInfo.InvariantCulture) ?? "never"} }}";
}

public sealed partial class KubeClient
{
    /// <summary>
    /// A token for a service account from the TokenRequest API (<c>POST .../serviceaccounts/{name}/token</c>,
    /// <c>authentication.k8s.io/v1</c>). The server may shorten <paramref name="expiration"/> (its
    /// <c>--service-account-max-token-expiration</c>); the answer says when the token really expires.
    /// </summary>
    public async Task<ServiceAccountToken> RequestServiceAccountTokenAsync(string ns, string serviceAccount, TimeSpan? expiration = null, CancellationToken ct = default)
    {
        var resource = await ResolveAsync("v1", "ServiceAccount", ct).ConfigureAwait(false);
        var path = ResourcePath(resource, ns, serviceAccount) + "/token";
        var spec = new JsonObject();
        if (expiration is { } lifetime)
        {
            spec["expirationSeconds"] = (long)lifetime.TotalSeconds;
        }
        var request = new JsonObject { ["apiVersion"] = "authentication.k8s.io/v1", ["kind"] = "TokenRequest", ["spec"] = spec };
        var (_, answer) = await SendAsync<JsonObject>(HttpMethod.Post, path, request, $"POST {path}", ct).ConfigureAwait(false);
        var token = answer.Str("status", "token");
        if (string.IsNullOrEmpty(token))
        {
            throw new KubeApiException($"POST {path}: the answer holds no status.token");
        }
        var expires = answer.Str("status", "expirationTimestamp") is { } at
            && DateTimeOffset.TryParse(at, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)
            ? parsed
            : (DateTimeOffset?)null;
        return new ServiceAccountToken(token, expires);
    }
}
