using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleet.Gateway.Grpc.V1;
using Fleet.Grpc.Tests.Support;
using Grpc.Core;
using Grpc.Net.Client;

namespace Fleet.Grpc.Tests;

/// <summary>A gateway whose gRPC port has a certificate (PEM files): it speaks TLS there, and nothing in clear.</summary>
public sealed class TlsFleet : GrpcFleet
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fleet-grpc-tls-").FullName;
    private readonly X509Certificate2 _certificate;

    public TlsFleet()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(Path.Combine(_directory, "tls.crt"), _certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(_directory, "tls.key"), key.ExportPkcs8PrivateKeyPem());
    }

    public string Thumbprint => _certificate.Thumbprint;

    protected override string[] ExtraArguments =>
        [$"--Fleet:Grpc:Certificate:Path={Path.Combine(_directory, "tls.crt")}", $"--Fleet:Grpc:Certificate:KeyPath={Path.Combine(_directory, "tls.key")}"];

    /// <summary>Trusts exactly this certificate, as a client given the server's CA would.</summary>
    protected override GrpcChannelOptions ChannelOptions => new()
    {
        HttpHandler = new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && cert.GetCertHashString() == Thumbprint },
        },
    };

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _certificate.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}

public sealed class TlsTests(TlsFleet fleet) : IClassFixture<TlsFleet>
{
    [Fact]
    public async Task ConfiguredCertificate_ServesGrpcOverTls()
    {
        Assert.Equal("https", fleet.GrpcAddress.Scheme);

        var created = await fleet.Client.ApplyAsync(new ApplyRequest { Object = GrpcFleet.Cluster("tls", "east", "prod") }, GrpcFleet.As(fleet.AdminToken));

        Assert.True(created.Created);
    }

    [Fact]
    public async Task ConfiguredCertificate_RefusesCleartext()
    {
        using var clear = GrpcChannel.ForAddress(new UriBuilder(fleet.GrpcAddress) { Scheme = "http" }.Uri);

        var ex = await Assert.ThrowsAsync<RpcException>(() => new Fleet.Gateway.Grpc.V1.Fleet.FleetClient(clear).GetAsync(new GetRequest { Kind = Kind.Cluster, Namespace = "tls", Name = "east" }, GrpcFleet.As(fleet.AdminToken)).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
    }
}
