using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Fleet.Gateway.Tests.Support;

namespace Fleet.Gateway.Tests.Rest;

/// <summary>One silo shared by the REST surface tests (each test works in its own namespace).</summary>
public sealed class RestSilo : IAsyncLifetime
{
    public SiloHost Silo { get; private set; } = null!;

    public HttpClient Http => Silo.Http;

    public async Task InitializeAsync() => Silo = await SiloHost.StartAsync();

    public async Task DisposeAsync() => await Silo.DisposeAsync();

    public async Task<(HttpResponseMessage Response, JsonNode? Body)> SendAsync(HttpMethod method, string path, string? body = null, string contentType = "application/yaml")
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        }
        var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    /// <summary>Applies YAML documents and fails on an error answer.</summary>
    public async Task<JsonNode> ApplyAsync(string yaml, string query = "")
    {
        var (response, body) = await SendAsync(HttpMethod.Post, "api/v1/apply" + query, yaml);
        Assert.True(response.IsSuccessStatusCode, $"apply: {(int)response.StatusCode} {body?.ToJsonString()}");
        return body!;
    }

    /// <summary>A paused cluster (no probes) as YAML.</summary>
    public static string Cluster(string ns, string name, string labels = "{}") =>
        $"apiVersion: fleet.dev/v1\nkind: Cluster\nmetadata: {{name: {name}, namespace: {ns}, labels: {labels}}}\nspec: {{server: 'https://127.0.0.1:1', paused: true}}\n---\n";
}

[CollectionDefinition(Name)]
public sealed class RestCollection : ICollectionFixture<RestSilo>
{
    public const string Name = "rest";
}
