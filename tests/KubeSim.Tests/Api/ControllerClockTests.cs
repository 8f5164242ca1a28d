using System.Text.Json.Nodes;
using Fleet.KubeSim.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.KubeSim.Tests.Api;

public sealed class ControllerClockTests
{
    private static string? Condition(KubeClient.Result r, string type, string field) =>
        r.Node("status.conditions")?.AsArray().OfType<JsonObject>().FirstOrDefault(c => c["type"]!.GetValue<string>() == type)?[field]?.GetValue<string>();

    [Fact]
    public async Task Deployment_ProgressesFirstAndIsReadyOnlyAfterTheDelay()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var server = await KubeSimServer.StartAsync(new KubeSimOptions
        {
            Clusters = 1,
            Token = "t",
            ReadyDelay = TimeSpan.FromMinutes(5),
            TimeProvider = clock,
        });
        using var k = new KubeClient(server.ClusterUri("sim-0001"), "t", "sim-0001");
        const string Path = "apis/apps/v1/namespaces/default/deployments/slow";
        await k.Apply(Path, Manifests.Deployment("default", "slow", replicas: 2), "fleet");

        var progressing = await k.WaitFor(Path, x => Condition(x, "Progressing", "reason") == "ReplicaSetUpdated");
        Assert.Equal("False", Condition(progressing, "Available", "status"));
        Assert.Equal(2, progressing.Node("status.unavailableReplicas")!.GetValue<long>());

        clock.Advance(TimeSpan.FromMinutes(4));
        var still = await k.Get(Path);
        Assert.Equal("False", Condition(still, "Available", "status"));

        clock.Advance(TimeSpan.FromMinutes(1));
        var ready = await k.WaitFor(Path, x => Condition(x, "Available", "status") == "True");
        Assert.Equal(2, ready.Node("status.readyReplicas")!.GetValue<long>());
        Assert.Equal("2026-01-01T00:05:00Z", Condition(ready, "Available", "lastTransitionTime"));
    }
}
