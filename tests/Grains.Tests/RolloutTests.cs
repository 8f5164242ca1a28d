using Fleet.Grains.Tests.Support;
using Fleet.Gateway.Tests.Support;
using Fleet.KubeSim;

namespace Fleet.Grains.Tests;

/// <summary>Rollout waves, failures that halt them, unreachable clusters, dependencies and suspension, end to end.</summary>
public sealed class RolloutTests : IAsyncLifetime
{
    private FleetEnvironment _env = null!;

    public async Task InitializeAsync() => _env = await FleetEnvironment.StartAsync();

    public async Task DisposeAsync() => await _env.DisposeAsync();

    private string? ImageOn(string cluster) => FleetEnvironment.Image(_env.Get(cluster, FleetEnvironment.DeploymentPath));

    private async Task CommitAsync(string image)
    {
        _env.WriteExample(image);
        _env.Repo.Commit("image " + image);
        await _env.FetchNowAsync();
    }

    [Fact]
    public async Task FailingImage_HaltsAfterFirstWave_OthersKeepOldRevision_RevertHealsAll()
    {
        await _env.PutAsync("applications/web", FleetEnvironment.Application(extra: "  rollout:\n    maxUnavailable: \"2\"\n    pauseOnFailure: true"));
        await _env.WaitAsync(() => FleetEnvironment.Prod.All(c => ImageOn(c) == "nginx:1.25"), "first revision everywhere, wave by wave");
        await _env.WaitAsync(async () => SiloHost.Condition(await _env.ApplicationAsync(), "Ready") == "True", "the application Ready");

        await CommitAsync("nginx:fail");

        var firstWave = FleetEnvironment.Prod.Order(StringComparer.Ordinal).Take(2).ToList();
        await _env.WaitAsync(async () => SiloHost.Condition(await _env.ApplicationAsync(), "Stalled") == "True", "the rollout halts");
        var app = await _env.ApplicationAsync();
        Assert.Equal("HealthCheckFailed", SiloHost.Condition(app, "Ready", "reason"));
        Assert.True(app["status"]!["rollout"]!["paused"]!.GetValue<bool>());
        Assert.All(firstWave, c => Assert.Equal("nginx:fail", ImageOn(c)));
        Assert.All(FleetEnvironment.Prod.Except(firstWave), c => Assert.Equal("nginx:1.25", ImageOn(c)));

        _env.Repo.Git("revert", "--no-edit", "HEAD");
        await _env.FetchNowAsync();

        await _env.WaitAsync(() => FleetEnvironment.Prod.All(c => ImageOn(c) == "nginx:1.25"), "the revert everywhere");
        await _env.WaitAsync(async () => SiloHost.Condition(await _env.ApplicationAsync(), "Ready") == "True", "the application Ready again");
        Assert.Null(SiloHost.Condition(await _env.ApplicationAsync(), "Stalled"));
    }

    [Fact]
    public async Task UnreachableCluster_ReportsItsError_OthersProceed_AndItCatchesUp()
    {
        await _env.PutAsync("applications/web", FleetEnvironment.Application());
        await _env.WaitAsync(() => FleetEnvironment.Prod.All(c => ImageOn(c) == "nginx:1.25"), "first revision everywhere");

        _env.Sim.SetFaults("sim-0003", new ClusterFaults(DownMode.Refuse));
        await CommitAsync("nginx:1.27");

        await _env.WaitAsync(() => FleetEnvironment.Prod.Where(c => c != "sim-0003").All(c => ImageOn(c) == "nginx:1.27"), "the others proceed");
        await _env.WaitAsync(async () => await _env.PlacementReadyAsync("web~sim-0003") == "False", "sim-0003 reports its error");
        Assert.Equal("nginx:1.25", ImageOn("sim-0003"));

        _env.Sim.SetFaults("sim-0003", ClusterFaults.None);
        await _env.WaitAsync(() => ImageOn("sim-0003") == "nginx:1.27", "sim-0003 catches up");
    }

    [Fact]
    public async Task DependsOn_OrdersApplications_SuspendStopsChanges_ResumeResumes()
    {
        _env.Repo.Write("infra/namespace.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: infra\n  namespace: default\ndata:\n  ready: \"yes\"\n");
        _env.Repo.Commit("infra");
        await _env.FetchNowAsync();

        // The dependent first: it must wait for its dependency on every cluster.
        await _env.PutAsync("applications/web", FleetEnvironment.Application(extra: "  dependsOn:\n  - name: infra"));
        await _env.WaitAsync(async () => await _env.PlacementReadyAsync("web~sim-0001", "reason") == "DependencyNotReady", "web waits for infra");
        Assert.Null(_env.Get("sim-0001", FleetEnvironment.DeploymentPath));

        await _env.PutAsync("applications/infra", FleetEnvironment.Application("infra").Replace("overlays/prod-us", "infra", StringComparison.Ordinal).Replace("overlays/prod", "infra", StringComparison.Ordinal));
        await _env.WaitAsync(() => FleetEnvironment.Prod.All(c => ImageOn(c) == "nginx:1.25"), "web follows once infra is ready");
        Assert.All(FleetEnvironment.Prod, c => Assert.NotNull(_env.Get(c, "/api/v1/namespaces/default/configmaps/infra")));

        await _env.PutAsync("applications/web", FleetEnvironment.Application(extra: "  dependsOn:\n  - name: infra\n  suspend: true"));
        await _env.WaitAsync(async () => SiloHost.Condition(await _env.ApplicationAsync(), "Ready", "reason") == "Suspended", "web suspended");
        await CommitAsync("nginx:1.27");
        await _env.WaitAsync(async () => (await _env.Silo.GetJsonAsync("api/v1/namespaces/team-a/gitrepositories/repo"))["status"]!["artifact"]!["revision"]!.GetValue<string>().EndsWith(_env.Repo.Git("rev-parse", "HEAD").Trim(), StringComparison.Ordinal), "the source has the new commit");
        _env.Sim.EditAsManager("sim-0001", FleetEnvironment.DeploymentPath, """{"spec":{"replicas":3}}""", "kubectl-scale");
        // Suspended: neither the new revision nor drift correction reaches the clusters. Give it several intervals.
        await Task.Delay(TimeSpan.FromSeconds(6));
        Assert.All(FleetEnvironment.Prod, c => Assert.Equal("nginx:1.25", ImageOn(c)));
        Assert.Equal(3, _env.Get("sim-0001", FleetEnvironment.DeploymentPath)!["spec"]!["replicas"]!.GetValue<int>());

        await _env.PutAsync("applications/web", FleetEnvironment.Application(extra: "  dependsOn:\n  - name: infra"));
        await _env.WaitAsync(() => FleetEnvironment.Prod.All(c => ImageOn(c) == "nginx:1.27"), "resumed: the new revision everywhere");
        await _env.WaitAsync(() => _env.Get("sim-0001", FleetEnvironment.DeploymentPath)!["spec"]!["replicas"]!.GetValue<int>() == 1, "resumed: drift corrected");
    }
}
