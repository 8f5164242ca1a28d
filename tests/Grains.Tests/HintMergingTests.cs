using System.Text.Json.Nodes;
using Fleet.Abstractions.Grains;
using Fleet.Gateway.Tests.Support;
using Fleet.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Grains.Tests;

/// <summary>Hints that arrive while a reconcile runs merge into one follow-up reconcile; they are never run one by one.</summary>
public sealed class HintMergingTests
{
    [Fact]
    public async Task ManyHintsDuringASlowProbe_MakeOneFollowUpProbe()
    {
        var probes = 0;
        var release = new TaskCompletionSource();
        await using var cluster = await SlowClusterAsync(async () =>
        {
            Interlocked.Increment(ref probes);
            await release.Task;
        });
        await using var silo = await SiloHost.StartAsync();
        await silo.PutSecretAsync("merge", "creds", new Dictionary<string, string> { ["token"] = "t" });
        var put = await silo.PutYamlAsync("api/v1/namespaces/merge/clusters/slow", $"apiVersion: fleet.dev/v1\nkind: Cluster\nmetadata: {{name: slow}}\nspec:\n  server: {cluster.Url}\n  credentialsRef: {{name: creds}}\n  probeInterval: 1h\n");
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());

        // The first probe is running (held by the server); fifty hints arrive meanwhile.
        await Eventually.WaitAsync(() => Volatile.Read(ref probes) == 1, "the first probe to reach the cluster");
        var grain = silo.Services.GetRequiredService<IGrainFactory>().GetGrain<IClusterGrain>("merge/slow");
        for (var i = 0; i < 50; i++)
        {
            await grain.HintProbeNow();
        }

        release.SetResult();
        await Eventually.WaitAsync(() => Volatile.Read(ref probes) == 2, "one follow-up probe");
        await Eventually.WaitAsync(async () => SiloHost.Condition(await silo.GetJsonAsync("api/v1/namespaces/merge/clusters/slow"), "Ready") == "True", "the cluster Ready");

        // Nothing else is queued: the count stays at two.
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(2, Volatile.Read(ref probes));
    }

    private static async Task<SlowCluster> SlowClusterAsync(Func<Task> onVersion)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapGet("/version", async (HttpContext context) =>
        {
            await onVersion();
            return Results.Json(new JsonObject { ["major"] = "1", ["minor"] = "32", ["gitVersion"] = "v1.32.0" });
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new SlowCluster(app, address);
    }

    private sealed class SlowCluster(WebApplication app, string url) : IAsyncDisposable
    {
        public string Url { get; } = url;

        public ValueTask DisposeAsync() => app.DisposeAsync();
    }
}
