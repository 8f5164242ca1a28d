using System.Net;
using Fleet.KubeSim.Tests.Support;

namespace Fleet.KubeSim.Tests.Api;

public sealed class ListTests(SimFixture sim) : IClassFixture<SimFixture>
{
    private static async Task Seed(KubeClient k)
    {
        await k.Post("api/v1/namespaces", Manifests.Namespace("other"));
        await k.Post("api/v1/namespaces/default/configmaps", Manifests.ConfigMap("default", "a", labels: """{"tier":"web","env":"prod","rank":"3"}"""));
        await k.Post("api/v1/namespaces/default/configmaps", Manifests.ConfigMap("default", "b", labels: """{"tier":"db","env":"prod","rank":"7"}"""));
        await k.Post("api/v1/namespaces/default/configmaps", Manifests.ConfigMap("default", "c", labels: """{"tier":"web","env":"dev"}"""));
        await k.Post("api/v1/namespaces/other/configmaps", Manifests.ConfigMap("other", "d", labels: """{"tier":"web"}"""));
    }

    private static List<string> Names(KubeClient.Result r) =>
        r.Obj["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()).ToList();

    [Theory]
    [InlineData("tier=web", "a,c,d")]
    [InlineData("tier==web,env=prod", "a")]
    [InlineData("tier!=web", "b")]
    [InlineData("env in (prod,dev)", "a,b,c")]
    [InlineData("env notin (prod)", "c,d")]
    [InlineData("rank", "a,b")]
    [InlineData("!rank", "c,d")]
    [InlineData("rank>5", "b")]
    [InlineData("rank<5", "a")]
    public async Task List_FiltersByLabelSelector(string selector, string expected)
    {
        using var k = sim.NewCluster();
        await Seed(k);
        var r = await k.Get($"api/v1/configmaps?labelSelector={Uri.EscapeDataString(selector)}");
        Assert.Equal(HttpStatusCode.OK, r.Status);
        Assert.Equal(expected.Split(','), Names(r));
    }

    [Fact]
    public async Task List_BadLabelSelector_Is400()
    {
        using var k = sim.NewCluster();
        var r = await k.Get($"api/v1/configmaps?labelSelector={Uri.EscapeDataString("a in (")}");
        Assert.Equal(HttpStatusCode.BadRequest, r.Status);
    }

    [Fact]
    public async Task List_FieldSelectorOnNameAndNamespace()
    {
        using var k = sim.NewCluster();
        await Seed(k);
        Assert.Equal(["b"], Names(await k.Get("api/v1/configmaps?fieldSelector=metadata.name%3Db")));
        Assert.Equal(["d"], Names(await k.Get("api/v1/configmaps?fieldSelector=metadata.namespace%3Dother")));
        Assert.Equal(["a", "c", "d"], Names(await k.Get("api/v1/configmaps?fieldSelector=metadata.name!%3Db")));
        Assert.Equal(HttpStatusCode.BadRequest, (await k.Get("api/v1/configmaps?fieldSelector=spec.x%3Dy")).Status);
    }

    [Fact]
    public async Task List_InNamespace_OnlyThatNamespace()
    {
        using var k = sim.NewCluster();
        await Seed(k);
        var r = await k.Get("api/v1/namespaces/default/configmaps");
        Assert.Equal("ConfigMapList", r.Str("kind"));
        Assert.Equal(["a", "b", "c"], Names(r));
        Assert.NotNull(r.Str("metadata.resourceVersion"));
    }

    [Fact]
    public async Task List_PagesWithLimitAndContinue()
    {
        using var k = sim.NewCluster();
        await Seed(k);
        var first = await k.Get("api/v1/configmaps?limit=3");
        Assert.Equal(["a", "b", "c"], Names(first));
        var token = first.Str("metadata.continue");
        Assert.False(string.IsNullOrEmpty(token));
        Assert.Equal(1, first.Node("metadata.remainingItemCount")!.GetValue<long>());
        var second = await k.Get($"api/v1/configmaps?limit=3&continue={Uri.EscapeDataString(token!)}");
        Assert.Equal(["d"], Names(second));
        Assert.Null(second.Str("metadata.continue"));
        Assert.Equal(HttpStatusCode.BadRequest, (await k.Get("api/v1/configmaps?continue=garbage!")).Status);
    }

    [Fact]
    public async Task List_AsTable_HasColumnsAndRows()
    {
        using var k = sim.NewCluster();
        await Seed(k);
        var r = await k.Get("api/v1/namespaces/default/configmaps", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json");
        Assert.Equal("Table", r.Str("kind"));
        Assert.Equal("Name", r.Str("columnDefinitions.0.name"));
        Assert.Equal("Data", r.Str("columnDefinitions.1.name"));
        Assert.Equal("a", r.Str("rows.0.cells.0"));
        Assert.Equal("PartialObjectMetadata", r.Str("rows.0.object.kind"));
    }
}
