using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Fleet.Kubernetes.Tests;

/// <summary>Connections KubernetesClient builds, against the real kube-apiserver: its kubeconfig file, and a client certificate its CA signed.</summary>
[Collection(KubeRealCollection.Name)]
public sealed class KubeRealConnectionTests(KubeRealFixture real)
{
    [SkippableFact]
    public async Task Kubeconfig_OfTheRealServer_ConnectsThroughItsContext()
    {
        Skip.If(real.SkipReason is not null, real.SkipReason);
        var connection = ClusterConnection.FromKubeconfig(await File.ReadAllTextAsync(real.Kubeconfig), "kube-real");
        Assert.Equal("token", connection.AuthKind);
        using var client = new KubeClient(connection);
        var probe = await ClusterProbe.ProbeAsync(client);
        Assert.True(probe.Ready, probe.Message);
        Assert.StartsWith("Kubernetes v1.32.", probe.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task ClientCertificate_SignedByTheServersCa_Authenticates_AnotherIsRefused()
    {
        Skip.If(real.SkipReason is not null, real.SkipReason);
        using var ca = X509Certificate2.CreateFromPemFile(real.CaFile, Path.Combine(Path.GetDirectoryName(real.CaFile)!, "ca.key"));
        var (certPem, keyPem) = Issue(ca);
        using var client = new KubeClient(new ClusterConnection(real.Server, real.CaPem, false, null, certPem, keyPem));
        var probe = await ClusterProbe.ProbeAsync(client);
        Assert.True(probe.Ready, probe.Message);
        Assert.NotEmpty((await client.ListAsync("v1", "Namespace", null)).Items);

        using var other = new TestCertificates("Not The Cluster CA");
        using var stranger = new KubeClient(new ClusterConnection(real.Server, real.CaPem, false, null, other.ClientCertPem, other.ClientKeyPem),
            new KubeClientOptions { MaxRetries = 0 });
        Assert.Equal(ClusterProbe.ReasonUnauthorized, (await ClusterProbe.ProbeAsync(stranger)).Reason);
    }

    private static (string Cert, string Key) Issue(X509Certificate2 ca)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=fleet-test, O=system:masters", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var cert = request.Create(ca, ca.NotBefore, DateTimeOffset.UtcNow.AddHours(1), serial);
        return (cert.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }
}
