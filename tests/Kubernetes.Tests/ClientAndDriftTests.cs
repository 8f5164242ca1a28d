using System.Text.Json.Nodes;

namespace Fleet.Kubernetes.Tests;

[Collection(SimCollection.Name)]
public sealed class ClientAndDriftTests
{
    private readonly SimFixture _sim;
    private readonly Applier _applier = new();

    public ClientAndDriftTests(SimFixture sim) => _sim = sim;

    private static ApplyOptions Options(Inventory? previous = null) => new("shop", "team-a") { Previous = previous, Timeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task Probe_KubeSim_IsReadyWithVersion()
    {
        using var client = _sim.Client(_sim.TakeCluster());
        var result = await ClusterProbe.ProbeAsync(client);
        Assert.True(result.Ready, result.Message);
        Assert.StartsWith("v1.", result.Version!.GitVersion, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Discovery_FindsBuiltinsAndNewCrdKindsAfterRefresh()
    {
        using var client = _sim.Client(_sim.TakeCluster());
        var all = await client.DiscoverAllAsync();
        Assert.Contains(all, r => r.Kind == "Deployment" && r.Group == "apps" && r.Namespaced && r.Verbs.Contains("patch"));
        Assert.Contains(all, r => r.Kind == "Namespace" && !r.Namespaced);
        Assert.Null(await client.FindResourceAsync("example.com/v1", "Widget"));

        await client.ApplyAsync(Manifests.WidgetCrd());
        var checker = new HealthChecker();
        var crd = new ObjectRef("apiextensions.k8s.io", "v1", "CustomResourceDefinition", null, "widgets.example.com");
        var health = await checker.WaitAsync(client, [crd], TimeSpan.FromSeconds(20));
        Assert.Equal(HealthStatus.Current, Assert.Single(health).Status);

        var widget = await client.FindResourceAsync("example.com/v1", "Widget");
        Assert.NotNull(widget);
        Assert.Equal("widgets", widget.Plural);
        Assert.True(widget.Namespaced);
    }

    [Fact]
    public async Task List_FollowsPagesAndFiltersByLabel()
    {
        using var client = _sim.Client(_sim.TakeCluster());
        await client.ApplyAsync(Manifests.Namespace("paged"));
        for (var i = 0; i < 23; i++)
        {
            var cm = Manifests.ConfigMap("paged", $"cm-{i:D2}");
            cm.Obj("metadata").Obj("labels")["tier"] = i % 2 == 0 ? "even" : "odd";
            await client.ApplyAsync(cm);
        }
        var all = await client.ListAsync("v1", "ConfigMap", "paged", new ListOptions(PageSize: 5));
        Assert.Equal(23, all.Items.Count(i => i.Str("metadata", "name")!.StartsWith("cm-", StringComparison.Ordinal)));
        Assert.All(all.Items, i => Assert.Equal("ConfigMap", i.Str("kind")));
        var even = await client.ListAsync("v1", "ConfigMap", "paged", new ListOptions("tier=even", PageSize: 4));
        Assert.Equal(12, even.Items.Count);
    }

    [Fact]
    public async Task Watch_SeesObjectsCreatedAfterTheList()
    {
        using var client = _sim.Client(_sim.TakeCluster());
        await client.ApplyAsync(Manifests.Namespace("w"));
        var list = await client.ListAsync("v1", "ConfigMap", "w");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var seen = new TaskCompletionSource<WatchEvent>();
        var watching = Task.Run(async () =>
        {
            await foreach (var e in client.WatchAsync("v1", "ConfigMap", "w", list.ResourceVersion, null, TimeSpan.FromSeconds(30), cts.Token))
            {
                if (e.Object.Str("metadata", "name") == "late")
                {
                    seen.TrySetResult(e);
                    return;
                }
            }
        }, cts.Token);
        await client.ApplyAsync(Manifests.ConfigMap("w", "late"));
        var evt = await seen.Task.WaitAsync(cts.Token);
        Assert.Equal("ADDED", evt.Type);
        await cts.CancelAsync();
        await Task.WhenAny(watching);
    }

    [Fact]
    public async Task DryRunApply_ValidatesWithoutPersisting_AndDeleteRemoves()
    {
        using var client = _sim.Client(_sim.TakeCluster());
        await client.ApplyAsync(Manifests.Namespace("d"));
        var dry = await client.ApplyAsync(Manifests.ConfigMap("d", "probe"), new ApplyRequest(DryRun: true));
        Assert.Equal("probe", dry.Object.Str("metadata", "name"));
        Assert.Null(await client.GetAsync("v1", "ConfigMap", "d", "probe"));

        var created = await client.ApplyAsync(Manifests.ConfigMap("d", "real"));
        Assert.True(created.Created);
        Assert.True(await client.DeleteAsync("v1", "ConfigMap", "d", "real", PropagationPolicy.Foreground));
        Assert.False(await client.DeleteAsync("v1", "ConfigMap", "d", "real"));
    }

    [Fact]
    public async Task Errors_CarryTheKubernetesStatus()
    {
        using var client = _sim.Client(_sim.TakeCluster());
        var bad = Manifests.Parse("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","namespace":"does-not-exist"},"data":{"a":"b"}}""");
        var ex = await Assert.ThrowsAsync<KubeApiException>(() => client.ApplyAsync(bad));
        Assert.Equal(404, ex.Code);
        Assert.Equal("NotFound", ex.Status.Reason);
        Assert.Contains("does-not-exist", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Drift_ByAnotherManagerAndByDeletion_IsDetectedWithOneListPerKindAndCorrectedByReapply()
    {
        var cluster = _sim.TakeCluster();
        using var client = _sim.Client(cluster);
        List<JsonObject> Desired() => [Manifests.Namespace("shop"), Manifests.Deployment("shop", "web", replicas: 2), Manifests.ConfigMap("shop", "a"), Manifests.ConfigMap("shop", "b")];
        var applied = await _applier.ApplyAsync(client, Desired(), Options());
        Assert.True(applied.Succeeded, string.Join("\n", applied.Errors));

        var clean = await DriftDetector.DetectAsync(client, applied.Inventory);
        Assert.False(clean.HasDrift, string.Join("; ", clean.Drifted.Select(d => d.Describe())));
        Assert.Equal(3, clean.Requests); // Namespace, Deployment, ConfigMap: one LIST each

        // Another manager changes a field Fleet manages, and an object is deleted behind Fleet's back: with the real kubectl.
        if (!SimFixture.HasKubectl)
        {
            Assert.Fail("kubectl is not installed: /usr/bin/kubectl is needed to edit objects as an independent client");
        }
        var patch = await _sim.KubectlAsync(cluster, "patch", "deployment", "web", "-n", "shop", "--type=merge", "-p", """{"spec":{"replicas":7}}""", "--field-manager=kubectl-patch");
        Assert.True(patch.ExitCode == 0, patch.Output);
        var delete = await _sim.KubectlAsync(cluster, "delete", "configmap", "b", "-n", "shop");
        Assert.True(delete.ExitCode == 0, delete.Output);

        var report = await DriftDetector.DetectAsync(client, applied.Inventory);
        Assert.Equal(3, report.Requests);
        var web = report.Objects.Single(o => o.Object.Name == "web");
        Assert.Equal(DriftState.Drifted, web.State);
        var field = Assert.Single(web.Fields);
        Assert.Equal(".spec.replicas", field.Path);
        Assert.Equal("kubectl-patch", field.Manager);
        Assert.Equal(DriftState.Missing, report.Objects.Single(o => o.Object.Name == "b").State);
        Assert.Equal(DriftState.InSync, report.Objects.Single(o => o.Object.Name == "a").State);

        var corrected = await _applier.ApplyAsync(client, Desired(), Options(report.MarkForReapply(applied.Inventory)) with { Force = true });
        Assert.True(corrected.Succeeded, string.Join("\n", corrected.Errors));
        Assert.Equal(ChangeAction.Created, corrected.Changes.Single(c => c.Object.Name == "b").Action);
        Assert.Equal(ChangeAction.Configured, corrected.Changes.Single(c => c.Object.Name == "web").Action);
        Assert.Equal(2, (await client.GetAsync("apps/v1", "Deployment", "shop", "web")).Long("spec", "replicas"));
        var after = await DriftDetector.DetectAsync(client, corrected.Inventory);
        Assert.False(after.HasDrift, string.Join("; ", after.Drifted.Select(d => d.Describe())));
    }

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
