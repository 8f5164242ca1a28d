using System.Net;
using Fleet.Gateway.Services;
using Fleet.Store;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Fleet.Gateway.Grpc;

/// <summary>The gRPC port once bound: <see cref="Port"/> is the real one when <see cref="GrpcOptions.Port"/> was 0.</summary>
internal sealed class GrpcEndpoint(GrpcOptions options)
{
    private ListenOptions? _listen;

    public GrpcOptions Options { get; } = options;

    /// <summary>The port gRPC is served on (0 while not bound, or when gRPC is off).</summary>
    public int Port => _listen?.IPEndPoint?.Port ?? 0;

    /// <summary>Whether this process listens for gRPC (enabled, and the host was given the gRPC endpoint).</summary>
    public bool Serving { get; init; }

    internal void Bound(ListenOptions listen) => _listen = listen;
}

/// <summary>
/// Wires the gRPC API (<c>fleet.v1.Fleet</c>, server reflection, <c>grpc.health.v1</c>) into the gateway, on a port of
/// its own that speaks HTTP/2 only.
/// </summary>
internal static class GrpcHosting
{
    private const string KestrelEndpoint = "Kestrel:Endpoints:Grpc";

    /// <summary>
    /// Listens on the gRPC port (h2c, or TLS with a configured certificate) as the Kestrel endpoint <c>Grpc</c>.
    /// Kestrel binds either the <c>urls</c> setting or configured endpoints, never both, so the REST URLs become
    /// configured endpoints too (<c>Api0</c>, <c>Api1</c>, ...: Kestrel parses them exactly as it parses <c>urls</c>,
    /// and binds them first, so the first server address stays the REST API's).
    /// </summary>
    public static WebApplicationBuilder AddFleetGrpcEndpoint(this WebApplicationBuilder builder)
    {
        var options = GrpcOptions.From(builder.Configuration);
        var endpoint = new GrpcEndpoint(options) { Serving = options.Enabled };
        builder.Services.AddSingleton(endpoint);
        if (!options.Enabled)
        {
            return builder;
        }

        var configuration = builder.Configuration;
        if (!configuration.GetSection("Kestrel:Endpoints").GetChildren().Any() && configuration["urls"] is { Length: > 0 } urls)
        {
            var i = 0;
            foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                configuration[$"Kestrel:Endpoints:Api{i++}:Url"] = url;
            }
            configuration["urls"] = "";
        }

        var host = options.Address switch
        {
            "*" => "*",
            var a when IPAddress.Parse(a).AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 => $"[{a}]",
            var a => a,
        };
        configuration[$"{KestrelEndpoint}:Url"] = $"{(options.Tls ? "https" : "http")}://{host}:{options.Port}";
        configuration[$"{KestrelEndpoint}:Protocols"] = "Http2";
        if (options.Tls)
        {
            configuration[$"{KestrelEndpoint}:Certificate:Path"] = options.CertificatePath;
            configuration[$"{KestrelEndpoint}:Certificate:KeyPath"] = options.CertificateKeyPath;
            configuration[$"{KestrelEndpoint}:Certificate:Password"] = options.CertificatePassword;
        }
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigurationLoader?.Endpoint("Grpc", e => endpoint.Bound(e.ListenOptions)));
        return builder;
    }

    public static IServiceCollection AddFleetGrpc(this IServiceCollection services)
    {
        // A host that did not call AddFleetGrpcEndpoint has no gRPC port, so no gRPC service.
        services.TryAddSingleton(new GrpcEndpoint(new GrpcOptions { Enabled = false }));
        services.AddSingleton<GrpcStreams>();
        services.AddSingleton<CallerInterceptor>();
        services.AddGrpc(o =>
        {
            // The REST API's limit on an object; a larger message is RESOURCE_EXHAUSTED.
            o.MaxReceiveMessageSize = Resources.RequestReader.MaxBodyBytes;
            o.EnableDetailedErrors = false;
        }).AddServiceOptions<FleetService>(o => o.Interceptors.Add<CallerInterceptor>());
        services.AddGrpcReflection();
        services.AddGrpcHealthChecks().AddCheck<StoreHealthCheck>("store");
        return services;
    }

    /// <summary>
    /// Keeps the two ports apart: the gRPC port serves gRPC only, and gRPC methods are not served on the REST port.
    /// <paramref name="rest"/> (host checks, authentication of <c>/api</c>) runs for everything but gRPC calls, which
    /// authenticate in <see cref="CallerInterceptor"/>.
    /// </summary>
    public static IApplicationBuilder UseFleetGrpcPort(this IApplicationBuilder app, Action<IApplicationBuilder> rest)
    {
        var endpoint = app.ApplicationServices.GetRequiredService<GrpcEndpoint>();
        app.Use(async (context, next) =>
        {
            var onGrpcPort = IsGrpcPort(endpoint, context);
            if (onGrpcPort && context.Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) != true)
            {
                context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
                await context.Response.WriteAsync("this port serves gRPC only (content type application/grpc); the REST API has a port of its own\n");
                return;
            }
            if (!onGrpcPort && context.GetEndpoint()?.Metadata.GetMetadata<global::Grpc.AspNetCore.Server.GrpcMethodMetadata>() is not null)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                await context.Response.WriteAsync($"gRPC is served on port {endpoint.Port}\n");
                return;
            }
            await next(context);
        });
        app.UseWhen(context => !IsGrpcPort(endpoint, context), rest);
        return app;
    }

    public static IEndpointRouteBuilder MapFleetGrpc(this IEndpointRouteBuilder app)
    {
        if (!app.ServiceProvider.GetRequiredService<GrpcEndpoint>().Serving)
        {
            return app;
        }
        app.MapGrpcService<FleetService>();
        app.MapGrpcReflectionService();
        app.MapGrpcHealthChecksService();
        return app;
    }

    private static bool IsGrpcPort(GrpcEndpoint endpoint, HttpContext context) =>
        endpoint.Port != 0 && context.Connection.LocalPort == endpoint.Port;
}

/// <summary>The gRPC health service's check (<c>grpc.health.v1</c>): serving while the storage answers, as <c>/readyz</c>.</summary>
internal sealed class StoreHealthCheck(IResourceStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await store.GetAsync("Cluster", "default", "readyz-probe", cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"storage unavailable: {ex.Message}");
        }
    }
}
