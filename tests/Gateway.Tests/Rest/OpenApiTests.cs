using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Gateway.Tests.Rest;

[Collection(RestCollection.Name)]
public sealed class OpenApiTests(RestSilo rest)
{
    [Fact]
    public async Task Document_DescribesEveryApiRouteAndMethodTheGatewayServes()
    {
        var document = await rest.Silo.GetJsonAsync("openapi/v1.json");
        Assert.StartsWith("3.", document["openapi"]!.GetValue<string>(), StringComparison.Ordinal);
        var paths = document["paths"]!.AsObject();

        // The expectation comes from the endpoints actually mapped, so a new route cannot go undescribed.
        var expected = rest.Silo.Services.GetServices<EndpointDataSource>()
            .SelectMany(s => s.Endpoints).OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/v1", StringComparison.Ordinal) == true)
            .Where(e => e.Metadata.GetMetadata<IExcludeFromDescriptionMetadata>() is not { ExcludeFromDescription: true })
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? []).Select(m => (Path: e.RoutePattern.RawText!.TrimEnd('/'), Method: m.ToLowerInvariant())))
            .ToList();
        Assert.NotEmpty(expected);
        Assert.Contains(expected, e => e.Path == "/api/v1/apply");
        Assert.Contains(expected, e => e.Path == "/api/v1/namespaces/{ns}/clusters/{name}/suspend");
        foreach (var (path, method) in expected)
        {
            Assert.True(paths[path]?[method] is not null, $"{method.ToUpperInvariant()} {path} is not in the OpenAPI document, which has: {string.Join(", ", paths.Select(p => p.Key))}");
        }

        // Kinds have their schemas: a Cluster's spec names its fields.
        var text = document.ToJsonString();
        Assert.Contains("\"server\"", text, StringComparison.Ordinal);
        Assert.Contains("clusterSelector", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BrowsableReference_Answers()
    {
        var response = await rest.Http.GetAsync("scalar");
        if (response.StatusCode is HttpStatusCode.MovedPermanently or HttpStatusCode.Redirect)
        {
            response = await rest.Http.GetAsync(response.Headers.Location);
        }
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("text/html", response.Content.Headers.ContentType!.ToString(), StringComparison.Ordinal);
    }
}
