using System.Text.Json.Nodes;
using Fleet.Kubernetes;

namespace Fleet.Infra.Tests;

/// <summary>Fleet deploying Fleet: the rendered infra manifests are valid objects a cluster accepts.</summary>
[Collection(KubeSimCollection.Name)]
public sealed class DeployFleetTests(KubeSimFixture sim)
{
    private readonly Applier _applier = new();

    private static ApplyOptions Options => new("fleet", "fleet-system") { Timeout = TimeSpan.FromSeconds(30) };

    [Theory]
    [InlineData("base")]
    [InlineData("overlays/example")]
    public async Task Apply_RenderedDeployment_CreatesEveryObject(string path)
    {
        using var client = sim.TakeClient();
        var objects = Repo.Objects(path);

        var result = await _applier.ApplyAsync(client, objects, Options);

        await AssertAllCreatedAsync(client, objects, result);
    }

    [Fact]
    public async Task Apply_MonitoringAfterPrometheusRuleCrd_CreatesRuleAndDashboard()
    {
        using var client = sim.TakeClient();
        var crd = PrometheusRuleCrd();
        var monitoring = Repo.Objects("monitoring");
        // The monitoring objects live in the base's namespace.
        var ns = Repo.Objects("base").Where(o => (string?)o["kind"] == "Namespace").ToList();

        var first = await _applier.ApplyAsync(client, [.. crd, .. ns], Options with { Application = "fleet-prereqs" });
        Assert.True(first.Succeeded, string.Join("\n", first.Errors));
        var result = await _applier.ApplyAsync(client, monitoring, Options with { Application = "fleet-monitoring" });

        await AssertAllCreatedAsync(client, monitoring, result);
        Assert.Equal(["ConfigMap", "PrometheusRule"], monitoring.Select(o => (string)o["kind"]!).Order(StringComparer.Ordinal));
    }

    /// <summary>A minimal stand-in for the Prometheus Operator's CRD, which neither KubeSim nor a bare API server has.</summary>
    internal static List<JsonObject> PrometheusRuleCrd() =>
        [.. YamlDocuments.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "testdata", "prometheusrule-crd.yaml"))).Cast<JsonObject>()];

    internal static async Task AssertAllCreatedAsync(KubeClient client, List<JsonObject> objects, ApplyResult result)
    {
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        Assert.Equal(objects.Count, result.Count(ChangeAction.Created));
        foreach (var o in objects)
        {
            var kind = (string)o["kind"]!;
            var name = (string)o["metadata"]!["name"]!;
            var live = await client.GetAsync((string)o["apiVersion"]!, kind, (string?)o["metadata"]!["namespace"], name);
            Assert.True(live is not null, $"{kind}/{name} is not on the cluster after apply");
        }
    }
}
