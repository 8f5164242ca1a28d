using Microsoft.AspNetCore.Http;

namespace Fleet.Kubernetes.Tests;

/// <summary>Watch streams a server may send that KubeSim and a healthy real server rarely do: an ERROR event, an empty stream.</summary>
public sealed class WatchTests
{
    private static async Task<TestApiServer> ServeWatchAsync(string stream)
    {
        var server = await TestApiServer.StartAsync();
        server.Handler = async (ctx, _) =>
        {
            if (ctx.Request.Path == "/api/v1")
            {
                await ctx.Response.WriteAsJsonAsync(new { kind = "APIResourceList", groupVersion = "v1", resources = new[] { new { name = "configmaps", kind = "ConfigMap", @namespaced = true, verbs = new[] { "list", "watch" } } } });
                return;
            }
            Assert.Equal("true", ctx.Request.Query["watch"]);
            await ctx.Response.WriteAsync(stream);
        };
        return server;
    }

    private static async Task<List<WatchEvent>> ReadAllAsync(KubeClient client)
    {
        var events = new List<WatchEvent>();
        await foreach (var e in client.WatchAsync("v1", "ConfigMap", "shop", "1", null, TimeSpan.FromSeconds(10)))
        {
            events.Add(e);
        }
        return events;
    }

    [Fact]
    public async Task Watch_ErrorEvent_IsThrownWithTheServerStatus()
    {
        await using var server = await ServeWatchAsync("""
            {"type":"ADDED","object":{"metadata":{"name":"a","namespace":"shop"}}}
            {"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version: 1 (50)","reason":"Expired","code":410}}

            """);
        using var client = new KubeClient(new ClusterConnection(server.Uri.ToString()));
        var ex = await Assert.ThrowsAsync<KubeApiException>(() => ReadAllAsync(client));
        Assert.Equal(410, ex.Code);
        Assert.Equal("Expired", ex.Status.Reason);
        Assert.StartsWith("WATCH /api/v1/namespaces/shop/configmaps: 410 Expired: too old resource version", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Watch_EventsThenClose_YieldsWholeObjectsAndEnds()
    {
        await using var server = await ServeWatchAsync("""
            {"type":"ADDED","object":{"metadata":{"name":"a","namespace":"shop"}}}
            {"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"7"}}}
            {"type":"DELETED","object":{"metadata":{"name":"a","namespace":"shop"}}}

            """);
        using var client = new KubeClient(new ClusterConnection(server.Uri.ToString()));
        var events = await ReadAllAsync(client);
        Assert.Equal(["ADDED", "BOOKMARK", "DELETED"], events.Select(e => e.Type));
        Assert.All(events, e => Assert.Equal("ConfigMap", e.Object.Str("kind")));
        Assert.Equal("v1", events[0].Object.Str("apiVersion"));
    }

    [Fact]
    public async Task Watch_ClosedWithoutEvents_EndsQuietly()
    {
        await using var server = await ServeWatchAsync("");
        using var client = new KubeClient(new ClusterConnection(server.Uri.ToString()));
        Assert.Empty(await ReadAllAsync(client));
    }
}
