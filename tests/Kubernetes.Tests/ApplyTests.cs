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
    public async Task Apply_TwentyKindsWithCrdAndCustomResources_CreatesAllThenSkipsUnchangedWithoutRequests()
    {
        var cluster = _sim.TakeCluster();
        using var client = _sim.Client(cluster);
        var objects = Manifests.Everything("shop");

        var first = await _applier.ApplyAsync(client, objects, Options());
        Assert.True(first.Succeeded, string.Join("\n", first.Errors));
        Assert.Equal(objects.Count, first.Count(ChangeAction.Created));
        Assert.Equal(objects.Count, first.Inventory.Entries.Count);
        Assert.All(first.Inventory.Entries, e => Assert.NotNull(e.ResourceVersion));
        Assert.Equal(22, objects.Select(o => o.Str("kind")).Distinct().Count()); // 20 built-in kinds, the CRD and its Widget kind

        var widget = await client.GetAsync("example.com/v1", "Widget", "shop", "w2");
        Assert.Equal("shop", widget.At("metadata", "labels", FleetLabels.Application));
        Assert.Equal("team-a", widget.At("metadata", "labels", FleetLabels.Namespace));

        var before = client.RequestCount;
        var second = await _applier.ApplyAsync(client, Manifests.Everything("shop"), Options(first.Inventory));
        Assert.True(second.Succeeded, string.Join("\n", second.Errors));
        Assert.Equal(objects.Count, second.Count(ChangeAction.Unchanged));
        Assert.Equal(0, client.RequestCount - before);
        Assert.Equal(first.Inventory, second.Inventory);
    }

    [Fact]
    public async Task Apply_InvalidObjects_ReportsEveryProblemAndAppliesNothing()
    {
        var cluster = _sim.TakeCluster();
        using var client = _sim.Client(cluster);
        var noName = Manifests.ConfigMap("shop", "x");
        noName["metadata"]!.AsObject().Remove("name");
        var noNamespace = Manifests.ConfigMap("shop", "y");
        noNamespace["metadata"]!.AsObject().Remove("namespace");
        var unknownKind = Manifests.Parse("""{"apiVersion":"example.org/v9","kind":"Gadget","metadata":{"name":"g","namespace":"shop"}}""");
        var good = Manifests.ConfigMap("shop", "fine");

        var result = await _applier.ApplyAsync(client, [Manifests.Namespace("shop"), good, noName, noNamespace, unknownKind], Options());

        Assert.False(result.Succeeded);
        var error = Assert.Single(result.Errors);
        Assert.Contains("3 problems", error, StringComparison.Ordinal);
        Assert.Contains("objects[2]", error, StringComparison.Ordinal);
        Assert.Contains("metadata.name is required", error, StringComparison.Ordinal);
        Assert.Contains("objects[3] (ConfigMap/y): metadata.namespace is required", error, StringComparison.Ordinal);
        Assert.Contains("does not serve kind Gadget in example.org/v9", error, StringComparison.Ordinal);
        Assert.Empty(result.Changes);
        Assert.Empty(result.Inventory.Entries);
        Assert.Null(await client.GetAsync("v1", "Namespace", null, "shop"));
    }

    [Fact]
    public async Task Apply_ChangedAndRemovedObjects_ConfiguresAndPrunesOnlyWhatFleetOwns()
    {
        var cluster = _sim.TakeCluster();
        using var client = _sim.Client(cluster);
        var keep = Manifests.ConfigMap("shop", "keep");
        var protectedCm = Manifests.ConfigMap("shop", "protected");
        protectedCm.Obj("metadata").Obj("annotations")[FleetLabels.PruneAnnotation] = "disabled";
        var first = await _applier.ApplyAsync(client,
            [Manifests.Namespace("shop"), keep, protectedCm, Manifests.ConfigMap("shop", "gone"), Manifests.ConfigMap("shop", "stolen"), Manifests.Namespace("old-ns")],
            Options());
        Assert.True(first.Succeeded, string.Join("\n", first.Errors));

        // Someone else relabels "stolen": it is no longer Fleet's to delete.
        var relabel = Manifests.Parse(Manifests.Fill("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"stolen","namespace":"shop","labels":{"%0%":"someone-else"}}}""", FleetLabels.Application));
        await client.ApplyAsync(relabel, new ApplyRequest("someone-else", Force: true));

        var second = await _applier.ApplyAsync(client, [Manifests.Namespace("shop"), Manifests.ConfigMap("shop", "keep", "v2")], Options(first.Inventory));
        Assert.True(second.Succeeded, string.Join("\n", second.Errors));
        ChangeAction ActionOf(string name) => second.Changes.Single(c => c.Object.Name == name).Action;
        Assert.Equal(ChangeAction.Configured, ActionOf("keep"));
        Assert.Equal(ChangeAction.Unchanged, ActionOf("shop"));
        Assert.Equal(ChangeAction.Deleted, ActionOf("gone"));
        Assert.Equal(ChangeAction.Skipped, ActionOf("protected"));
        Assert.Equal(ChangeAction.Deleted, ActionOf("old-ns"));
        Assert.Equal(ChangeAction.Skipped, ActionOf("stolen"));
        Assert.NotNull(await client.GetAsync("v1", "ConfigMap", "shop", "stolen"));
        // Namespaces are pruned last.
        Assert.Equal("old-ns", second.Changes.Last(c => c.Action == ChangeAction.Deleted).Object.Name);
        Assert.Null(await client.GetAsync("v1", "ConfigMap", "shop", "gone"));
        Assert.NotNull(await client.GetAsync("v1", "ConfigMap", "shop", "protected"));
        Assert.Equal(["keep", "shop"], second.Inventory.Entries.Select(e => e.Name).Order().ToArray());
    }

    [Fact]
    public async Task Apply_ConflictWithAnotherManager_FailsNamingFieldWithoutForce_TakesOwnershipWithForce()
    {
        var cluster = _sim.TakeCluster();
        using var client = _sim.Client(cluster);
        var first = await _applier.ApplyAsync(client, [Manifests.Namespace("shop"), Manifests.Deployment("shop", "web", replicas: 2)], Options());
        Assert.True(first.Succeeded, string.Join("\n", first.Errors));

        // Another applier forces replicas to 5 (as an HPA or a human with kubectl apply --force-conflicts would).
        var theirs = Manifests.Parse("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"shop"},"spec":{"replicas":5}}""");
        await client.ApplyAsync(theirs, new ApplyRequest("ops-team", Force: true));

        var mine = new List<JsonObject> { Manifests.Namespace("shop"), Manifests.Deployment("shop", "web", replicas: 3) };
        var refused = await _applier.ApplyAsync(client, mine, Options(first.Inventory));
        Assert.False(refused.Succeeded);
        var error = Assert.Single(refused.Errors);
        Assert.Contains("conflict", error, StringComparison.Ordinal);
        Assert.Contains("replicas", error, StringComparison.Ordinal);
        Assert.Equal(5, (await client.GetAsync("apps/v1", "Deployment", "shop", "web")).Long("spec", "replicas"));

        var forced = await _applier.ApplyAsync(client, mine, Options(first.Inventory) with { Force = true });
        Assert.True(forced.Succeeded, string.Join("\n", forced.Errors));
        Assert.Equal(ChangeAction.Configured, forced.Changes.Single(c => c.Object.Kind == "Deployment").Action);
        Assert.Equal(3, (await client.GetAsync("apps/v1", "Deployment", "shop", "web")).Long("spec", "replicas"));
    }

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
