using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;
using k8s.Authentication;
using Microsoft.Extensions.Logging;

namespace Fleet.Kubernetes;

/// <summary>
/// What a kubeconfig may ask of the process that reads it. Both are off by default: a tenant's kubeconfig must not
/// make the control plane run programs or read its files. The operator turns them on for kubeconfigs it trusts
/// (cloud clusters: EKS, GKE and AKS kubeconfigs all use exec plugins).
/// </summary>
public sealed record KubeconfigOptions
{
    public static KubeconfigOptions Default { get; } = new();

    /// <summary>Run <c>users[].user.exec</c> credential plugins.</summary>
    public bool AllowExecPlugins { get; init; }

    /// <summary>Read <c>tokenFile</c>, <c>client-certificate</c>, <c>client-key</c> and <c>certificate-authority</c> files.</summary>
    public bool AllowFileReferences { get; init; }
}

public sealed partial record ClusterConnection
{
    /// <summary>
    /// The <c>KubernetesClientConfiguration</c> for this connection: built by KubernetesClient from the kubeconfig when
    /// there is one (contexts, exec plugins, file references), from the fields otherwise. Server trust stays Fleet's
    /// (see <see cref="ValidateServerCertificate"/>), and so does a token file (see <see cref="FileTokenProvider"/>).
    /// </summary>
    internal KubernetesClientConfiguration ToConfiguration(KubeClientOptions options, TlsRejections tls, ILogger logger)
    {
        KubernetesClientConfiguration config;
        X509Certificate2Collection roots;
        if (Kubeconfig is not null)
        {
            using var stream = new MemoryStream(Encoding.UTF8.GetBytes(Kubeconfig));
            var model = KubernetesClientConfiguration.LoadKubeConfig(stream);
            if (TokenFile is not null)
            {
                // KubernetesClient's kubeconfig model has no tokenFile and would find the user without credentials:
                // stand a placeholder in for the token, which the token-file provider set below replaces.
                var userName = model.Contexts.FirstOrDefault(c => c.Name == KubeconfigContext)?.ContextDetails?.User;
                var user = model.Users?.FirstOrDefault(u => u.Name == userName)?.UserCredentials;
                if (user is not null)
                {
                    user.Token = "token-file";
                }
            }
            // Runs the exec plugin once here (FromKubeconfig allowed it), then again whenever its token expires.
            config = KubernetesClientConfiguration.BuildConfigFromConfigObject(model, KubeconfigContext, Server);
            roots = CaData is not null ? CaCertificates() : config.SslCaCerts ?? [];
        }
        else
        {
            config = new KubernetesClientConfiguration { Host = Server, AccessToken = BearerToken };
            if (ClientCertificatePem is not null && ClientKeyPem is not null)
            {
                config.ClientCertificateData = Convert.ToBase64String(Encoding.UTF8.GetBytes(ClientCertificatePem));
                config.ClientCertificateKeyData = Convert.ToBase64String(Encoding.UTF8.GetBytes(ClientKeyPem));
            }
            roots = CaCertificates();
        }
        config.Host = Server;
        config.UserAgent = "fleet";
        config.SkipTlsVerify = InsecureSkipTlsVerify;
        config.TlsServerName = TlsServerName;
        // Fleet validates the server certificate itself; given CAs, the library would install its own callback.
        config.SslCaCerts = null;
        if (TokenFile is not null && BearerToken is null)
        {
            config.AccessToken = null;
            config.TokenProvider = new FileTokenProvider(TokenFile);
        }
        var server = new Uri(Server);
        config.FirstMessageHandlerSetup = handler =>
        {
            handler.MaxConnectionsPerServer = options.MaxConnections;
            handler.PooledConnectionIdleTimeout = options.IdleConnectionTimeout;
            handler.PooledConnectionLifetime = TimeSpan.FromMinutes(10);
            handler.ConnectTimeout = options.RequestTimeout;
            handler.KeepAlivePingDelay = TimeSpan.FromSeconds(30);
            handler.KeepAlivePingTimeout = TimeSpan.FromSeconds(15);
            handler.AutomaticDecompression = DecompressionMethods.GZip;
            handler.UseProxy = false;
            if (TlsServerName is not null)
            {
                handler.SslOptions.TargetHost = TlsServerName;
            }
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                ValidateServerCertificate(InsecureSkipTlsVerify, roots, certificate, chain, errors, reason =>
                {
                    tls.Last = reason;
                    Log.CertificateRejected(logger, server, reason);
                });
        };
        return config;
    }

    /// <summary>
    /// Trust only the given roots when a CA bundle is set (as kubectl does with certificate-authority-data), the system
    /// store otherwise, and anything only when insecureSkipTLSVerify is set. By hand because KubernetesClient's callback
    /// also accepts certificates the system store trusts when a CA is given, and says nothing of why it refused one.
    /// </summary>
    private static bool ValidateServerCertificate(bool insecure, X509Certificate2Collection roots, X509Certificate? certificate,
        X509Chain? presented, SslPolicyErrors errors, Action<string> rejected)
    {
        bool Reject(string reason)
        {
            rejected(reason);
            return false;
        }
        if (insecure)
        {
            return true;
        }
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            return Reject("no certificate presented");
        }
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            return Reject("the certificate does not name this server");
        }
        if (roots.Count == 0)
        {
            return errors == SslPolicyErrors.None || Reject("not trusted by the system roots (set caData)");
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }
        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        if (chain.Build(leaf))
        {
            return true;
        }
        var status = string.Join(", ", chain.ChainStatus.Select(s => s.Status.ToString()).Distinct());
        return Reject($"not signed by the configured CA ({status})");
    }
}

/// <summary>
/// A bearer token read from a file and read again as soon as the file changes. By hand because KubernetesClient's
/// <c>TokenFileAuth</c> keeps a token for a minute by the wall clock whatever happens to the file, so a rotated token
/// is not used until then; checking the file's time and size costs one stat per request.
/// </summary>
internal sealed class FileTokenProvider(string path) : ITokenProvider
{
    private readonly Lock _gate = new();
    private (DateTime Written, long Length) _stamp;
    private string? _token;

    public async Task<AuthenticationHeaderValue> GetAuthenticationHeaderAsync(CancellationToken cancellationToken)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new k8s.Exceptions.KubeConfigException($"token file {path} does not exist");
        }
        var stamp = (info.LastWriteTimeUtc, info.Length);
        string? token;
        lock (_gate)
        {
            token = _stamp == stamp ? _token : null;
        }
        if (token is null)
        {
            token = (await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false)).Trim();
            lock (_gate)
            {
                (_stamp, _token) = (stamp, token);
            }
        }
        return new AuthenticationHeaderValue("Bearer", token);
    }
}
