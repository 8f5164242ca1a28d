using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Fleet.Gateway.Tests.Support;
using Fleet.TestSupport;

namespace Fleet.Gateway.Tests;

public sealed class ResourcesApiTests : IAsyncLifetime
{
    private SiloHost _silo = null!;

    public async Task InitializeAsync() => _silo = await SiloHost.StartAsync();

    public async Task DisposeAsync() => await _silo.DisposeAsync();

    private const string ClusterYaml = """
        apiVersion: fleet.dev/v1
        kind: Cluster
        metadata:
          name: east-1
          labels:
            env: prod
            region: eu
        spec:
          server: https://127.0.0.1:1
          paused: true
        """;

    [Fact]
    public async Task Put_CreatesThenUpdates_GenerationBumpsOnlyOnSpecChange()
    {
        var created = await _silo.PutYamlAsync("api/v1/namespaces/team-a/clusters/east-1", ClusterYaml);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var first = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
        Assert.Equal(1, first["metadata"]!["generation"]!.GetValue<long>());
        Assert.Equal("team-a", first["metadata"]!["namespace"]!.GetValue<string>());

        var relabelled = await _silo.PutYamlAsync("api/v1/namespaces/team-a/clusters/east-1", ClusterYaml.Replace("region: eu", "region: us", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, relabelled.StatusCode);
        var second = JsonNode.Parse(await relabelled.Content.ReadAsStringAsync())!;
        Assert.Equal(1, second["metadata"]!["generation"]!.GetValue<long>());

        var respec = await _silo.PutYamlAsync("api/v1/namespaces/team-a/clusters/east-1", ClusterYaml.Replace("127.0.0.1:1", "127.0.0.1:2", StringComparison.Ordinal).Replace("region: eu", "region: us", StringComparison.Ordinal));
        var third = JsonNode.Parse(await respec.Content.ReadAsStringAsync())!;
        Assert.Equal(2, third["metadata"]!["generation"]!.GetValue<long>());
        Assert.True(long.Parse(third["metadata"]!["resourceVersion"]!.GetValue<string>()) > long.Parse(second["metadata"]!["resourceVersion"]!.GetValue<string>()));

        var got = await _silo.GetJsonAsync("api/v1/namespaces/team-a/clusters/east-1");
        Assert.Equal("https://127.0.0.1:2", got["spec"]!["server"]!.GetValue<string>());
        Assert.Equal("us", got["metadata"]!["labels"]!["region"]!.GetValue<string>());
    }

    [Fact]
    public async Task List_AnswersLabelSelectors()
    {
        foreach (var (name, env) in new[] { ("a", "prod"), ("b", "dev"), ("c", "prod") })
        {
            var body = $$$"""{"apiVersion":"fleet.dev/v1","kind":"Cluster","metadata":{"name":"{{{name}}}","labels":{"env":"{{{env}}}"}},"spec":{"server":"https://127.0.0.1:1","paused":true}}""";
            var r = await _silo.Http.PutAsync($"api/v1/namespaces/sel/clusters/{name}", new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        }

        var prod = await _silo.GetJsonAsync("api/v1/namespaces/sel/clusters?labelSelector=env%3Dprod");
        Assert.Equal(["a", "c"], prod["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()));
        var notProd = await _silo.GetJsonAsync("api/v1/namespaces/sel/clusters?labelSelector=env%20notin%20(prod)");
        Assert.Equal(["b"], notProd["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()));
        var bad = await _silo.Http.GetAsync("api/v1/namespaces/sel/clusters?labelSelector=env%20in%20(a");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task Put_InvalidObject_Returns422NamingEveryField_AndChangesNothing()
    {
        Assert.Equal(HttpStatusCode.Created, (await _silo.PutYamlAsync("api/v1/namespaces/team-a/clusters/east-1", ClusterYaml)).StatusCode);
        await Eventually.WaitAsync(async () => (await _silo.GetJsonAsync("api/v1/namespaces/team-a/clusters/east-1"))["status"] is not null, "the paused cluster's status");
        var before = (await _silo.GetJsonAsync("api/v1/namespaces/team-a/clusters/east-1"))["metadata"]!["resourceVersion"]!.GetValue<string>();

        var response = await _silo.PutYamlAsync("api/v1/namespaces/team-a/clusters/east-1", """
            apiVersion: fleet.dev/v1
            kind: Cluster
            metadata:
              name: east-1
              labels: {env: "not valid"}
            spec:
              server: ftp://example.com
              probeInterval: soon
              colour: blue
            """);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var fields = problem["errors"]!.AsArray().Select(e => e!["field"]!.GetValue<string>()).ToList();
        Assert.Contains("metadata.labels[env]", fields);
        Assert.Contains("spec.colour", fields);

        var typed = await _silo.PutYamlAsync("api/v1/namespaces/team-a/clusters/east-1", ClusterYaml.Replace("https://127.0.0.1:1", "ftp://example.com", StringComparison.Ordinal).Replace("paused: true", "paused: true\n  probeInterval: soon", StringComparison.Ordinal));
        var typedProblem = JsonNode.Parse(await typed.Content.ReadAsStringAsync())!;
        var typedFields = typedProblem["errors"]!.AsArray().Select(e => e!["field"]!.GetValue<string>()).ToList();
        Assert.Equal(["spec.server", "spec.probeInterval"], typedFields);

        var unchanged = await _silo.GetJsonAsync("api/v1/namespaces/team-a/clusters/east-1");
        Assert.Equal("https://127.0.0.1:1", unchanged["spec"]!["server"]!.GetValue<string>());
        Assert.Equal(before, unchanged["metadata"]!["resourceVersion"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("api/v1/namespaces/team-a/clusters/x", "apiVersion: fleet.dev/v1\nkind: Cluster\nmetadata: {name: x\nspec: {}", HttpStatusCode.BadRequest, "invalid YAML")]
    [InlineData("api/v1/namespaces/team-a/clusters/x", "apiVersion: fleet.dev/v1\nkind: GitRepository\nmetadata: {name: x}\nspec: {server: https://a}", HttpStatusCode.UnprocessableEntity, "kind")]
    [InlineData("api/v1/namespaces/team-a/clusters/x", "apiVersion: fleet.dev/v1\nkind: Cluster\nmetadata: {name: y}\nspec: {server: https://a}", HttpStatusCode.UnprocessableEntity, "metadata.name")]
    [InlineData("api/v1/namespaces/Team_A/clusters/x", "apiVersion: fleet.dev/v1\nkind: Cluster\nmetadata: {name: x}\nspec: {server: https://a}", HttpStatusCode.UnprocessableEntity, "namespace")]
    [InlineData("api/v1/namespaces/team-a/widgets/x", "{}", HttpStatusCode.NotFound, "widgets")]
    [InlineData("api/v1/namespaces/team-a/placements/x", "{}", HttpStatusCode.MethodNotAllowed, "read-only")]
    [InlineData("api/v1/namespaces/team-a/clusters/x", "", HttpStatusCode.BadRequest, "empty")]
    [InlineData("api/v1/namespaces/team-a/clusters/x", "---\na: 1\n---\nb: 2\n", HttpStatusCode.BadRequest, "2 YAML documents")]
    public async Task Put_BadRequests_GetClearErrors(string path, string body, HttpStatusCode expected, string mentions)
    {
        var response = await _silo.PutYamlAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(expected, response.StatusCode);
        Assert.Contains(mentions, text, StringComparison.Ordinal);
        var list = await _silo.GetJsonAsync("api/v1/namespaces/team-a/clusters");
        Assert.Empty(list["items"]!.AsArray());
    }

    [Fact]
    public async Task Put_BodyOver3MiB_IsRefusedWith413()
    {
        var huge = "apiVersion: fleet.dev/v1\nkind: Cluster\nmetadata: {name: x}\nspec: {server: https://a}\n#" + new string('x', (3 * 1024 * 1024) + 10);
        var response = await _silo.PutYamlAsync("api/v1/namespaces/team-a/clusters/x", huge);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Put_WithStaleResourceVersion_Conflicts()
    {
        await _silo.PutYamlAsync("api/v1/namespaces/team-a/clusters/east-1", ClusterYaml);
        await _silo.PutYamlAsync("api/v1/namespaces/team-a/clusters/east-1", ClusterYaml.Replace("eu", "us", StringComparison.Ordinal));

        var stale = await _silo.PutYamlAsync("api/v1/namespaces/team-a/clusters/east-1", ClusterYaml.Replace("name: east-1", "name: east-1\n  resourceVersion: \"1\"", StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        Assert.Contains("resource version", await stale.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_ExistingObject_Conflicts_Delete_RemovesIt()
    {
        var json = """{"apiVersion":"fleet.dev/v1","kind":"Cluster","metadata":{"name":"p"},"spec":{"server":"https://127.0.0.1:1","paused":true}}""";
        Assert.Equal(HttpStatusCode.Created, (await _silo.Http.PostAsync("api/v1/namespaces/team-a/clusters", new StringContent(json, Encoding.UTF8, "application/json"))).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await _silo.Http.PostAsync("api/v1/namespaces/team-a/clusters", new StringContent(json, Encoding.UTF8, "application/json"))).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await _silo.Http.DeleteAsync("api/v1/namespaces/team-a/clusters/p")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _silo.Http.GetAsync("api/v1/namespaces/team-a/clusters/p")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _silo.Http.DeleteAsync("api/v1/namespaces/team-a/clusters/p")).StatusCode);
    }

    [Fact]
    public async Task FluxGitRepositoryYaml_IsAcceptedUnchanged()
    {
        var response = await _silo.PutYamlAsync("api/v1/namespaces/flux/gitrepositories/podinfo", """
            apiVersion: source.toolkit.fluxcd.io/v1
            kind: GitRepository
            metadata:
              name: podinfo
              namespace: flux
            spec:
              interval: 5m0s
              url: https://github.com/stefanprodan/podinfo
              ref:
                branch: master
              recurseSubmodules: false
              suspend: true
            """);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var stored = await _silo.GetJsonAsync("api/v1/namespaces/flux/gitrepositories/podinfo");
        Assert.Equal("master", stored["spec"]!["ref"]!["branch"]!.GetValue<string>());
        Assert.Equal("fleet.dev/v1", stored["apiVersion"]!.GetValue<string>());
    }

    [Fact]
    public async Task Operations_HealthAndMetricsEndpointsAnswer()
    {
        Assert.Equal("ok", await _silo.Http.GetStringAsync("healthz"));
        Assert.Equal("ok", await _silo.Http.GetStringAsync("readyz"));
        await _silo.PutYamlAsync("api/v1/namespaces/team-a/clusters/east-1", ClusterYaml);
        var metrics = await _silo.Http.GetStringAsync("metrics");
        Assert.Contains("# TYPE fleet_", metrics, StringComparison.Ordinal);
    }
}
