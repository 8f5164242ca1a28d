using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Fleet.Gateway.Tests.Support;

namespace Fleet.Gateway.Tests;

/// <summary>Hostile request bodies and headers the gateway refuses before they reach the store.</summary>
public sealed class HostileInputTests : IAsyncLifetime
{
    private SiloHost _silo = null!;

    public async Task InitializeAsync() => _silo = await SiloHost.StartAsync();

    public async Task DisposeAsync() => await _silo.DisposeAsync();

    private static async Task<JsonObject> ProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(text)!.AsObject();
    }

    [Fact]
    public async Task Put_YamlAliasBomb_IsRefusedWithA400NamingTheBomb()
    {
        // Nine levels of nine aliases: 9^9 (~387 million) nodes once expanded, a few hundred bytes as sent.
        var yaml = new StringBuilder("apiVersion: fleet.dev/v1\nkind: Cluster\nmetadata:\n  name: bomb\n  annotations:\n    a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
        for (var i = 1; i <= 9; i++)
        {
            var refs = string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 9));
            yaml.Append(System.Globalization.CultureInfo.InvariantCulture, $"    a{i}: &a{i} [{refs}]\n");
        }
        yaml.Append("spec:\n  server: https://127.0.0.1:1\n");

        var response = await _silo.PutYamlAsync("api/v1/namespaces/hostile/clusters/bomb", yaml.ToString());

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("alias bomb", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await _silo.Http.GetAsync("api/v1/namespaces/hostile/clusters/bomb")).StatusCode);
    }

    private const string ClusterJson = """{"apiVersion":"fleet.dev/v1","kind":"Cluster","metadata":{"name":"c"},"spec":{"server":"https://127.0.0.1:1","paused":true}}""";

    [Fact]
    public async Task Put_FromAnotherOrigin_IsRefusedWith403_FromItsOwnOriginIsServed()
    {
        using var evil = new HttpRequestMessage(HttpMethod.Put, "api/v1/namespaces/csrf/clusters/c") { Content = new StringContent(ClusterJson, Encoding.UTF8, "application/json") };
        evil.Headers.Add("Origin", "http://evil.example");
        var problem = await ProblemAsync(await _silo.Http.SendAsync(evil), HttpStatusCode.Forbidden);
        Assert.Contains("evil.example", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        using var own = new HttpRequestMessage(HttpMethod.Put, "api/v1/namespaces/csrf/clusters/c") { Content = new StringContent(ClusterJson, Encoding.UTF8, "application/json") };
        own.Headers.Add("Origin", _silo.Http.BaseAddress!.GetLeftPart(UriPartial.Authority));
        Assert.Equal(HttpStatusCode.Created, (await _silo.Http.SendAsync(own)).StatusCode);

        using var delete = new HttpRequestMessage(HttpMethod.Delete, "api/v1/namespaces/csrf/clusters/c");
        delete.Headers.Add("Origin", "null");
        await ProblemAsync(await _silo.Http.SendAsync(delete), HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.OK, (await _silo.Http.GetAsync("api/v1/namespaces/csrf/clusters/c")).StatusCode);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("multipart/form-data; boundary=x")]
    public async Task Post_WithABodyThatIsNotJsonOrYaml_IsRefusedWith415(string contentType)
    {
        var content = new StringContent(ClusterJson, Encoding.UTF8);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);

        var response = await _silo.Http.PostAsync("api/v1/namespaces/media/clusters", content);

        var problem = await ProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
        Assert.Contains("application/yaml", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty((await _silo.GetJsonAsync("api/v1/namespaces/media/clusters"))["items"]!.AsArray());
    }

    [Fact]
    public async Task Request_WithAForeignHostHeader_IsRefusedWith400_LoopbackHostsAreServed()
    {
        using var rebound = new HttpRequestMessage(HttpMethod.Get, "api/v1/namespaces/any/clusters");
        rebound.Headers.Host = "evil.example";
        var problem = await ProblemAsync(await _silo.Http.SendAsync(rebound), HttpStatusCode.BadRequest);
        Assert.Contains("Fleet:Gateway:AllowedHosts", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        foreach (var host in new[] { "localhost", $"localhost:{_silo.Http.BaseAddress!.Port}", "127.0.0.1", "[::1]:8080" })
        {
            using var local = new HttpRequestMessage(HttpMethod.Get, "api/v1/namespaces/any/clusters");
            local.Headers.Host = host;
            Assert.Equal(HttpStatusCode.OK, (await _silo.Http.SendAsync(local)).StatusCode);
        }
    }

    private static string GitRepositoryJson(string url) =>
        new JsonObject
        {
            ["apiVersion"] = "fleet.dev/v1",
            ["kind"] = "GitRepository",
            ["metadata"] = new JsonObject { ["name"] = "repo" },
            ["spec"] = new JsonObject { ["url"] = url, ["ref"] = new JsonObject { ["branch"] = "main" } },
        }.ToJsonString();

    private static string ClusterServerJson(string server) =>
        ClusterJson.Replace("https://127.0.0.1:1", server, StringComparison.Ordinal);

    private async Task<HttpResponseMessage> PutJsonAsync(string path, string json) =>
        await _silo.Http.PutAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    private static async Task AssertFieldErrorAsync(HttpResponseMessage response, string field, string mentions)
    {
        var problem = await ProblemAsync(response, HttpStatusCode.UnprocessableEntity);
        var error = problem["errors"]!.AsArray().Single(e => e!["field"]!.GetValue<string>() == field)!;
        Assert.Contains(mentions, error["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GitRepository_FileUrlIntoTheDataDirectory_IsRefusedEvenUnderAnAllowedRoot()
    {
        // The test silo allows the temp directory, and its data directory lies under it.
        var mirrors = new Uri(Path.Combine(_silo.DataDirectory, "git")).AbsoluteUri;

        var response = await PutJsonAsync("api/v1/namespaces/b/gitrepositories/repo", GitRepositoryJson(mirrors));

        await AssertFieldErrorAsync(response, "spec.url", "data directory");
    }

    [Theory]
    [InlineData("file:///srv/repos/team-a")]
    [InlineData("/srv/repos/team-a")]
    public async Task GitRepository_LocalPathOutsideTheAllowedRoots_IsRefusedWith422(string url)
    {
        var response = await PutJsonAsync("api/v1/namespaces/b/gitrepositories/repo", GitRepositoryJson(url));

        await AssertFieldErrorAsync(response, "spec.url", "Fleet:Gateway:AllowedFileRoots");
    }

    [Theory]
    [InlineData("http://169.254.169.254")]
    [InlineData("https://169.254.10.1:6443")]
    [InlineData("https://[fe80::1]:6443")]
    [InlineData("http://[fd00:ec2::254]")]
    [InlineData("http://[::ffff:169.254.169.254]")]
    [InlineData("http://metadata.google.internal")]
    public async Task Cluster_ServerInLinkLocalOrMetadataAddresses_IsRefusedWith422(string server)
    {
        var response = await PutJsonAsync("api/v1/namespaces/b/clusters/c", ClusterServerJson(server));

        await AssertFieldErrorAsync(response, "spec.server", "Fleet:Gateway:AllowLinkLocalClusters");
    }

    [Theory]
    [InlineData("https://10.0.0.1:6443")]
    [InlineData("https://192.168.1.20:6443")]
    [InlineData("https://[fd12:3456::1]:6443")]
    public async Task Cluster_ServerInPrivateRanges_IsAccepted(string server)
    {
        var response = await PutJsonAsync("api/v1/namespaces/private/clusters/c", ClusterServerJson(server));

        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("""{"apiVersion":"fleet.dev/v1","kind":"Cluster","extra":1,"metadata":{"name":"c"},"spec":{"server":"https://127.0.0.1:1"}}""", "extra")]
    [InlineData("""{"apiVersion":"fleet.dev/v1","kind":"Cluster","metadata":{"name":"c","labelz":{}},"spec":{"server":"https://127.0.0.1:1"}}""", "metadata.labelz")]
    [InlineData("""{"apiVersion":"fleet.dev/v1","kind":"Cluster","metadata":{"name":"c"},"spec":{"server":"https://127.0.0.1:1","serve":"x"}}""", "spec.serve")]
    public async Task Put_UnknownFieldAtAnyLevel_Is422NamingItsPath(string json, string field)
    {
        var response = await PutJsonAsync("api/v1/namespaces/unknown/clusters/c", json);

        await AssertFieldErrorAsync(response, field, "unknown field");
    }

    [Fact]
    public async Task Put_AnnotationsOver256KiB_AreRefused_WrongTypesNameNoDotNetType()
    {
        var big = new string('a', 140 * 1024);
        var json = $$$"""{"apiVersion":"fleet.dev/v1","kind":"Cluster","metadata":{"name":"c","annotations":{"a":"{{{big}}}","b":"{{{big}}}"}},"spec":{"server":"https://127.0.0.1:1"}}""";
        await AssertFieldErrorAsync(await PutJsonAsync("api/v1/namespaces/caps/clusters/c", json), "metadata.annotations", "262144");

        var wrongType = await PutJsonAsync("api/v1/namespaces/caps/clusters/c", """{"apiVersion":"fleet.dev/v1","kind":"Cluster","metadata":{"name":"c"},"spec":{"server":["x"]}}""");
        var text = await wrongType.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, wrongType.StatusCode);
        Assert.Contains("a list is not accepted", text, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Fleet.Abstractions", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownRoutesAndMethods_AnswerProblemJson()
    {
        await ProblemAsync(await _silo.Http.GetAsync("api/v2/nothing-here"), HttpStatusCode.NotFound);
        await ProblemAsync(await _silo.Http.PatchAsync("api/v1/namespaces/x/clusters/c", new StringContent("{}", Encoding.UTF8, "application/json")), HttpStatusCode.MethodNotAllowed);
    }
}
