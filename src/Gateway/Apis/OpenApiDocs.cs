using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Fleet.Gateway.Apis;

/// <summary>
/// The API's description, generated from the mapped endpoints at <c>/openapi/v1.json</c>, and a browsable reference
/// (Scalar) at <c>/scalar</c>. Both are public: they describe the API, they do not call it.
/// </summary>
internal static class OpenApiDocs
{
    public const string DocumentPath = "/openapi/v1.json";

    public const string UiPath = "/scalar";

    public static IServiceCollection AddFleetOpenApi(this IServiceCollection services) =>
        services.AddOpenApi("v1", options =>
        {
            // Only the API: probes, metrics and webhooks are not called by API clients.
            options.ShouldInclude = description => description.RelativePath?.StartsWith("api/", StringComparison.Ordinal) == true;
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "Fleet API",
                    Version = "v1",
                    Description = "Fleet's REST API: the objects of fleet.dev/v1 (Clusters, GitRepositories, Applications, Receivers, Placements, Secrets), lists and watches as Kubernetes serves them, actions, and apply.",
                };
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes["bearer"] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    Description = "An API token: Authorization: Bearer <token>",
                };
                document.Security ??= [];
                document.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", document)] = [] });
                return Task.CompletedTask;
            });
        });

    public static void MapFleetOpenApi(this IEndpointRouteBuilder app)
    {
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapScalarApiReference(UiPath, options => options.WithTitle("Fleet API").WithOpenApiRoutePattern("/openapi/{documentName}.json"));
    }
}
