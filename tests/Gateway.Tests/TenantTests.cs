using System.Net;
using System.Text.Json.Nodes;
using Fleet.Gateway.Tests.Support;
using Fleet.Store;
using Microsoft.Extensions.DependencyInjection;
using static Fleet.Gateway.Tests.Support.Api;

namespace Fleet.Gateway.Tests;

/// <summary>Tenants: a token of namespace a neither reads nor changes anything of namespace b (404, not 403); a viewer only reads.</summary>
public sealed class TenantTests : IAsyncLifetime
{
    private SiloHost _silo = null!;
    private HttpClient _teamA = null!;
    private HttpClient _viewerA = null!;

    public async Task InitializeAsync()
    {
        _silo = await SiloHost.StartAsync();
        _teamA = _silo.Client(await _silo.CreateTokenAsync("team-a", "operator", "a"));
        _viewerA = _silo.Client(await _silo.CreateTokenAsync("viewer-a", "viewer", "a"));
        foreach (var ns in new[] { "a", "b" })
        {
            await JsonAsync(await _silo.Http.PutAsync($"api/v1/namespaces/{ns}/clusters/c", Json(Cluster("c"))), HttpStatusCode.Created);
        }
    }

    public async Task DisposeAsync()
    {
        _teamA.Dispose();
        _viewerA.Dispose();
        await _silo.DisposeAsync();
    }

    [Fact]
    public async Task OtherNamespace_IsNotFound_ForGetPutAndDelete_AndNothingChanges()
    {
        await ProblemAsync(await _teamA.GetAsync("api/v1/namespaces/b/clusters/c"), HttpStatusCode.NotFound);
        await ProblemAsync(await _teamA.PutAsync("api/v1/namespaces/b/clusters/c", Json(Cluster("c", "https://127.0.0.1:2"))), HttpStatusCode.NotFound);
        await ProblemAsync(await _teamA.PutAsync("api/v1/namespaces/b/clusters/new", Json(Cluster("new"))), HttpStatusCode.NotFound);
        await ProblemAsync(await _teamA.PostAsync("api/v1/namespaces/b/clusters", Json(Cluster("posted"))), HttpStatusCode.NotFound);
        await ProblemAsync(await _teamA.DeleteAsync("api/v1/namespaces/b/clusters/c"), HttpStatusCode.NotFound);

        var c = await _silo.GetJsonAsync("api/v1/namespaces/b/clusters/c");
        Assert.Equal("https://127.0.0.1:1", c["spec"]!["server"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await _silo.Http.GetAsync("api/v1/namespaces/b/clusters/new")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _silo.Http.GetAsync("api/v1/namespaces/b/clusters/posted")).StatusCode);

        // Its own namespace works.
        await JsonAsync(await _teamA.PutAsync("api/v1/namespaces/a/clusters/c", Json(Cluster("c", "https://127.0.0.1:2"))), HttpStatusCode.OK);
    }

    [Fact]
    public async Task Lists_ShowOnlyTheCallersNamespaces()
    {
        var all = JsonNode.Parse(await _teamA.GetStringAsync("api/v1/clusters"))!["items"]!.AsArray();
        Assert.Equal(["a"], all.Select(i => i!["metadata"]!["namespace"]!.GetValue<string>()).Distinct());
        Assert.Empty(JsonNode.Parse(await _teamA.GetStringAsync("api/v1/namespaces/b/clusters"))!["items"]!.AsArray());
        Assert.Equal(2, JsonNode.Parse(await _silo.Http.GetStringAsync("api/v1/clusters"))!["items"]!.AsArray().Count(i => i!["metadata"]!["name"]!.GetValue<string>() == "c"));
    }

    [Fact]
    public async Task Events_ShowOnlyTheCallersNamespaces()
    {
        var events = _silo.Services.GetRequiredService<IEventLog>();
        await events.AppendAsync("a", "Cluster", "c", FleetEventType.Normal, "SeenByA", "an event of namespace a");
        await events.AppendAsync("b", "Cluster", "c", FleetEventType.Warning, "SecretOfB", "an event of namespace b");

        var all = await _teamA.GetStringAsync("api/v1/events");
        var ofB = JsonNode.Parse(await _teamA.GetStringAsync("api/v1/namespaces/b/events"))!["items"]!.AsArray();

        Assert.Contains("SeenByA", all, StringComparison.Ordinal);
        Assert.DoesNotContain("SecretOfB", all, StringComparison.Ordinal);
        Assert.Empty(ofB);
        Assert.Contains("SecretOfB", await _silo.Http.GetStringAsync("api/v1/events"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Viewer_ReadsButMayNotWrite()
    {
        await JsonAsync(await _viewerA.GetAsync("api/v1/namespaces/a/clusters/c"), HttpStatusCode.OK);
        var put = await ProblemAsync(await _viewerA.PutAsync("api/v1/namespaces/a/clusters/c", Json(Cluster("c", "https://127.0.0.1:3"))), HttpStatusCode.Forbidden);
        Assert.Contains("viewer-a (viewer) may not change Cluster objects", put["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        await ProblemAsync(await _viewerA.DeleteAsync("api/v1/namespaces/a/clusters/c"), HttpStatusCode.Forbidden);
        // Outside its namespaces it still sees nothing: 404, not 403.
        await ProblemAsync(await _viewerA.PutAsync("api/v1/namespaces/b/clusters/c", Json(Cluster("c"))), HttpStatusCode.NotFound);
        await JsonAsync(await _silo.Http.GetAsync("api/v1/namespaces/a/clusters/c"), HttpStatusCode.OK);
    }
}
