using Fleet.Gateway;
using Fleet.Grains;
using Fleet.Runtime;
using Fleet.Runtime.Secrets;
using Microsoft.Extensions.Options;

namespace Fleet.Silo;

/// <summary>Wires a silo: options, the runtime with its storage, the grains, and the gateway in-process.</summary>
internal static class SiloHostExtensions
{
    public static WebApplicationBuilder AddFleetSilo(this WebApplicationBuilder builder)
    {
        // Until the API has authentication, the gateway listens on loopback only.
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
        {
            builder.WebHost.UseUrls("http://127.0.0.1:8080");
        }
        builder.Services.AddOptions<SiloOptions>().BindConfiguration(SiloOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        var dataDirectory = Path.GetFullPath(builder.Configuration[$"{SiloOptions.Section}:DataDirectory"] ?? "data");
        builder.Services.AddOptions<FleetRuntimeOptions>()
            .Configure(o => o.DataDirectory = dataDirectory)
            .BindConfiguration($"{SiloOptions.Section}:Runtime");
        builder.Services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<SiloOptions>>().Value;
            return SecretCipher.Create(o.SecretKey, Path.Combine(dataDirectory, "secret.key"));
        });
        builder.Services.AddSingleton<SecretReader>();
        builder.Services.AddFleetRuntime().AddFleetGrains(dataDirectory);
        builder.Services.AddFleetGateway();
        return builder;
    }

    public static WebApplication MapFleetSilo(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<SiloOptions>>().Value.Gateway)
        {
            app.MapFleetGateway();
        }
        else
        {
            app.MapGet("/healthz", () => Results.Text("ok"));
        }
        return app;
    }
}
