using Fleet.Gateway.Grpc;
using Fleet.Silo;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using FleetClient = Fleet.Gateway.Grpc.V1.Fleet.FleetClient;

namespace Fleet.Grpc.Tests.Support;

/// <summary>
/// A real silo with the gateway in-process (SQLite, its own data directory), its REST API and its gRPC port on free
/// loopback ports: one per test class, each test in a namespace of its own.
/// </summary>
public sealed class GrpcFleet : IAsyncLifetime
{
    private WebApplication _app = null!;
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "fleet-grpc-" + Guid.NewGuid().ToString("N"));

    /// <summary>The gRPC endpoint (h2c on loopback), e.g. <c>http://127.0.0.1:40123</c>.</summary>
    public Uri GrpcAddress { get; private set; } = null!;

    /// <summary>The REST API's base address.</summary>
    public Uri RestAddress { get; private set; } = null!;

    public IServiceProvider Services => _app.Services;

    public GrpcChannel Channel { get; private set; } = null!;

    internal FleetClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _app = await EmbeddedSilo.StartAsync([
            "--urls", "http://127.0.0.1:0", $"--Fleet:DataDirectory={_dataDirectory}", "--Logging:LogLevel:Default=Warning",
            $"--Fleet:SiloPort={EmbeddedSilo.FreePort()}", $"--Fleet:GatewayPort={EmbeddedSilo.FreePort()}", "--Fleet:Grpc:Port=0"]);
        var port = _app.Services.GetRequiredService<GrpcEndpoint>().Port;
        GrpcAddress = new Uri($"http://127.0.0.1:{port}");
        var addresses = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        RestAddress = new Uri(addresses.First(a => !a.EndsWith($":{port}", StringComparison.Ordinal)) + "/");
        Channel = GrpcChannel.ForAddress(GrpcAddress);
        Client = new FleetClient(Channel);
    }

    /// <summary>Call options carrying <c>authorization: Bearer <paramref name="token"/></c> (none when null).</summary>
    public static CallOptions As(string? token, DateTime? deadline = null, CancellationToken ct = default) =>
        new(token is null ? [] : new Metadata { { "authorization", $"Bearer {token}" } }, deadline, ct);

    public async Task DisposeAsync()
    {
        Channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a finishing process; the temp directory is cleaned by the OS.
        }
    }
}
