using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Fleet.Abstractions.Resources;
using Fleet.Gateway.Services;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Gateway.Tests.Rest;

[Collection(RestCollection.Name)]
public sealed class ListTests(RestSilo rest)
{
    private static string Names(JsonNode list) => string.Join(",", list["items"]!.AsArray().Select(i => $"{i!["metadata"]!["namespace"]}/{i["metadata"]!["name"]}"));

    [Fact]
    public async Task List_PagesWithLimitAndContinue_InNamespaceNameOrder_WithListMetadata()
    {
        var yaml = new StringBuilder();
        for (var i = 0; i < 23; i++)
        {
            yaml.Append(RestSilo.Cluster(i % 2 == 0 ? "page-a" : "page-b", $"c{i:D2}", i % 3 == 0 ? "{tier: gold}" : "{tier: silver}"));
        }
        await rest.ApplyAsync(yaml.ToString());

        var seen = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var url = "api/v1/clusters?limit=5&labelSelector=tier&fieldSelector=metadata.namespace!%3Dother" + (token is null ? "" : "&continue=" + Uri.EscapeDataString(token));
            var page = await rest.Silo.GetJsonAsync(url);
            Assert.Equal("ClusterList", page["kind"]!.GetValue<string>());
            Assert.True(long.Parse(page["metadata"]!["resourceVersion"]!.GetValue<string>()) > 0);
            var items = page["items"]!.AsArray();
            Assert.True(items.Count <= 5);
            seen.AddRange(items.Select(i => $"{i!["metadata"]!["namespace"]}/{i["metadata"]!["name"]}").Where(n => n.StartsWith("page-", StringComparison.Ordinal)));
            token = page["metadata"]!["continue"]?.GetValue<string>();
            pages++;
        }
        while (token is not null);

        var expected = Enumerable.Range(0, 23).Select(i => $"{(i % 2 == 0 ? "page-a" : "page-b")}/c{i:D2}").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, seen);
        Assert.True(pages >= 5);

        var gold = await rest.Silo.GetJsonAsync("api/v1/namespaces/page-a/clusters?labelSelector=tier%3Dgold&fieldSelector=metadata.name!%3Dc00");
        Assert.Equal("page-a/c06,page-a/c12,page-a/c18", Names(gold));
        var byName = await rest.Silo.GetJsonAsync("api/v1/clusters?fieldSelector=metadata.name%3D%3Dc03,metadata.namespace%3Dpage-b");
        Assert.Equal("page-b/c03", Names(byName));
    }

    [Theory]
    [InlineData("fieldSelector=spec.server%3Dx", "\"spec.server\" is not a field that can be selected")]
    [InlineData("fieldSelector=metadata.name", "is not a requirement")]
    [InlineData("fieldSelector=metadata.name%3E3", "is not a requirement")]
    [InlineData("labelSelector=env%20notin%20()", "labelSelector")]
    [InlineData("limit=ten", "limit: \"ten\" is not a number")]
    [InlineData("limit=-1", "limit")]
    [InlineData("continue=garbage", "continue: not a continue token")]
    [InlineData("watch=maybe", "watch: \"maybe\"")]
    public async Task List_BadParameters_Are400ProblemsNamingTheParameter(string query, string message)
    {
        var (response, body) = await rest.SendAsync(HttpMethod.Get, "api/v1/namespaces/bad/clusters?" + query);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains(message, body!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Continue_OfAnotherList_IsRefused()
    {
        await rest.ApplyAsync(RestSilo.Cluster("tok", "a") + RestSilo.Cluster("tok", "b"));
        var first = await rest.Silo.GetJsonAsync("api/v1/namespaces/tok/clusters?limit=1");
        var token = first["metadata"]!["continue"]!.GetValue<string>();
        var (response, body) = await rest.SendAsync(HttpMethod.Get, "api/v1/namespaces/tok/clusters?limit=1&labelSelector=x&continue=" + Uri.EscapeDataString(token));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("another kind, namespace or selector", body!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        var second = await rest.Silo.GetJsonAsync("api/v1/namespaces/tok/clusters?limit=1&continue=" + Uri.EscapeDataString(token));
        Assert.Equal("tok/b", Names(second));
        Assert.Null(second["metadata"]!["continue"]);
    }

    [Fact]
    public async Task List_AcrossNamespaces_ShowsOnlyTheCallersNamespaces_EvenWhenPaged()
    {
        await rest.ApplyAsync(RestSilo.Cluster("tenant-a", "x") + RestSilo.Cluster("tenant-b", "x") + RestSilo.Cluster("tenant-c", "x"));
        var service = rest.Silo.Services.GetRequiredService<ResourceService>();
        var caller = new Caller("tenant", ApiRole.Viewer, new HashSet<string> { "tenant-a", "tenant-c" });
        var keys = new List<string>();
        string? token = null;
        do
        {
            var page = await service.ListPageAsync(caller, ResourceKinds.Cluster, null, new ListOptions(Limit: 1, FieldSelector: "metadata.name=x", Continue: token), default);
            keys.AddRange(page.Items.Select(i => i.Namespace));
            token = page.Continue;
        }
        while (token is not null);
        Assert.Equal(["tenant-a", "tenant-c"], keys);
        Assert.Empty((await service.ListPageAsync(caller, ResourceKinds.Cluster, "tenant-b", new ListOptions(), default)).Items);
    }
}
