using Fleet.WebConsole.Components;
using Fleet.WebConsole.Services;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Fleet.WebConsole;

/// <summary>
/// Wires the admin console (a Blazor Web App, interactive server rendering, under <c>/ui</c>) into the gateway's
/// web application. It reads and acts through the gateway's services, as the REST API does.
/// </summary>
public static class ConsoleExtensions
{
    /// <summary>Where the console is served.</summary>
    public const string BasePath = "/ui";

    public static IServiceCollection AddFleetConsole(this IServiceCollection services)
    {
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<FleetChanges>();
        services.AddHostedService(sp => sp.GetRequiredService<FleetChanges>());
        services.AddSingleton<FleetIndex>();
        services.AddSingleton<ReconcileDurations>();
        services.AddScoped<ConsoleSession>();
        services.AddScoped<FleetView>();
        return services;
    }

    public static IEndpointRouteBuilder MapFleetConsole(this IEndpointRouteBuilder app)
    {
        if (app is IApplicationBuilder pipeline)
        {
            pipeline.UseAntiforgery();
        }
        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        // The durations plot shows what was measured since start: listen from the start.
        app.ServiceProvider.GetRequiredService<ReconcileDurations>();
        return app;
    }
}
