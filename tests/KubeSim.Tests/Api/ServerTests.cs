using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace Fleet.KubeSim.Tests.Api;

public sealed class ServerTests
{
    [Fact]
    public async Task Tls_ServesWithCertificateSignedByThePublishedCa()
    {
        await using var sim = await KubeSimServer.StartAsync(new KubeSimOptions { Tls = true, Clusters = 1, Token = "t" });
        Assert.Equal("https", sim.BaseUri.Scheme);
        using var ca = X509Certificate2.CreateFromPem(sim.CaCertificatePem!);
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, cert, _, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return cert is not null && chain.Build(cert);
            },
        };
        using var http = new HttpClient(handler);
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "t");
        var r = await http.GetAsync(new Uri(sim.ClusterUri("sim-0001") + "/api/v1/namespaces/default"));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
    }

    [Fact]
    public async Task Start_CreatesNamedClustersAndRejectsBadNames()
    {
        await using var sim = await KubeSimServer.StartAsync(new KubeSimOptions { ClusterNames = ["east", "west"] });
        Assert.Equal(["east", "west"], sim.ClusterNames);
        Assert.Equal($"{sim.BaseUri}clusters/east", sim.ClusterUri("east").ToString());
        Assert.False(sim.CreateCluster("east"));
        Assert.Throws<ArgumentException>(() => sim.CreateCluster("Not_Valid"));
        await Assert.ThrowsAsync<ArgumentException>(() => KubeSimServer.StartAsync(new KubeSimOptions { ClusterNames = ["UPPER"] }));
    }
}
