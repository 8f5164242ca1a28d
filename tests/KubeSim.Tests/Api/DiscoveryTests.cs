using System.Net;
using System.Text.Json.Nodes;
using Fleet.KubeSim.Tests.Support;

namespace Fleet.KubeSim.Tests.Api;

public sealed class DiscoveryTests(SimFixture sim) : IClassFixture<SimFixture>
{
    [Fact]
    public async Task Version_ReportsKubernetes132()
    {
        using var k = sim.NewCluster();
        var r = await k.Get("version");
        Assert.Equal(HttpStatusCode.OK, r.Status);
        Assert.Equal("1", r.Str("major"));
        Assert.Equal("32", r.Str("minor"));
        Assert.StartsWith("v1.32", r.Str("gitVersion"));
    }

    [Fact]
    public async Task CoreResourceList_HasNamespacedFlagsVerbsAndShortNames()
    {
        using var k = sim.NewCluster();
        var r = await k.Get("api/v1");
        Assert.Equal("APIResourceList", r.Str("kind"));
        var resources = r.Obj["resources"]!.AsArray();
        var cm = resources.Single(x => x!["name"]!.GetValue<string>() == "configmaps")!;
        Assert.True(cm["namespaced"]!.GetValue<bool>());
        Assert.Equal("ConfigMap", cm["kind"]!.GetValue<string>());
        Assert.Contains("cm", cm["shortNames"]!.AsArray().Select(x => x!.GetValue<string>()));
        Assert.Contains("watch", cm["verbs"]!.AsArray().Select(x => x!.GetValue<string>()));
        var ns = resources.Single(x => x!["name"]!.GetValue<string>() == "namespaces")!;
        Assert.False(ns["namespaced"]!.GetValue<bool>());
        Assert.Contains(resources, x => x!["name"]!.GetValue<string>() == "namespaces/status");
    }

    [Fact]
    public async Task GroupList_HasEveryBuiltInGroup()
    {
        using var k = sim.NewCluster();
        var r = await k.Get("apis");
        Assert.Equal("APIGroupList", r.Str("kind"));
        var groups = r.Obj["groups"]!.AsArray().Select(g => g!["name"]!.GetValue<string>()).ToList();
        foreach (var g in new[] { "apps", "batch", "networking.k8s.io", "rbac.authorization.k8s.io", "apiextensions.k8s.io" })
        {
            Assert.Contains(g, groups);
        }

        var apps = await k.Get("apis/apps/v1");
        var names = apps.Obj["resources"]!.AsArray().Select(x => x!["name"]!.GetValue<string>()).ToList();
        Assert.Contains("deployments", names);
        Assert.Contains("statefulsets", names);
        Assert.Contains("daemonsets", names);
        Assert.Contains("replicasets", names);
    }

    [Fact]
    public async Task AggregatedDiscovery_AnswersWithTheV2ContentType()
    {
        using var k = sim.NewCluster();
        using var request = new HttpRequestMessage(HttpMethod.Get, "apis");
        request.Headers.TryAddWithoutValidation("Accept", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json");
        using var response = await k.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("as=APIGroupDiscoveryList", response.Content.Headers.ContentType!.ToString());
        var doc = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("APIGroupDiscoveryList", doc["kind"]!.GetValue<string>());
        var apps = doc["items"]!.AsArray().Single(i => i!["metadata"]!["name"]?.GetValue<string>() == "apps")!;
        var deployments = apps["versions"]![0]!["resources"]!.AsArray().Single(r => r!["resource"]!.GetValue<string>() == "deployments")!;
        Assert.Equal("Namespaced", deployments["scope"]!.GetValue<string>());
        Assert.Equal("Deployment", deployments["responseKind"]!["kind"]!.GetValue<string>());
    }

    [Fact]
    public async Task Crd_AddsItsKindToDiscoveryOnceEstablished()
    {
        using var k = sim.NewCluster();
        Assert.Equal(HttpStatusCode.NotFound, (await k.Get("apis/example.com/v1")).Status);
        var crd = await k.Apply("apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.com", Crd("gadgets", "Gadget"));
        Assert.Equal(HttpStatusCode.Created, crd.Status);
        Assert.Contains(crd.Obj["status"]!["conditions"]!.AsArray(), c => c!["type"]!.GetValue<string>() == "Established" && c["status"]!.GetValue<string>() == "True");
        var list = await k.Get("apis/example.com/v1");
        Assert.Equal(HttpStatusCode.OK, list.Status);
        var gadgets = list.Obj["resources"]!.AsArray().Single(x => x!["name"]!.GetValue<string>() == "gadgets")!;
        Assert.Equal("Gadget", gadgets["kind"]!.GetValue<string>());
        Assert.Contains("gd", gadgets["shortNames"]!.AsArray().Select(x => x!.GetValue<string>()));
        Assert.Contains((await k.Get("apis")).Obj["groups"]!.AsArray(), g => g!["name"]!.GetValue<string>() == "example.com");

        Assert.Equal(HttpStatusCode.Created, (await k.Apply("apis/example.com/v1/namespaces/default/gadgets/g1",
            """{"apiVersion":"example.com/v1","kind":"Gadget","metadata":{"name":"g1"},"spec":{"size":1}}""")).Status);
        Assert.Equal(HttpStatusCode.OK, (await k.Delete("apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.com")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await k.Get("apis/example.com/v1")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await k.Get("apis/example.com/v1/namespaces/default/gadgets/g1")).Status);
    }

    [Fact]
    public async Task OpenApiV3_ListsGroupVersionsUnderTheClusterPath()
    {
        using var k = sim.NewCluster();
        var root = await k.Get("openapi/v3");
        var url = root.Obj["paths"]!["apis/apps/v1"]!["serverRelativeURL"]!.GetValue<string>();
        Assert.StartsWith($"/clusters/{k.Name}/openapi/v3/apis/apps/v1", url);
        using var http = sim.Raw();
        var doc = JsonNode.Parse(await http.GetStringAsync(url.TrimStart('/')))!;
        Assert.NotNull(doc["paths"]!["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]!["patch"]);
    }

    internal static string Crd(string plural, string kind, string group = "example.com") =>
        "{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"CustomResourceDefinition\","
        + "\"metadata\":{\"name\":\"" + plural + "." + group + "\"},"
        + "\"spec\":{\"group\":\"" + group + "\",\"scope\":\"Namespaced\","
        + "\"names\":{\"plural\":\"" + plural + "\",\"singular\":\"" + kind.ToLowerInvariant() + "\",\"kind\":\"" + kind + "\",\"shortNames\":[\"gd\"]},"
        + "\"versions\":[{\"name\":\"v1\",\"served\":true,\"storage\":true,\"subresources\":{\"status\":{}},"
        + "\"schema\":{\"openAPIV3Schema\":{\"type\":\"object\",\"x-kubernetes-preserve-unknown-fields\":true}}}]}}";
}
