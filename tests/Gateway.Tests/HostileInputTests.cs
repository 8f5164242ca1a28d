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
}
