using System.Net;
using Fleet.KubeSim.Tests.Support;

namespace Fleet.KubeSim.Tests.Api;

public sealed class WatchTests(SimFixture sim) : IClassFixture<SimFixture>
{
    private const string Cms = "api/v1/namespaces/default/configmaps";

    private static string Type(System.Text.Json.Nodes.JsonObject? e) => e!["type"]!.GetValue<string>();

    private static string Name(System.Text.Json.Nodes.JsonObject? e) => e!["object"]!["metadata"]!["name"]!.GetValue<string>();

    [Fact]
    public async Task Watch_FromListResourceVersion_SeesAddedModifiedDeleted()
    {
        using var k = sim.NewCluster();
        var list = await k.Get(Cms);
        var rv = list.Str("metadata.resourceVersion");
        await using var watch = await WatchReader.Open(k.Http, $"{Cms}?watch=true&resourceVersion={rv}");
        await k.Post(Cms, Manifests.ConfigMap("default", "w"));
        await k.Patch($"{Cms}/w", """{"data":{"a":"2"}}""", "application/merge-patch+json");
        await k.Delete($"{Cms}/w");
        var added = await watch.Next();
        Assert.Equal("ADDED", Type(added));
        Assert.Equal("w", Name(added));
        var modified = await watch.Next();
        Assert.Equal("MODIFIED", Type(modified));
        Assert.Equal("2", modified!["object"]!["data"]!["a"]!.GetValue<string>());
        Assert.Equal("DELETED", Type(await watch.Next()));
    }

    [Fact]
    public async Task Watch_WithoutResourceVersion_StartsWithExistingObjects()
    {
        using var k = sim.NewCluster();
        await k.Post(Cms, Manifests.ConfigMap("default", "x1"));
        await k.Post(Cms, Manifests.ConfigMap("default", "x2"));
        await using var watch = await WatchReader.Open(k.Http, $"{Cms}?watch=1");
        Assert.Equal(("ADDED", "x1"), (Type(await watch.Next()), "x1"));
        var second = await watch.Next();
        Assert.Equal("x2", Name(second));
    }

    [Fact]
    public async Task Watch_LegacyWatchPath_Works()
    {
        using var k = sim.NewCluster();
        await k.Post(Cms, Manifests.ConfigMap("default", "legacy"));
        await using var watch = await WatchReader.Open(k.Http, "api/v1/watch/namespaces/default/configmaps");
        Assert.Equal("legacy", Name(await watch.Next()));
    }

    [Fact]
    public async Task Watch_TooOldResourceVersion_GetsExpiredError410()
    {
        using var k = sim.NewCluster();
        var start = (await k.Get(Cms)).Str("metadata.resourceVersion");
        for (var i = 0; i < 60; i++)
        {
            await k.Post(Cms, Manifests.ConfigMap("default", $"n{i}"));
        }

        await using var watch = await WatchReader.Open(k.Http, $"{Cms}?watch=true&resourceVersion={start}");
        var error = await watch.Next();
        Assert.Equal("ERROR", Type(error));
        Assert.Equal(410, error!["object"]!["code"]!.GetValue<int>());
        Assert.Equal("Expired", error["object"]!["reason"]!.GetValue<string>());
        Assert.Contains("too old resource version", error["object"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Watch_LabelSelector_ReportsObjectLeavingTheSelectionAsDeleted()
    {
        using var k = sim.NewCluster();
        await k.Post(Cms, Manifests.ConfigMap("default", "sel", labels: """{"team":"a"}"""));
        var rv = (await k.Get(Cms)).Str("metadata.resourceVersion");
        await using var watch = await WatchReader.Open(k.Http, $"{Cms}?watch=true&resourceVersion={rv}&labelSelector=team%3Da");
        await k.Post(Cms, Manifests.ConfigMap("default", "other", labels: """{"team":"b"}"""));
        await k.Patch($"{Cms}/sel", """{"metadata":{"labels":{"team":"b"}}}""", "application/merge-patch+json");
        var e = await watch.Next();
        Assert.Equal("DELETED", Type(e));
        Assert.Equal("sel", Name(e));
    }

    [Fact]
    public async Task Watch_SendInitialEvents_EndsInitialStateWithBookmark()
    {
        using var k = sim.NewCluster();
        await k.Post(Cms, Manifests.ConfigMap("default", "init"));
        await using var watch = await WatchReader.Open(k.Http, $"{Cms}?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan");
        Assert.Equal("ADDED", Type(await watch.Next()));
        var bookmark = await watch.Next();
        Assert.Equal("BOOKMARK", Type(bookmark));
        Assert.Equal("true", bookmark!["object"]!["metadata"]!["annotations"]!["k8s.io/initial-events-end"]!.GetValue<string>());
    }

    [Fact]
    public async Task Watch_TimeoutSeconds_EndsTheStream()
    {
        using var k = sim.NewCluster();
        var rv = (await k.Get(Cms)).Str("metadata.resourceVersion");
        await using var watch = await WatchReader.Open(k.Http, $"{Cms}?watch=true&resourceVersion={rv}&timeoutSeconds=1");
        Assert.Null(await watch.Next());
    }

    [Fact]
    public async Task Watch_OfSingleObjectByFieldSelector()
    {
        using var k = sim.NewCluster();
        var rv = (await k.Get(Cms)).Str("metadata.resourceVersion");
        await using var watch = await WatchReader.Open(k.Http, $"{Cms}?watch=true&resourceVersion={rv}&fieldSelector=metadata.name%3Dpick");
        await k.Post(Cms, Manifests.ConfigMap("default", "skip"));
        await k.Post(Cms, Manifests.ConfigMap("default", "pick"));
        Assert.Equal("pick", Name(await watch.Next()));
    }

    [Fact]
    public async Task Watch_EndsWhenTheClusterIsDeleted()
    {
        using var k = sim.NewCluster();
        var rv = (await k.Get(Cms)).Str("metadata.resourceVersion");
        await using var watch = await WatchReader.Open(k.Http, $"{Cms}?watch=true&resourceVersion={rv}");
        Assert.True(sim.Server.DeleteCluster(k.Name));
        Assert.Null(await watch.Next());
        Assert.Equal(HttpStatusCode.NotFound, (await k.Get(Cms)).Status);
    }
}
