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
}
