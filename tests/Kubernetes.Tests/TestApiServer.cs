using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Fleet.Kubernetes.Tests;

/// <summary>
/// A tiny HTTP(S) endpoint on a free loopback port, for what KubeSim is not meant to show: TLS trust, client
/// certificates, and servers that answer 429/503 on purpose.
/// </summary>
internal sealed class TestApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;

    private TestApiServer(WebApplication app) => _app = app;

    public Uri Uri { get; private set; } = null!;

    public int Requests => Volatile.Read(ref _requests);

    /// <summary>What the server answers; the request count so far (1-based) is passed in.</summary>
    public Func<HttpContext, int, Task> Handler { get; set; } = (ctx, _) => WriteVersion(ctx);

    public static Task WriteVersion(HttpContext ctx) =>
        ctx.Response.WriteAsJsonAsync(new { major = "1", minor = "32", gitVersion = "v1.32.0-test", platform = "linux/amd64" });

    public static async Task<TestApiServer> StartAsync(X509Certificate2? serverCertificate = null, X509Certificate2? requireClientCa = null,
        string? requireToken = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0, listen =>
        {
            if (serverCertificate is not null)
            {
                listen.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificate = serverCertificate,
                    ClientCertificateMode = requireClientCa is null ? ClientCertificateMode.NoCertificate : ClientCertificateMode.RequireCertificate,
                    ClientCertificateValidation = (cert, _, _) =>
                    {
                        using var chain = new X509Chain();
                        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                        chain.ChainPolicy.CustomTrustStore.Add(requireClientCa!);
                        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                        return chain.Build(cert);
                    },
                });
            }
        }));
        var app = builder.Build();
        var server = new TestApiServer(app);
        app.Run(async ctx =>
        {
            var n = Interlocked.Increment(ref server._requests);
            if (requireToken is not null && ctx.Request.Headers.Authorization.ToString() != $"Bearer {requireToken}")
            {
                ctx.Response.StatusCode = 401;
                await ctx.Response.WriteAsJsonAsync(new { kind = "Status", apiVersion = "v1", status = "Failure", message = "Unauthorized", reason = "Unauthorized", code = 401 });
                return;
            }
            await server.Handler(ctx, n);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Uri = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
