using System.Text.Json.Nodes;

namespace Fleet.Kubernetes.Tests;

[Collection(SimCollection.Name)]
public sealed class SimOnlyClientTests
{
    private readonly SimFixture _sim;
    private readonly Applier _applier = new();

    public SimOnlyClientTests(SimFixture sim) => _sim = sim;

    private static ApplyOptions Options(Inventory? previous = null) => new("shop", "team-a") { Previous = previous, Timeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task Tls_KubeSimWithGeneratedCa_IsTrustedOnlyThroughCaData()
    {
        var cluster = _sim.TakeCluster();
        using var trusted = _sim.Client(cluster);
        var ok = await ClusterProbe.ProbeAsync(trusted);
        Assert.True(ok.Ready, ok.Message);
        using var untrusted = new KubeClient(_sim.Connection(cluster) with { CaData = null }, new KubeClientOptions { MaxRetries = 0 });
        var refused = await ClusterProbe.ProbeAsync(untrusted);
        Assert.Equal(ClusterProbe.ReasonTlsError, refused.Reason);
        Assert.DoesNotContain(_sim.Server.Token, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Probe_DownOrWrongToken_GivesReasonWithoutCredential()
    {
        var cluster = _sim.TakeCluster();
        var fast = new KubeClientOptions { MaxRetries = 1, RetryBaseDelay = TimeSpan.FromMilliseconds(5) };
        using var wrong = new KubeClient(_sim.Connection(cluster) with { BearerToken = "not-the-token" }, fast);
        var unauthorized = await ClusterProbe.ProbeAsync(wrong);
        Assert.Equal(ClusterProbe.ReasonUnauthorized, unauthorized.Reason);
        Assert.DoesNotContain("not-the-token", unauthorized.Message, StringComparison.Ordinal);

        using var client = new KubeClient(_sim.Connection(cluster), fast);
        try
        {
            _sim.SetFaults(cluster, new Fleet.KubeSim.ClusterFaults(Down: Fleet.KubeSim.DownMode.Unavailable));
            var unavailable = await ClusterProbe.ProbeAsync(client);
            Assert.Equal(ClusterProbe.ReasonUnreachable, unavailable.Reason);
            Assert.Contains("503", unavailable.Message, StringComparison.Ordinal);

            _sim.SetFaults(cluster, new Fleet.KubeSim.ClusterFaults(Down: Fleet.KubeSim.DownMode.Refuse));
            var refused = await ClusterProbe.ProbeAsync(client);
            Assert.Equal(ClusterProbe.ReasonUnreachable, refused.Reason);
            Assert.DoesNotContain(_sim.Server.Token, refused.Message, StringComparison.Ordinal);
        }
        finally
        {
            _sim.SetFaults(cluster, Fleet.KubeSim.ClusterFaults.None);
        }
        Assert.True((await ClusterProbe.ProbeAsync(client)).Ready);
    }

    [Fact]
    public async Task Wait_DeploymentThatNeverBecomesReady_IsReportedFailedNamingIt()
    {
        using var client = _sim.Client(_sim.TakeCluster());
        var result = await _applier.ApplyAsync(client, [Manifests.Namespace("shop"), Manifests.Deployment("shop", "broken", image: "nginx:fail")],
            Options() with { Wait = true, Timeout = TimeSpan.FromSeconds(30) });
        Assert.False(result.Succeeded);
        var health = result.Health.Single(h => h.Object.Name == "broken");
        Assert.Equal(HealthStatus.Failed, health.Status);
        Assert.Contains("Deployment/shop/broken: progress deadline exceeded", health.Message, StringComparison.Ordinal);
        Assert.Contains(result.Errors, e => e.Contains("Deployment/shop/broken", StringComparison.Ordinal));
        Assert.Equal(2, result.Inventory.Entries.Count); // applied, though unhealthy
    }
}
