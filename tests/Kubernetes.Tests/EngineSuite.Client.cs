namespace Fleet.Kubernetes.Tests;

public abstract partial class EngineSuite
{
    [SkippableFact]
    public async Task Probe_IsReadyWithVersion()
    {
        using var client = Take().Client();
        var result = await ClusterProbe.ProbeAsync(client);
        Assert.True(result.Ready, result.Message);
        Assert.StartsWith("v1.", result.Version!.GitVersion, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Discovery_FindsBuiltinsAndNewCrdKindsAfterRefresh()
    {
        var cluster = Take();
        using var client = cluster.Client();
        var group = Manifests.WidgetGroup(cluster.Ns("discovery"));
        var all = await client.DiscoverAllAsync();
        Assert.Contains(all, r => r.Kind == "Deployment" && r.Group == "apps" && r.Namespaced && r.Verbs.Contains("patch"));
        Assert.Contains(all, r => r.Kind == "Namespace" && !r.Namespaced);
        Assert.Null(await client.FindResourceAsync($"{group}/v1", "Widget"));

        await client.ApplyAsync(Manifests.WidgetCrd(group));
        var checker = new HealthChecker();
        var crd = new ObjectRef("apiextensions.k8s.io", "v1", "CustomResourceDefinition", null, $"widgets.{group}");
        var health = await checker.WaitAsync(client, [crd], TimeSpan.FromSeconds(20));
        Assert.Equal(HealthStatus.Current, Assert.Single(health).Status);

        // A real server publishes a new CRD's kind in discovery a moment after the CRD is Established.
        var widget = await client.FindResourceAsync($"{group}/v1", "Widget");
        for (var attempt = 0; widget is null && attempt < 60; attempt++)
        {
            await Task.Delay(500);
            widget = await client.FindResourceAsync($"{group}/v1", "Widget");
        }

        Assert.NotNull(widget);
        Assert.Equal("widgets", widget.Plural);
        Assert.True(widget.Namespaced);
        Assert.True(await client.DeleteAsync("apiextensions.k8s.io/v1", "CustomResourceDefinition", null, $"widgets.{group}"));
    }

    [SkippableFact]
    public async Task List_FollowsPagesAndFiltersByLabel()
    {
        var cluster = Take();
        using var client = cluster.Client();
        var ns = cluster.Ns("paged");
        await client.ApplyAsync(Manifests.Namespace(ns));
        for (var i = 0; i < 23; i++)
        {
            var cm = Manifests.ConfigMap(ns, $"cm-{i:D2}");
            cm.Obj("metadata").Obj("labels")["tier"] = i % 2 == 0 ? "even" : "odd";
            await client.ApplyAsync(cm);
        }
        var all = await client.ListAsync("v1", "ConfigMap", ns, new ListOptions(PageSize: 5));
        Assert.Equal(23, all.Items.Count(i => i.Str("metadata", "name")!.StartsWith("cm-", StringComparison.Ordinal)));
        Assert.All(all.Items, i => Assert.Equal("ConfigMap", i.Str("kind")));
        var even = await client.ListAsync("v1", "ConfigMap", ns, new ListOptions("tier=even", PageSize: 4));
        Assert.Equal(12, even.Items.Count);
    }

    [SkippableFact]
    public async Task Watch_SeesObjectsCreatedAfterTheList()
    {
        var cluster = Take();
        using var client = cluster.Client();
        var ns = cluster.Ns("w");
        await client.ApplyAsync(Manifests.Namespace(ns));
        var list = await client.ListAsync("v1", "ConfigMap", ns);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var seen = new TaskCompletionSource<WatchEvent>();
        var watching = Task.Run(async () =>
        {
            await foreach (var e in client.WatchAsync("v1", "ConfigMap", ns, list.ResourceVersion, null, TimeSpan.FromSeconds(30), cts.Token))
            {
                if (e.Object.Str("metadata", "name") == "late")
                {
                    seen.TrySetResult(e);
                    return;
                }
            }
        }, cts.Token);
        await client.ApplyAsync(Manifests.ConfigMap(ns, "late"));
        var evt = await seen.Task.WaitAsync(cts.Token);
        Assert.Equal("ADDED", evt.Type);
        Assert.Equal("ConfigMap", evt.Object.Str("kind"));
        await cts.CancelAsync();
        await Task.WhenAny(watching);
    }

    [SkippableFact]
    public async Task DryRunApply_ValidatesWithoutPersisting_AndDeleteRemoves()
    {
        var cluster = Take();
        using var client = cluster.Client();
        var ns = cluster.Ns("d");
        await client.ApplyAsync(Manifests.Namespace(ns));
        var dry = await client.ApplyAsync(Manifests.ConfigMap(ns, "probe"), new ApplyRequest(DryRun: true));
        Assert.Equal("probe", dry.Object.Str("metadata", "name"));
        Assert.Null(await client.GetAsync("v1", "ConfigMap", ns, "probe"));

        var created = await client.ApplyAsync(Manifests.ConfigMap(ns, "real"));
        Assert.True(created.Created);
        Assert.True(await client.DeleteAsync("v1", "ConfigMap", ns, "real", PropagationPolicy.Foreground));
        // Foreground deletion finishes when the garbage collector has removed the dependents (none here).
        await Fleet.TestSupport.Eventually.WaitAsync(async () => await client.GetAsync("v1", "ConfigMap", ns, "real") is null, "ConfigMap deleted");
        Assert.False(await client.DeleteAsync("v1", "ConfigMap", ns, "real"));
    }

    [SkippableFact]
    public async Task Errors_CarryTheKubernetesStatus()
    {
        var cluster = Take();
        using var client = cluster.Client();
        var bad = Manifests.ConfigMap(cluster.Ns("does-not-exist"), "x");
        var ex = await Assert.ThrowsAsync<KubeApiException>(() => client.ApplyAsync(bad));
        Assert.Equal(404, ex.Code);
        Assert.Equal("NotFound", ex.Status.Reason);
        Assert.Contains(cluster.Ns("does-not-exist"), ex.Message, StringComparison.Ordinal);
    }
}
