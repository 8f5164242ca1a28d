using Fleet.Abstractions.Grains;
using Fleet.Gateway.Tests.Support;
using Fleet.Grains.Tests.Support;
using Fleet.Store;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Grains.Tests;

/// <summary>
/// End to end: real git, a real silo on SQLite, 20 KubeSim clusters labelled env=dev|prod and region=eu|us,
/// an Application selecting env=prod with a targetCustomization for region=us and postBuild variables.
/// </summary>
public sealed class ReconciliationTests : IAsyncLifetime
{
    private FleetEnvironment _env = null!;

    public async Task InitializeAsync() => _env = await FleetEnvironment.StartAsync();

    public async Task DisposeAsync() => await _env.DisposeAsync();

    private bool AllProdRun(string image) =>
        FleetEnvironment.Prod.All(c => FleetEnvironment.Image(_env.Get(c, FleetEnvironment.DeploymentPath)) == image);

    [Fact]
    public async Task SelectedClustersGetExactlyTheRenderedObjects_AndOthersNone()
    {
        await _env.PutAsync("applications/web", FleetEnvironment.Application());

        await _env.WaitAsync(() => AllProdRun("nginx:1.25"), "every prod cluster runs the deployment");
        foreach (var (name, env, region) in FleetEnvironment.Clusters)
        {
            var cm = _env.Get(name, FleetEnvironment.ConfigMapPath);
            if (env == "dev")
            {
                Assert.Null(_env.Get(name, FleetEnvironment.DeploymentPath));
                Assert.Null(cm);
                continue;
            }
            Assert.Equal(name, cm!["data"]!["cluster"]!.GetValue<string>());
            Assert.Equal(region, cm["data"]!["region"]!.GetValue<string>());
            Assert.Equal("payments", cm["data"]!["team"]!.GetValue<string>());
            Assert.Equal("prod", cm["metadata"]!["labels"]!["tier"]!.GetValue<string>());
            Assert.Equal("web", cm["metadata"]!["labels"]!["fleet.dev/application"]!.GetValue<string>());
            var flavor = _env.Get(name, FleetEnvironment.DeploymentPath)!["metadata"]!["annotations"]?["fleet.dev/flavor"]?.GetValue<string>();
            Assert.Equal(region == "us" ? "us" : null, flavor);
            Assert.NotNull(_env.Get(name, FleetEnvironment.ServicePath));
        }
        await _env.WaitAsync(async () => (await _env.ApplicationAsync())["status"]?["placements"]?["ready"]?.GetValue<int>() == 10, "the application counts 10 ready placements");

        // The real kubectl, as an independent client, sees the same objects on one cluster.
        if (KubectlPath() is null)
        {
            return;
        }
        var kubeconfig = _env.WriteKubeconfig("sim-0011");
        var output = Kubectl(kubeconfig, "get", "deployment,configmap,service", "-n", "demo", "-o", "jsonpath={range .items[*]}{.kind}/{.metadata.name} {end}");
        Assert.Equal("Deployment/web ConfigMap/web-config Service/web", output.Trim());
        Assert.Equal("sim-0011", Kubectl(kubeconfig, "get", "configmap", "web-config", "-n", "demo", "-o", "jsonpath={.data.cluster}"));
        Assert.Equal("us", Kubectl(kubeconfig, "get", "deployment", "web", "-n", "demo", "-o", "jsonpath={.metadata.annotations.fleet\\.dev/flavor}"));
    }

    private static string? KubectlPath() => File.Exists("/usr/bin/kubectl") ? "/usr/bin/kubectl" : null;

    private static string Kubectl(string kubeconfig, params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(KubectlPath()!) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("--kubeconfig");
        psi.ArgumentList.Add(kubeconfig);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"kubectl {string.Join(' ', args)}: {stderr.Result}");
        return output;
    }

    [Fact]
    public async Task ImageCommit_ReachesEverySelectedCluster_AndFileDeletion_PrunesOnlyThatObject()
    {
        await _env.PutAsync("applications/web", FleetEnvironment.Application());
        await _env.WaitAsync(() => AllProdRun("nginx:1.25"), "first revision everywhere");

        _env.WriteExample("nginx:1.27");
        _env.Repo.Commit("new image");
        await _env.FetchNowAsync();
        await _env.WaitAsync(() => AllProdRun("nginx:1.27"), "the new image on every prod cluster");

        _env.Repo.Delete("base/service.yaml");
        _env.Repo.Write("base/kustomization.yaml", "resources:\n- namespace.yaml\n- deployment.yaml\n- configmap.yaml\n");
        _env.Repo.Commit("drop the service");
        await _env.FetchNowAsync();
        await _env.WaitAsync(() => FleetEnvironment.Prod.All(c => _env.Get(c, FleetEnvironment.ServicePath) is null), "the service pruned everywhere");
        Assert.True(AllProdRun("nginx:1.27"));
        Assert.All(FleetEnvironment.Prod, c => Assert.NotNull(_env.Get(c, FleetEnvironment.ConfigMapPath)));
    }

    [Fact]
    public async Task CommitOutsideTheApplicationsPath_RecordsTheNewRevision_WithoutTouchingTheClusters()
    {
        // An interval of an hour: no drift check is due during the test, so every request would be the commit's.
        await _env.PutAsync("applications/web", FleetEnvironment.Application().Replace("interval: 2s", "interval: 1h"));
        await _env.WaitAsync(() => AllProdRun("nginx:1.25"), "first revision everywhere");
        await _env.WaitAsync(async () => (await _env.ApplicationAsync())["status"]?["placements"]?["ready"]?.GetValue<int>() == 10, "every placement Ready");
        foreach (var cluster in FleetEnvironment.Prod)
        {
            _env.Sim.ResetStats(cluster);
        }

        _env.Repo.Write("docs/README.md", "not part of any application\n");
        _env.Repo.Commit("docs only");
        var sha = _env.Repo.Git("rev-parse", "HEAD").Trim();
        await _env.FetchNowAsync();

        await _env.WaitAsync(async () =>
        {
            foreach (var cluster in FleetEnvironment.Prod)
            {
                if (await _env.PlacementReadyAsync($"web~{cluster}", "status") != "True" ||
                    (await _env.TryGetAsync($"placements/web~{cluster}"))?["status"]?["lastAppliedRevision"]?.GetValue<string>()?.EndsWith(sha, StringComparison.Ordinal) != true)
                {
                    return false;
                }
            }
            return true;
        }, "every placement Ready on the new revision");
        await _env.WaitAsync(async () => (await _env.ApplicationAsync())["status"]?["lastAppliedRevision"]?.GetValue<string>()?.EndsWith(sha, StringComparison.Ordinal) == true, "the application on the new revision");
        foreach (var cluster in FleetEnvironment.Prod)
        {
            var requests = _env.Sim.GetStats(cluster).Requests;
            foreach (var verb in new[] { "list", "apply", "patch", "create", "update", "delete" })
            {
                Assert.True(requests[verb] == 0, $"{cluster}: {requests[verb]} {verb} requests for a commit that changed none of its manifests");
            }
        }
    }

    [Fact]
    public async Task DriftByAnotherManagerOrDeletion_IsCorrectedWithinAnInterval()
    {
        await _env.PutAsync("applications/web", FleetEnvironment.Application());
        await _env.WaitAsync(() => AllProdRun("nginx:1.25"), "first revision everywhere");

        var (status, _) = _env.Sim.EditAsManager("sim-0001", FleetEnvironment.DeploymentPath,
            """{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"evil:1"}]}}}}""", "kubectl-edit");
        Assert.Equal(200, status);
        Assert.Equal(200, _env.Sim.Invoke("sim-0003", "DELETE", FleetEnvironment.ConfigMapPath).Status);

        await _env.WaitAsync(() => FleetEnvironment.Image(_env.Get("sim-0001", FleetEnvironment.DeploymentPath)) == "nginx:1.25", "the edited image restored", 30);
        await _env.WaitAsync(() => _env.Get("sim-0003", FleetEnvironment.ConfigMapPath) is not null, "the deleted config map restored", 30);
    }

    [Fact]
    public async Task RelabellingAClusterOutOfTheSelector_PrunesTheApplicationThere()
    {
        await _env.PutAsync("applications/web", FleetEnvironment.Application());
        await _env.WaitAsync(() => AllProdRun("nginx:1.25"), "first revision everywhere");

        await _env.PutAsync("clusters/sim-0005", _env.ClusterYaml("sim-0005", "dev", "eu"));

        await _env.WaitAsync(() => _env.Get("sim-0005", FleetEnvironment.DeploymentPath) is null && _env.Get("sim-0005", FleetEnvironment.ConfigMapPath) is null, "the application pruned from sim-0005");
        Assert.NotNull(_env.Get("sim-0001", FleetEnvironment.DeploymentPath));
        await _env.WaitAsync(async () => (await _env.Silo.GetJsonAsync($"api/v1/namespaces/{FleetEnvironment.Ns}/placements"))["items"]!.AsArray().Count == 9, "nine placements remain");
    }

    [Fact]
    public async Task DeletingTheApplication_PrunesEverythingItDeployed()
    {
        await _env.PutAsync("applications/web", FleetEnvironment.Application());
        await _env.WaitAsync(() => AllProdRun("nginx:1.25"), "first revision everywhere");

        var response = await _env.Silo.Http.DeleteAsync($"api/v1/namespaces/{FleetEnvironment.Ns}/applications/web");
        Assert.True(response.IsSuccessStatusCode);

        await _env.WaitAsync(() => FleetEnvironment.Prod.All(c => _env.Get(c, FleetEnvironment.DeploymentPath) is null), "deployments pruned");
        await _env.WaitAsync(async () => (await _env.Silo.GetJsonAsync($"api/v1/namespaces/{FleetEnvironment.Ns}/placements"))["items"]!.AsArray().Count == 0, "placements removed");
    }

    [Fact]
    public async Task PausedCluster_GetsNoApply_UntilItIsResumed()
    {
        await _env.PutAsync("applications/web", FleetEnvironment.Application());
        await _env.WaitAsync(() => AllProdRun("nginx:1.25"), "first revision everywhere");
        var paused = _env.ClusterYaml("sim-0001", "prod", "eu").Replace("spec:\n", "spec:\n  paused: true\n", StringComparison.Ordinal);
        await _env.PutAsync("clusters/sim-0001", paused);
        await _env.WaitAsync(async () => await _env.PlacementReadyAsync("web~sim-0001", "reason") == "Suspended", "the placement on the paused cluster says so");

        _env.WriteExample("nginx:1.27");
        _env.Repo.Commit("new image");
        await _env.FetchNowAsync();
        await _env.WaitAsync(() => FleetEnvironment.Prod.Where(c => c != "sim-0001").All(c => FleetEnvironment.Image(_env.Get(c, FleetEnvironment.DeploymentPath)) == "nginx:1.27"), "the other clusters updated");
        Assert.Equal("nginx:1.25", FleetEnvironment.Image(_env.Get("sim-0001", FleetEnvironment.DeploymentPath)));

        await _env.PutAsync("clusters/sim-0001", _env.ClusterYaml("sim-0001", "prod", "eu"));
        await _env.WaitAsync(() => FleetEnvironment.Image(_env.Get("sim-0001", FleetEnvironment.DeploymentPath)) == "nginx:1.27", "the resumed cluster updated");
    }

    [Fact]
    public async Task PlacementNames_OfDottedApplicationsAndClusters_DoNotCollide()
    {
        // "web.prod" on cluster "eu.sim" and "web" on cluster "prod.eu.sim" were once both "web.prod.eu.sim".
        await _env.PutAsync("clusters/prod.eu.sim", _env.ClusterYaml("sim-0003", "x", "y").Replace("name: sim-0003", "name: prod.eu.sim", StringComparison.Ordinal).Replace("env: x", "pair: b", StringComparison.Ordinal));
        await _env.PutAsync("clusters/eu.sim", _env.ClusterYaml("sim-0005", "x", "y").Replace("name: sim-0005", "name: eu.sim", StringComparison.Ordinal).Replace("env: x", "pair: a", StringComparison.Ordinal));
        await _env.PutAsync("applications/web.prod", FleetEnvironment.Application("web.prod").Replace("env: prod", "pair: a", StringComparison.Ordinal));
        await _env.PutAsync("applications/web", FleetEnvironment.Application().Replace("env: prod", "pair: b", StringComparison.Ordinal));
        await _env.WaitAsync(async () => (await _env.Silo.GetJsonAsync($"api/v1/namespaces/{FleetEnvironment.Ns}/placements"))["items"]!.AsArray().Count == 2, "two placements");
        var names = (await _env.Silo.GetJsonAsync($"api/v1/namespaces/{FleetEnvironment.Ns}/placements"))["items"]!.AsArray().Select(p => p!["metadata"]!["name"]!.GetValue<string>()).Order().ToList();
        Assert.Equal(["web.prod~eu.sim", "web~prod.eu.sim"], names);
    }

    [Fact]
    public async Task HealthChecks_NamedObjectsAreWaitedFor_AndAFailingOneFailsThePlacement()
    {
        // A Deployment outside the application, that never becomes ready (KubeSim never readies the 'fail' tag).
        var (status, _) = _env.Sim.Invoke("sim-0001", "POST", "/apis/apps/v1/namespaces/default/deployments", """
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"db","namespace":"default"},
             "spec":{"replicas":1,"progressDeadlineSeconds":1,"selector":{"matchLabels":{"app":"db"}},"template":{"metadata":{"labels":{"app":"db"}},"spec":{"containers":[{"name":"db","image":"postgres:fail"}]}}}}
            """);
        Assert.True(status is 200 or 201, $"creating the db deployment: {status}");
        var app = FleetEnvironment.Application().Replace("env: prod", "region: eu", StringComparison.Ordinal) +
            "  healthChecks:\n  - {apiVersion: apps/v1, kind: Deployment, name: db, namespace: default}\n";
        await _env.PutAsync("applications/web", app.Replace("timeout: 30s", "timeout: 5s", StringComparison.Ordinal));

        await _env.WaitAsync(async () => await _env.PlacementReadyAsync("web~sim-0001") == "False", "the placement on sim-0001 waits for db and fails");
        var reason = await _env.PlacementReadyAsync("web~sim-0001", "reason");
        Assert.True(reason is "HealthCheckFailed" or "ProgressingWithRetry", reason);
        Assert.Contains("db", await _env.PlacementReadyAsync("web~sim-0001", "message"), StringComparison.Ordinal);

        // The same application's objects were applied all the same; the other clusters (no db there) fail too, as
        // the named object is missing there.
        Assert.NotNull(_env.Get("sim-0001", FleetEnvironment.DeploymentPath));
    }

    [Fact]
    public async Task Health_IsNotClaimedWithoutWait_TurningWaitOnRechecks_AndAWaitShowsReconciling()
    {
        const string Placement = "placements/web~sim-0001";
        await _env.PutAsync("applications/web", FleetEnvironment.Application());
        await _env.WaitAsync(() => AllProdRun("nginx:1.25"), "first revision everywhere");
        await _env.WaitAsync(async () => await _env.PlacementReadyAsync("web~sim-0001") == "True", "the placement Ready");
        Assert.Null((await _env.TryGetAsync(Placement))!["status"]!["health"]);

        // Same manifests, wait turned on: health is checked at once.
        await _env.PutAsync("applications/web", FleetEnvironment.Application(extra: "  wait: true"));
        await _env.WaitAsync(async () => (await _env.TryGetAsync(Placement))?["status"]?["health"]?.GetValue<string>() == "Current", "health checked after wait was turned on");

        // An image that never becomes ready: the placement shows Reconciling while it waits.
        _env.WriteExample("nginx:fail");
        _env.Repo.Commit("never ready");
        await _env.FetchNowAsync();
        await _env.WaitAsync(async () => SiloHost.Condition((await _env.TryGetAsync(Placement))!, "Reconciling") == "True", "Reconciling during the health wait");
    }
}
