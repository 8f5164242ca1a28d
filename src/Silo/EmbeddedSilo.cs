namespace Fleet.Silo;

/// <summary>Starts a Fleet process in this one, as <c>Program.cs</c> does: for tests and benchmarks that drive a real silo.</summary>
internal static class EmbeddedSilo
{
    /// <summary>Builds and starts the process with these command-line arguments; <paramref name="logging"/> may replace the log providers.</summary>
    public static async Task<WebApplication> StartAsync(string[] args, Action<ILoggingBuilder>? logging = null)
    {
        // Named after this assembly, not the entry one (a test host), so that the console's static web assets
        // manifests (Fleet.Silo.staticwebassets.*.json) are found in any process that runs the silo.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ApplicationName = typeof(EmbeddedSilo).Assembly.GetName().Name });
        logging?.Invoke(builder.Logging);
        builder.AddFleetSilo();
        var app = builder.Build();
        app.MapFleetSilo();
        await app.StartAsync();
        return app;
    }

    /// <summary>A free loopback port (for the Orleans endpoints of several silos in one machine).</summary>
    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
