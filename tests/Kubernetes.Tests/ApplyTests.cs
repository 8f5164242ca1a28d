using System.Text.Json.Nodes;
using Fleet.KubeSim;

namespace Fleet.Kubernetes.Tests;

[Collection(SimCollection.Name)]
public sealed class ApplyTests
{
    private readonly SimFixture _sim;
    private readonly Applier _applier = new();

    public ApplyTests(SimFixture sim) => _sim = sim;

    private static ApplyOptions Options(Inventory? previous = null) => new("shop", "team-a") { Previous = previous, Timeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task Apply_ClusterFailingThirtyPercentOfWrites_RetriesFinishTheJob()
    {
        var cluster = _sim.TakeCluster();
        _sim.SetFaults(cluster, new ClusterFaults(WriteFailureRate: 0.3));
        using var client = _sim.Client(cluster, new KubeClientOptions { MaxRetries = 8, RetryBaseDelay = TimeSpan.FromMilliseconds(5), MaxRetryDelay = TimeSpan.FromMilliseconds(50) });
        var objects = new List<JsonObject> { Manifests.Namespace("shop") };
        objects.AddRange(Enumerable.Range(0, 40).Select(i => Manifests.ConfigMap("shop", $"cm-{i}")));

        var result = await _applier.ApplyAsync(client, objects, Options());

        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        Assert.Equal(41, result.Count(ChangeAction.Created));
        // KubeSim counts only the writes it served; the client counts every attempt, so retries show as the difference.
        Assert.Equal(41, _sim.Stats(cluster).Requests.GetValueOrDefault("apply"));
        Assert.True(client.RequestCount > 41 + 3, $"expected retried writes, the client sent {client.RequestCount} requests");
        _sim.SetFaults(cluster, ClusterFaults.None);
        Assert.Equal(40, (await client.ListAsync("v1", "ConfigMap", "shop", new ListOptions(FleetLabels.Selector("shop", "team-a")))).Items.Count);
    }

    [Fact]
    public async Task Apply_ClusterDown_ClearErrorAndNothingRecordedAsApplied()
    {
        var cluster = _sim.TakeCluster();
        using var client = _sim.Client(cluster, new KubeClientOptions { MaxRetries = 1, RetryBaseDelay = TimeSpan.FromMilliseconds(5), RequestTimeout = TimeSpan.FromSeconds(5) });
        var first = await _applier.ApplyAsync(client, [Manifests.Namespace("shop"), Manifests.ConfigMap("shop", "a")], Options());
        Assert.True(first.Succeeded, string.Join("\n", first.Errors));

        _sim.SetFaults(cluster, new ClusterFaults(Down: DownMode.Refuse));
        var changed = new List<JsonObject> { Manifests.Namespace("shop"), Manifests.ConfigMap("shop", "a", "v2"), Manifests.ConfigMap("shop", "b") };
        var result = await _applier.ApplyAsync(client, changed, Options(first.Inventory));
        _sim.SetFaults(cluster, ClusterFaults.None);

        Assert.False(result.Succeeded);
        Assert.Contains(result.Errors, e => e.Contains(client.Server.Authority, StringComparison.Ordinal));
        Assert.DoesNotContain(result.Changes, c => c.Action is ChangeAction.Created or ChangeAction.Configured or ChangeAction.Deleted);
        Assert.Equal(first.Inventory, result.Inventory);
    }

    [Fact]
    public async Task Apply_WithWait_ReportsHealthOnceWorkloadsAreReady()
    {
        var cluster = _sim.TakeCluster();
        using var client = _sim.Client(cluster);
        var result = await _applier.ApplyAsync(client, [Manifests.Namespace("shop"), Manifests.Deployment("shop", "web", replicas: 2), Manifests.ConfigMap("shop", "c")],
            Options() with { Wait = true });
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        Assert.All(result.Health, h => Assert.Equal(HealthStatus.Current, h.Status));
        Assert.Contains(result.Health, h => h.Message.Contains("Deployment/shop/web: 2 of 2 replicas ready", StringComparison.Ordinal));
    }
}
