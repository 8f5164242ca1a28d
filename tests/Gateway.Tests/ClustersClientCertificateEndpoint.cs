using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Fleet.Gateway.Tests;

/// <summary>
/// KubeSim authenticates by bearer token only, so client certificates are checked against this tiny HTTPS endpoint:
/// a generated CA signs its serving certificate and one client certificate; <c>GET /version</c> answers only a
/// client that presents a certificate issued by that CA, and 401 (a Kubernetes Status) otherwise.
/// </summary>
internal sealed class ClustersClientCertificateEndpoint : IAsyncDisposable
{
    public const string GitVersion = "v1.32.7-mtls";
    private readonly WebApplication _app;
    private readonly X509Certificate2 _ca;

    private ClustersClientCertificateEndpoint(WebApplication app, X509Certificate2 ca, Uri uri, string caPem, string clientCertPem, string clientKeyPem)
    {
        _app = app;
        _ca = ca;
        Uri = uri;
        CaPem = caPem;
        ClientCertificatePem = clientCertPem;
        ClientKeyPem = clientKeyPem;
    }

    public Uri Uri { get; }

    public string CaPem { get; }

    public string ClientCertificatePem { get; }

    public string ClientKeyPem { get; }

    public static async Task<ClustersClientCertificateEndpoint> StartAsync()
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=fleet-test-ca", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=127.0.0.1", serverKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        serverRequest.CertificateExtensions.Add(san.Build());
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var serverPublic = serverRequest.Create(ca, now.AddMinutes(-5), now.AddDays(1), RandomNumberGenerator.GetBytes(8));
        // Kestrel needs the key in the certificate's own store form; a PKCS#12 round trip gives it that.
        var server = X509CertificateLoader.LoadPkcs12(serverPublic.CopyWithPrivateKey(serverKey).Export(X509ContentType.Pkcs12), null);

        using var clientKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var clientRequest = new CertificateRequest("CN=fleet-admin, O=system:masters", clientKey, HashAlgorithmName.SHA256);
        clientRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var client = clientRequest.Create(ca, now.AddMinutes(-5), now.AddDays(1), RandomNumberGenerator.GetBytes(8));

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificate = server,
            ClientCertificateMode = ClientCertificateMode.AllowCertificate,
            // The chain is checked in the handler, so that a wrong or missing certificate is a 401 as from an API server.
            ClientCertificateValidation = (_, _, _) => true,
        })));
        var app = builder.Build();
        var trusted = X509CertificateLoader.LoadCertificate(ca.RawData);
        app.MapGet("/version", (HttpContext http) =>
        {
            var presented = http.Connection.ClientCertificate;
            if (presented is null || !IssuedBy(presented, trusted))
            {
                return Results.Json(new { kind = "Status", apiVersion = "v1", status = "Failure", message = "Unauthorized", reason = "Unauthorized", code = 401 }, statusCode: 401);
            }
            return Results.Json(new { major = "1", minor = "32", gitVersion = GitVersion, platform = "linux/amd64" });
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new ClustersClientCertificateEndpoint(app, trusted, new Uri(address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal)),
            ca.ExportCertificatePem(), client.ExportCertificatePem(), clientKey.ExportPkcs8PrivateKeyPem());
    }

    private static bool IssuedBy(X509Certificate2 presented, X509Certificate2 ca)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(presented);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _ca.Dispose();
    }
}
