using Fleet.Gateway.Apis;
using Fleet.Gateway.Diagnostics;
using Fleet.Gateway.Grpc;
using Fleet.Gateway.Resources;
using Fleet.Gateway.Security;
using Fleet.Gateway.Services;
using Fleet.Gateway.Watch;
using Fleet.Store;
using Fleet.Store.Secrets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fleet.Gateway;

/// <summary>Wires the gateway (REST API, gRPC API, events, health, metrics) into a web application.</summary>
public static class GatewayExtensions
{
    public static IServiceCollection AddFleetGateway(this IServiceCollection services, IConfiguration? configuration = null)
    {
        services.AddFleetTelemetry(configuration);
        services.AddSingleton(GatewayOptions.From(configuration));
        services.AddSingleton<RequestReader>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new WatchFeed(
            sp.GetRequiredService<IResourceStore>(),
            sp.GetRequiredService<StoreChangeSignal>(),
            sp.GetRequiredService<TimeProvider>(),
            WatchFeedOptions.From(configuration),
            sp.GetRequiredService<ILogger<WatchFeed>>(),
            sp.GetService<IHostApplicationLifetime>()?.ApplicationStopping ?? CancellationToken.None));
        services.AddSingleton(sp => new ResourceService(
            sp.GetRequiredService<IResourceStore>(),
            sp.GetRequiredService<RequestReader>(),
            sp.GetRequiredService<WatchFeed>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<IHostApplicationLifetime>()?.ApplicationStopping ?? CancellationToken.None));
        services.AddFleetOpenApi();
        services.AddSingleton(sp => new TokenAuthenticator(sp.GetRequiredService<ITokenStore>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IApiAuthenticator>(sp => sp.GetRequiredService<TokenAuthenticator>());
        services.AddSingleton(sp => new TokenService(sp.GetRequiredService<ITokenStore>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<RequestReader>(), sp.GetRequiredService<TokenAuthenticator>()));
        services.AddSingleton(sp => new AuditService(sp.GetRequiredService<IAuditLog>()));
        // Creates the initial admin token before the server takes requests (hosted services start before Kestrel).
        services.AddHostedService<AdminTokenBootstrap>();
        services.AddSingleton(sp => new PlacementDiffService(sp.GetRequiredService<ResourceService>(), sp.GetRequiredService<IBlobStore>(), sp.GetRequiredService<SecretReader>()));
        services.AddSingleton(sp => new EventService(sp.GetRequiredService<IEventLog>()));
        services.AddFleetGrpc();
        services.AddSingleton(sp => new WebhookRejections(sp.GetService<TimeProvider>() ?? TimeProvider.System));
        return services;
    }

    public static IEndpointRouteBuilder MapFleetGateway(this IEndpointRouteBuilder app)
    {
        if (app is IApplicationBuilder pipeline)
        {
            // gRPC calls have a port of their own and authenticate in their interceptor.
            pipeline.UseFleetGrpcPort(rest =>
            {
                rest.Use(async (context, next) =>
                {
                    await next(context);
                    FleetTelemetry.Requests.Add(1, new KeyValuePair<string, object?>("method", context.Request.Method), new KeyValuePair<string, object?>("code", context.Response.StatusCode));
                });
                rest.UseMiddleware<RequestGuard>();
                rest.UseMiddleware<CallerMiddleware>();
                rest.UseMiddleware<AuditMiddleware>();
            });
        }

        app.MapOperationsApi();
        app.MapResourcesApi();
        app.MapApplyApi();
        app.MapFleetOpenApi();
        app.MapEventsApi();
        app.MapTokensApi();
        app.MapAuditApi();
        app.MapRegistrationsApi();
        app.MapDiffApi();
        app.MapHooksApi();
        app.MapFleetGrpc();
        return app;
    }
}
