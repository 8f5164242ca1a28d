using System.Collections.Concurrent;
using System.Diagnostics;
using Fleet.Gateway.Tests.Support;
using Fleet.Grains.Tests.Support;

namespace Fleet.Grains.Tests;

/// <summary>The slow steps of a reconcile are OpenTelemetry-compatible spans on the activity source <c>Fleet.Grains</c>.</summary>
public sealed class TracingTests
{
    [Fact]
    public async Task FetchRenderApplyAndHealthWait_AreSpans()
    {
        var seen = new ConcurrentDictionary<string, string>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "Fleet.Grains",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => seen.TryAdd(a.OperationName, a.GetTagItem("fleet.grain") as string ?? ""),
        };
        ActivitySource.AddActivityListener(listener);

        await using var env = await FleetEnvironment.StartAsync();
        await env.PutAsync("applications/web", FleetEnvironment.Application(extra: "  wait: true"));
        await env.WaitAsync(async () => SiloHost.Condition(await env.ApplicationAsync(), "Ready") == "True", "the application Ready");

        Assert.Equal($"{FleetEnvironment.Ns}/repo", seen["fetch"]);
        Assert.Equal($"{FleetEnvironment.Ns}/web", seen["render"]);
        Assert.StartsWith($"{FleetEnvironment.Ns}/web/sim-", seen["apply"], StringComparison.Ordinal);
        Assert.StartsWith($"{FleetEnvironment.Ns}/web/sim-", seen["health wait"], StringComparison.Ordinal);
    }
}
