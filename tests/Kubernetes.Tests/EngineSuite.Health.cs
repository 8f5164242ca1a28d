namespace Fleet.Kubernetes.Tests;

public abstract partial class EngineSuite
{
    private const string SimulatedReadiness = "KubeSim makes Deployments available by itself; kube-real runs kube-controller-manager but no kubelet, so pods never run";

    [SkippableFact]
    public async Task Wait_DeploymentStillProgressingAtTheDeadline_IsInProgressNotFailed()
    {
        RealServerOnly(SimulatedReadiness);
        var cluster = Take();
        using var client = cluster.Client();
        var ns = cluster.Ns("progress");
        var result = await Applier.ApplyAsync(client, [Manifests.Namespace(ns), Manifests.Deployment(ns, "web", replicas: 2), Manifests.ConfigMap(ns, "c")],
            Options() with { Wait = true, Timeout = TimeSpan.FromSeconds(5) });

        Assert.False(result.Succeeded);
        Assert.Equal(HealthOutcome.Progressing, result.HealthOutcome);
        var web = result.Health.Single(h => h.Object.Kind == "Deployment");
        Assert.Equal(HealthStatus.InProgress, web.Status);
        Assert.True(web.TimedOut, web.Message);
        Assert.StartsWith($"Deployment/{ns}/web: ", web.Message, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Current, result.Health.Single(h => h.Object.Kind == "ConfigMap").Status);
        // The objects were applied: the change set and the inventory say so although health is not reached.
        Assert.Equal(3, result.Count(ChangeAction.Created));
        Assert.Equal(3, result.Inventory.Entries.Count);

        // kube-controller-manager made a ReplicaSet: the Deployment's status is the controller's, not a stub's.
        var live = await client.GetAsync("apps/v1", "Deployment", ns, "web");
        Assert.Equal(2, live.Long("status", "replicas"));
        Assert.Equal(HealthStatus.InProgress, (await HealthChecker.CheckAsync(client, [web.Object])).Single().Status);
    }

    [SkippableFact]
    public async Task Wait_DeploymentPastItsProgressDeadline_IsFailed()
    {
        RealServerOnly(SimulatedReadiness);
        var cluster = Take();
        using var client = cluster.Client();
        var ns = cluster.Ns("deadline");
        var deployment = Manifests.Deployment(ns, "stuck");
        deployment.Obj("spec")["progressDeadlineSeconds"] = 1;
        var result = await Applier.ApplyAsync(client, [Manifests.Namespace(ns), deployment], Options() with { Wait = true, Timeout = TimeSpan.FromSeconds(60) });

        Assert.Equal(HealthOutcome.Failed, result.HealthOutcome);
        var stuck = result.Health.Single(h => h.Object.Kind == "Deployment");
        Assert.Equal(HealthStatus.Failed, stuck.Status);
        Assert.False(stuck.TimedOut);
        Assert.Contains($"Deployment/{ns}/stuck: progress deadline exceeded", stuck.Message, StringComparison.Ordinal);
        Assert.Contains(result.Errors, e => e.StartsWith("health check failed: ", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task Check_WithoutWaiting_ReportsHealthAsItIsNow()
    {
        var cluster = Take();
        using var client = cluster.Client();
        var ns = cluster.Ns("check");
        var result = await Applier.ApplyAsync(client, [Manifests.Namespace(ns), Manifests.ConfigMap(ns, "c")], Options());
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        Assert.Equal(HealthOutcome.NotChecked, result.HealthOutcome);
        var missing = new ObjectRef("", "v1", "ConfigMap", ns, "absent");
        var health = await HealthChecker.CheckAsync(client, [.. result.Inventory.Entries.Select(e => e.Ref), missing]);
        Assert.Equal([HealthStatus.Current, HealthStatus.Current, HealthStatus.NotFound], health.Select(h => h.Status));
        Assert.Equal(HealthOutcome.Progressing, HealthChecker.Summarise(health));
    }
}
