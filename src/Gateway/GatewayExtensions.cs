using Fleet.Gateway.Apis;
using Fleet.Gateway.Diagnostics;
using Fleet.Gateway.Resources;
using Fleet.Store;
using Fleet.Store.Secrets;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Gateway;

/// <summary>Wires the gateway (REST API, events, health, metrics) into a web application.</summary>
public static class GatewayExtensions
{
    public static IServiceCollection AddFleetGateway(this IServiceCollection services)
    {
        services.AddSingleton<PrometheusMetrics>();
        services.AddSingleton<RequestReader>();
        return services;
    }

    public static IEndpointRouteBuilder MapFleetGateway(this IEndpointRouteBuilder app)
    {
        app.MapOperationsApi();
        app.MapResourcesApi();
        app.MapEventsApi();
        app.MapHooksApi();
        return app;
    }
}
