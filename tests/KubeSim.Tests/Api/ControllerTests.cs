using System.Net;
using System.Text.Json.Nodes;
using Fleet.KubeSim.Tests.Support;

namespace Fleet.KubeSim.Tests.Api;

public sealed class ControllerTests(SimFixture sim) : IClassFixture<SimFixture>
{
    private static string? Condition(KubeClient.Result r, string type, string field = "status") =>
        r.Node("status.conditions")?.AsArray().OfType<JsonObject>().FirstOrDefault(c => c["type"]!.GetValue<string>() == type)?[field]?.GetValue<string>();

    [Fact]
    public async Task Deployment_BecomesAvailableWithControllerStatus()
    {
        using var k = sim.NewCluster();
        const string Path = "apis/apps/v1/namespaces/default/deployments/ok";
        await k.Apply(Path, Manifests.Deployment("default", "ok", replicas: 3), "fleet");
        var r = await k.WaitFor(Path, x => Condition(x, "Available") == "True");
        Assert.Equal(1, r.Node("status.observedGeneration")!.GetValue<long>());
        Assert.Equal(3, r.Node("status.replicas")!.GetValue<long>());
        Assert.Equal(3, r.Node("status.readyReplicas")!.GetValue<long>());
        Assert.Equal(3, r.Node("status.updatedReplicas")!.GetValue<long>());
        Assert.Equal(3, r.Node("status.availableReplicas")!.GetValue<long>());
        Assert.Equal("NewReplicaSetAvailable", Condition(r, "Progressing", "reason"));
        Assert.Contains(r.Node("metadata.managedFields")!.AsArray(), e => e!["manager"]!.GetValue<string>() == "kube-controller-manager" && e["subresource"]?.GetValue<string>() == "status");

        await k.Patch(Path, """{"spec":{"replicas":4}}""", "application/merge-patch+json");
        var again = await k.WaitFor(Path, x => x.Node("status.observedGeneration")?.GetValue<long>() == 2 && x.Node("status.readyReplicas")?.GetValue<long>() == 4);
        Assert.Equal("True", Condition(again, "Available"));
    }

    [Fact]
    public async Task Deployment_WithFailTag_NeverReadyAndReportsProgressDeadlineExceeded()
    {
        using var k = sim.NewCluster();
        const string Path = "apis/apps/v1/namespaces/default/deployments/broken";
        await k.Apply(Path, Manifests.Deployment("default", "broken", image: "registry.example.com/app:fail"), "fleet");
        var r = await k.WaitFor(Path, x => Condition(x, "Progressing", "reason") == "ProgressDeadlineExceeded");
        Assert.Equal("False", Condition(r, "Progressing"));
        Assert.Equal("False", Condition(r, "Available"));
        Assert.Null(r.Node("status.readyReplicas"));
    }

    [Fact]
    public async Task StatefulSetAndDaemonSet_BecomeReady()
    {
        using var k = sim.NewCluster();
        var sts = Manifests.Deployment("default", "db").Replace("kind: Deployment", "kind: StatefulSet");
        await k.Apply("apis/apps/v1/namespaces/default/statefulsets/db", sts, "fleet");
        var s = await k.WaitFor("apis/apps/v1/namespaces/default/statefulsets/db", x => x.Node("status.readyReplicas")?.GetValue<long>() == 2);
        Assert.Equal(s.Str("status.updateRevision"), s.Str("status.currentRevision"));

        var ds = Manifests.Deployment("default", "agent").Replace("kind: Deployment", "kind: DaemonSet").Replace("  replicas: 2\n", string.Empty);
        await k.Apply("apis/apps/v1/namespaces/default/daemonsets/agent", ds, "fleet");
        var d = await k.WaitFor("apis/apps/v1/namespaces/default/daemonsets/agent", x => x.Node("status.numberReady")?.GetValue<long>() == 1);
        Assert.Equal(1, d.Node("status.desiredNumberScheduled")!.GetValue<long>());
    }

    [Fact]
    public async Task Job_Completes()
    {
        using var k = sim.NewCluster();
        await k.Apply("apis/batch/v1/namespaces/default/jobs/once", """
            apiVersion: batch/v1
            kind: Job
            metadata: {name: once}
            spec:
              template:
                spec:
                  restartPolicy: Never
                  containers: [{name: run, image: "busybox:1"}]
            """, "fleet");
        var r = await k.WaitFor("apis/batch/v1/namespaces/default/jobs/once", x => Condition(x, "Complete") == "True");
        Assert.Equal(1, r.Node("status.succeeded")!.GetValue<long>());
        Assert.NotNull(r.Str("status.completionTime"));
    }

    [Fact]
    public async Task Service_GetsAClusterIpFromTheServiceRange()
    {
        using var k = sim.NewCluster();
        var r = await k.Apply("api/v1/namespaces/default/services/web",
            """{"apiVersion":"v1","kind":"Service","metadata":{"name":"web"},"spec":{"selector":{"app":"web"},"ports":[{"port":80}]}}""", "fleet");
        Assert.Equal(HttpStatusCode.Created, r.Status);
        Assert.StartsWith("10.0.0.", r.Str("spec.clusterIP"));
        Assert.Equal("TCP", r.Str("spec.ports.0.protocol"));
    }
}
