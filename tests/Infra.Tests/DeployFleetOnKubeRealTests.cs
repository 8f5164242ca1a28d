using Fleet.Kubernetes;

namespace Fleet.Infra.Tests;

/// <summary>
/// Fleet deploying Fleet onto a real kube-apiserver, which validates every field KubeSim takes on trust
/// (probe, security context, disruption budget, RBAC and CRD schemas).
/// </summary>
[Collection(KubeRealCollection.Name)]
public sealed class DeployFleetOnKubeRealTests(KubeRealFixture real)
{
    [SkippableFact]
    public async Task Apply_BaseOverlayAndMonitoring_RealServerAcceptsEveryObject()
    {
        using var client = real.Client();
        var applier = new Applier();
        var options = new ApplyOptions("fleet", "fleet-system") { Timeout = TimeSpan.FromSeconds(60) };

        foreach (var path in new[] { "base", "overlays/example" })
        {
            var objects = Repo.Objects(path);
            var result = await applier.ApplyAsync(client, objects, options with { Application = "fleet-" + path.Replace('/', '-') });
            await DeployFleetTests.AssertAllCreatedAsync(client, objects, result);
        }

        var crd = await applier.ApplyAsync(client, DeployFleetTests.PrometheusRuleCrd(), options with { Application = "prometheus-crds" });
        Assert.True(crd.Succeeded, string.Join("\n", crd.Errors));

        // A real server publishes a new CRD's kind in discovery a moment after the CRD is Established.
        for (var attempt = 0; await client.FindResourceAsync("monitoring.coreos.com/v1", "PrometheusRule") is null && attempt < 60; attempt++)
        {
            await Task.Delay(500);
        }

        var monitoring = Repo.Objects("monitoring");
        var applied = await applier.ApplyAsync(client, monitoring, options with { Application = "fleet-monitoring" });
        await DeployFleetTests.AssertAllCreatedAsync(client, monitoring, applied);
    }
}
