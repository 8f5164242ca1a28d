namespace Fleet.Kubernetes;

/// <summary>Outcome of probing a cluster. <see cref="Reason"/> is one of <see cref="ClusterProbe"/>'s reasons when not ready.</summary>
public sealed record ProbeResult(bool Ready, string Reason, string Message, ServerVersion? Version);

/// <summary><c>GET /version</c> → Ready with the version, or Unreachable / Unauthorized / TLSError with the last error.</summary>
public static class ClusterProbe
{
    public const string ReasonReady = "Ready";
    public const string ReasonUnreachable = "Unreachable";
    public const string ReasonUnauthorized = "Unauthorized";
    public const string ReasonTlsError = "TLSError";

    public static async Task<ProbeResult> ProbeAsync(KubeClient client, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        try
        {
            var version = await client.GetVersionAsync(ct).ConfigureAwait(false);
            return new ProbeResult(true, ReasonReady, $"Kubernetes {version.GitVersion}", version);
        }
        catch (KubeConnectionException ex)
        {
            return Failed(client, ex.Failure == ConnectionFailure.Tls ? ReasonTlsError : ReasonUnreachable, ex.Message);
        }
        catch (KubeApiException ex) when (ex.Code is 401 or 403)
        {
            return Failed(client, ReasonUnauthorized, ex.Message);
        }
        catch (KubeApiException ex)
        {
            return Failed(client, ReasonUnreachable, ex.Message);
        }
    }

    /// <summary>Builds a failed result; the credential is masked should a server ever echo it back.</summary>
    private static ProbeResult Failed(KubeClient client, string reason, string message)
    {
        var token = client.Connection.BearerToken;
        if (!string.IsNullOrEmpty(token))
        {
            message = message.Replace(token, "***", StringComparison.Ordinal);
        }
        return new ProbeResult(false, reason, message, null);
    }
}
