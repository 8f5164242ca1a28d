using System.Text.Json.Nodes;

namespace Fleet.Kubernetes.Tests;

/// <summary>
/// Fleet's Kubernetes engine, one suite run against two servers: KubeSim and a real kube-apiserver
/// (<see cref="EngineOnKubeSimTests"/>, <see cref="EngineOnKubeRealTests"/>). Cases where KubeSim still answers unlike
/// a real server are real-server only, with the reason.
/// </summary>
public abstract partial class EngineSuite
{
    protected readonly Applier Applier = new();

    protected abstract bool IsReal { get; }

    /// <summary>A cluster for this test; skips the test when its server is not available.</summary>
    protected abstract TestCluster Take();

    /// <summary>Skips on KubeSim, saying how it differs from a real server.</summary>
    protected void RealServerOnly(string whyKubeSimDiffers) => Skip.IfNot(IsReal, $"real-server only: {whyKubeSimDiffers}");

    protected static ApplyOptions Options(Inventory? previous = null) => new("shop", "team-a") { Previous = previous, Timeout = TimeSpan.FromSeconds(60) };

    [SkippableFact]
    public async Task Apply_TwentyKindsWithCrdAndCustomResources_CreatesAllThenSkipsUnchangedWithoutRequests()
    {
        var cluster = Take();
        using var client = cluster.Client();
        var ns = cluster.Ns("shop");
        var objects = Manifests.Everything(ns);

        var first = await Applier.ApplyAsync(client, objects, Options());
        Assert.True(first.Succeeded, string.Join("\n", first.Errors));
        Assert.Equal(objects.Count, first.Count(ChangeAction.Created));
        Assert.Equal(objects.Count, first.Inventory.Entries.Count);
        Assert.All(first.Inventory.Entries, e => Assert.NotNull(e.ResourceVersion));
        Assert.Equal(22, objects.Select(o => o.Str("kind")).Distinct().Count()); // 20 built-in kinds, the CRD and its Widget kind

        var widget = await client.GetAsync($"{Manifests.WidgetGroup(ns)}/v1", "Widget", ns, "w2");
        Assert.Equal("shop", widget.At("metadata", "labels", FleetLabels.Application));
        Assert.Equal("team-a", widget.At("metadata", "labels", FleetLabels.Namespace));

        var before = client.RequestCount;
        var second = await Applier.ApplyAsync(client, Manifests.Everything(ns), Options(first.Inventory));
        Assert.True(second.Succeeded, string.Join("\n", second.Errors));
        Assert.Equal(objects.Count, second.Count(ChangeAction.Unchanged));
        Assert.Equal(0, client.RequestCount - before);
        Assert.Equal(first.Inventory, second.Inventory);
    }

    [SkippableFact]
    public async Task Apply_ClusterDefinitionsGoFirst_NamespaceBeforeItsObjects()
    {
        var cluster = Take();
        using var client = cluster.Client();
        var ns = cluster.Ns("order");
        // The namespace and the CRD come last in the input; the objects in them must still apply.
        var result = await Applier.ApplyAsync(client,
            [Manifests.Widget(ns, "w", group: Manifests.WidgetGroup(ns)), Manifests.ConfigMap(ns, "c"), Manifests.WidgetCrd(Manifests.WidgetGroup(ns)), Manifests.Namespace(ns)],
            Options());
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        var kinds = result.Changes.Select(c => c.Object.Kind).ToList();
        Assert.True(kinds.IndexOf("Namespace") < kinds.IndexOf("ConfigMap"), string.Join(", ", kinds));
        Assert.True(kinds.IndexOf("CustomResourceDefinition") < kinds.IndexOf("Widget"), string.Join(", ", kinds));
    }

    [SkippableFact]
    public async Task Apply_InvalidObjects_ReportsEveryProblemAndAppliesNothing()
    {
        var cluster = Take();
        using var client = cluster.Client();
        var ns = cluster.Ns("shop");
        var noName = Manifests.ConfigMap(ns, "x");
        noName["metadata"]!.AsObject().Remove("name");
        var noNamespace = Manifests.ConfigMap(ns, "y");
        noNamespace["metadata"]!.AsObject().Remove("namespace");
        var unknownKind = Manifests.Parse(Manifests.Fill("""{"apiVersion":"example.org/v9","kind":"Gadget","metadata":{"name":"g","namespace":"%0%"}}""", ns));
        var good = Manifests.ConfigMap(ns, "fine");

        var result = await Applier.ApplyAsync(client, [Manifests.Namespace(ns), good, noName, noNamespace, unknownKind], Options());

        Assert.False(result.Succeeded);
        var error = Assert.Single(result.Errors);
        Assert.Contains("3 problems", error, StringComparison.Ordinal);
        Assert.Contains("objects[2]", error, StringComparison.Ordinal);
        Assert.Contains("metadata.name is required", error, StringComparison.Ordinal);
        Assert.Contains("objects[3] (ConfigMap/y): metadata.namespace is required", error, StringComparison.Ordinal);
        Assert.Contains("does not serve kind Gadget in example.org/v9", error, StringComparison.Ordinal);
        Assert.Empty(result.Changes);
        Assert.Empty(result.Inventory.Entries);
        Assert.Null(await client.GetAsync("v1", "Namespace", null, ns));
    }

    [SkippableFact]
    public async Task Apply_ChangedAndRemovedObjects_ConfiguresAndPrunesOnlyWhatFleetOwns()
    {
        var cluster = Take();
        using var client = cluster.Client();
        var ns = cluster.Ns("shop");
        var oldNs = cluster.Ns("old-ns");
        var keep = Manifests.ConfigMap(ns, "keep");
        var protectedCm = Manifests.ConfigMap(ns, "protected");
        protectedCm.Obj("metadata").Obj("annotations")[FleetLabels.PruneAnnotation] = "disabled";
        var first = await Applier.ApplyAsync(client,
            [Manifests.Namespace(ns), keep, protectedCm, Manifests.ConfigMap(ns, "gone"), Manifests.ConfigMap(ns, "stolen"), Manifests.Namespace(oldNs)],
            Options());
        Assert.True(first.Succeeded, string.Join("\n", first.Errors));

        // Someone else relabels "stolen": it is no longer Fleet's to delete.
        var relabel = Manifests.Parse(Manifests.Fill("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"stolen","namespace":"%1%","labels":{"%0%":"someone-else"}}}""", FleetLabels.Application, ns));
        await client.ApplyAsync(relabel, new ApplyRequest("someone-else", Force: true));

        var second = await Applier.ApplyAsync(client, [Manifests.Namespace(ns), Manifests.ConfigMap(ns, "keep", "v2")], Options(first.Inventory));
        Assert.True(second.Succeeded, string.Join("\n", second.Errors));
        ChangeAction ActionOf(string name) => second.Changes.Single(c => c.Object.Name == name).Action;
        Assert.Equal(ChangeAction.Configured, ActionOf("keep"));
        Assert.Equal(ChangeAction.Unchanged, ActionOf(ns));
        Assert.Equal(ChangeAction.Deleted, ActionOf("gone"));
        Assert.Equal(ChangeAction.Skipped, ActionOf("protected"));
        Assert.Equal(ChangeAction.Deleted, ActionOf(oldNs));
        Assert.Equal(ChangeAction.Skipped, ActionOf("stolen"));
        Assert.NotNull(await client.GetAsync("v1", "ConfigMap", ns, "stolen"));
        // Namespaces are pruned last.
        Assert.Equal(oldNs, second.Changes.Last(c => c.Action == ChangeAction.Deleted).Object.Name);
        Assert.Null(await client.GetAsync("v1", "ConfigMap", ns, "gone"));
        Assert.NotNull(await client.GetAsync("v1", "ConfigMap", ns, "protected"));
        Assert.Equal(new[] { "keep", ns }.Order(), second.Inventory.Entries.Select(e => e.Name).Order());
    }

    [SkippableFact]
    public async Task Apply_ConflictWithAnotherManager_FailsNamingFieldWithoutForce_TakesOwnershipWithForce()
    {
        var cluster = Take();
        using var client = cluster.Client();
        var ns = cluster.Ns("shop");
        var first = await Applier.ApplyAsync(client, [Manifests.Namespace(ns), Manifests.Deployment(ns, "web", replicas: 2)], Options());
        Assert.True(first.Succeeded, string.Join("\n", first.Errors));

        // Another applier forces replicas to 5 (as an HPA or a human with kubectl apply --force-conflicts would).
        var theirs = Manifests.Parse(Manifests.Fill("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"%0%"},"spec":{"replicas":5}}""", ns));
        await client.ApplyAsync(theirs, new ApplyRequest("ops-team", Force: true));

        var mine = new List<JsonObject> { Manifests.Namespace(ns), Manifests.Deployment(ns, "web", replicas: 3) };
        var refused = await Applier.ApplyAsync(client, mine, Options(first.Inventory));
        Assert.False(refused.Succeeded);
        var error = Assert.Single(refused.Errors);
        Assert.Contains("conflict", error, StringComparison.Ordinal);
        Assert.Contains("replicas", error, StringComparison.Ordinal);
        Assert.Contains("ops-team", error, StringComparison.Ordinal);
        Assert.Equal(5, (await client.GetAsync("apps/v1", "Deployment", ns, "web")).Long("spec", "replicas"));

        var forced = await Applier.ApplyAsync(client, mine, Options(first.Inventory) with { Force = true });
        Assert.True(forced.Succeeded, string.Join("\n", forced.Errors));
        Assert.Equal(ChangeAction.Configured, forced.Changes.Single(c => c.Object.Kind == "Deployment").Action);
        Assert.Equal(3, (await client.GetAsync("apps/v1", "Deployment", ns, "web")).Long("spec", "replicas"));
    }

    [SkippableFact]
    public async Task Apply_ServerRefusal_NamesTheObjectOnce()
    {
        var cluster = Take();
        using var client = cluster.Client();
        var missingNamespace = Manifests.ConfigMap(cluster.Ns("nowhere"), "c");
        var result = await Applier.ApplyAsync(client, [missingNamespace], Options());
        var error = Assert.Single(result.Errors);
        var name = $"ConfigMap/{cluster.Ns("nowhere")}/c";
        Assert.StartsWith($"{name}: 404 NotFound", error, StringComparison.Ordinal);
        Assert.Equal(error.IndexOf(name, StringComparison.Ordinal), error.LastIndexOf(name, StringComparison.Ordinal));
        Assert.DoesNotContain("PATCH", error, StringComparison.Ordinal);
    }
}
