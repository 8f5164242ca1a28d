using System.Net;
using System.Text.Json.Nodes;
using Fleet.Gateway.Services;

namespace Fleet.Gateway.Tests.Rest;

[Collection(RestCollection.Name)]
public sealed class ActionsTests(RestSilo rest)
{
    private const string Source = """
        apiVersion: fleet.dev/v1
        kind: GitRepository
        metadata: {name: app, namespace: act}
        spec: {url: 'https://git.example.invalid/app.git', interval: 1h}
        """;

    [Fact]
    public async Task Reconcile_WritesTheRequestedAtAnnotation_WithoutANewGeneration()
    {
        await rest.ApplyAsync(Source);
        var (response, body) = await rest.SendAsync(HttpMethod.Post, "api/v1/namespaces/act/gitrepositories/app/reconcile");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var at = body!["metadata"]!["annotations"]![ResourceService.ReconcileRequestedAt]!.GetValue<string>();
        Assert.True(DateTimeOffset.TryParse(at, System.Globalization.CultureInfo.InvariantCulture, out _), at);
        Assert.Equal(1, body["metadata"]!["generation"]!.GetValue<long>());

        var (again, second) = await rest.SendAsync(HttpMethod.Post, "api/v1/namespaces/act/gitrepositories/app/reconcile");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.NotEqual(at, second!["metadata"]!["annotations"]![ResourceService.ReconcileRequestedAt]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await rest.SendAsync(HttpMethod.Post, "api/v1/namespaces/act/gitrepositories/missing/reconcile")).Response.StatusCode);
    }

    [Fact]
    public async Task SuspendAndResume_SetSpecSuspend_OrPausedForClusters_AndAreRefusedForOtherKinds()
    {
        await rest.ApplyAsync(Source + "\n---\n" + RestSilo.Cluster("act", "c1"));
        var (response, body) = await rest.SendAsync(HttpMethod.Post, "api/v1/namespaces/act/gitrepositories/app/suspend");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(body!["spec"]!["suspend"]!.GetValue<bool>());
        Assert.Equal(2, body["metadata"]!["generation"]!.GetValue<long>());
        (_, body) = await rest.SendAsync(HttpMethod.Post, "api/v1/namespaces/act/gitrepositories/app/resume");
        Assert.False(body!["spec"]!["suspend"]!.GetValue<bool>());

        (_, body) = await rest.SendAsync(HttpMethod.Post, "api/v1/namespaces/act/clusters/c1/resume");
        Assert.False(body!["spec"]!["paused"]!.GetValue<bool>());
        (_, body) = await rest.SendAsync(HttpMethod.Post, "api/v1/namespaces/act/clusters/c1/suspend");
        Assert.True(body!["spec"]!["paused"]!.GetValue<bool>());

        (response, body) = await rest.SendAsync(HttpMethod.Post, "api/v1/namespaces/act/secrets/s/suspend");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Contains("cannot be suspended", body!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_AnswersTheObjectWithItsStatus()
    {
        await rest.ApplyAsync(RestSilo.Cluster("act-status", "c"));
        await Fleet.TestSupport.Eventually.WaitAsync(async () => (await rest.Silo.GetJsonAsync("api/v1/namespaces/act-status/clusters/c/status"))["status"] is not null, "the cluster's status");
        var (response, _) = await rest.SendAsync(HttpMethod.Get, "api/v1/namespaces/act-status/clusters/missing/status");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task DryRun_ChecksEverything_AndChangesNothing()
    {
        var cluster = RestSilo.Cluster("dry", "c").TrimEnd('-', '\n');
        var (response, body) = await rest.SendAsync(HttpMethod.Post, "api/v1/namespaces/dry/clusters?dryRun=All", cluster);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("c", body!["metadata"]!["name"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await rest.SendAsync(HttpMethod.Get, "api/v1/namespaces/dry/clusters/c")).Response.StatusCode);

        (response, body) = await rest.SendAsync(HttpMethod.Put, "api/v1/namespaces/dry/clusters/c?dryRun=All", cluster.Replace("https://127.0.0.1:1", "not a url", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains(body!["errors"]!.AsArray(), e => e!["field"]!.GetValue<string>() == "spec.server");

        await rest.ApplyAsync(cluster);
        var stored = await rest.Silo.GetJsonAsync("api/v1/namespaces/dry/clusters/c");
        (response, body) = await rest.SendAsync(HttpMethod.Put, "api/v1/namespaces/dry/clusters/c?dryRun=All", cluster.Replace("127.0.0.1:1", "127.0.0.1:2", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("https://127.0.0.1:2", body!["spec"]!["server"]!.GetValue<string>());
        Assert.Equal(2, body["metadata"]!["generation"]!.GetValue<long>());
        Assert.Equal(HttpStatusCode.OK, (await rest.SendAsync(HttpMethod.Delete, "api/v1/namespaces/dry/clusters/c?dryRun=All")).Response.StatusCode);
        (_, body) = await rest.SendAsync(HttpMethod.Post, "api/v1/namespaces/dry/clusters/c/suspend?dryRun=All");
        Assert.True(body!["spec"]!["paused"]!.GetValue<bool>());
        var after = await rest.Silo.GetJsonAsync("api/v1/namespaces/dry/clusters/c");
        Assert.Equal(stored["spec"]!.ToJsonString(), after["spec"]!.ToJsonString());
        Assert.Equal(stored["metadata"]!["generation"]!.GetValue<long>(), after["metadata"]!["generation"]!.GetValue<long>());

        Assert.Equal(HttpStatusCode.NotFound, (await rest.SendAsync(HttpMethod.Delete, "api/v1/namespaces/dry/clusters/missing?dryRun=All")).Response.StatusCode);
        (response, body) = await rest.SendAsync(HttpMethod.Delete, "api/v1/namespaces/dry/clusters/c?dryRun=Some");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("dryRun=All", body!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET", "api/v1/widgets", "unknown resource type \"widgets\"")]
    [InlineData("GET", "api/v1/namespaces/x/widgets/a", "unknown resource type \"widgets\"")]
    [InlineData("POST", "api/v1/namespaces/x/placements/a/reconcile", "read-only")]
    [InlineData("GET", "api/v1/namespaces/x/clusters/a/bogus", "no API at GET")]
    public async Task UnknownRoutes_AreProblemsNamingWhatIsWrong(string method, string path, string message)
    {
        var (response, body) = await rest.SendAsync(new HttpMethod(method), path);
        Assert.True((int)response.StatusCode >= 400);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains(message, body!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
