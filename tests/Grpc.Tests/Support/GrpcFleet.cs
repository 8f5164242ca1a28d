using Fleet.Gateway.Grpc;
using Fleet.Gateway.Grpc.V1;
using Fleet.Gateway.Security;
using Fleet.Gateway.Services;
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
public class GrpcFleet : IAsyncLifetime
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

    /// <summary>More silo arguments (a subclass's options).</summary>
    protected virtual string[] ExtraArguments => [];

    /// <summary>The channel options of <see cref="Channel"/> (a subclass's TLS trust).</summary>
    protected virtual GrpcChannelOptions ChannelOptions => new();

    public async Task InitializeAsync()
    {
        _app = await EmbeddedSilo.StartAsync([
            "--urls", "http://127.0.0.1:0", $"--Fleet:DataDirectory={_dataDirectory}", "--Logging:LogLevel:Default=Warning",
            $"--Fleet:SiloPort={EmbeddedSilo.FreePort()}", $"--Fleet:GatewayPort={EmbeddedSilo.FreePort()}", "--Fleet:Grpc:Port=0",
            $"--Fleet:Gateway:BootstrapAdminToken={AdminToken}", .. ExtraArguments]);
        var port = _app.Services.GetRequiredService<GrpcEndpoint>().Port;
        GrpcAddress = new Uri($"{(ExtraArguments.Any(a => a.Contains("Certificate", StringComparison.Ordinal)) ? "https" : "http")}://127.0.0.1:{port}");
        var addresses = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        RestAddress = new Uri(addresses.First(a => !a.EndsWith($":{port}", StringComparison.Ordinal)) + "/");
        Channel = GrpcChannel.ForAddress(GrpcAddress, ChannelOptions);
        Client = new FleetClient(Channel);
    }

    /// <summary>The admin token the silo was started with (<c>Fleet:Gateway:BootstrapAdminToken</c>).</summary>
    public string AdminToken { get; } = TokenSecret.New(TokenSecret.ApiPrefix).Text;

    /// <summary>A new API token of <paramref name="role"/> (viewer, operator, admin) limited to <paramref name="namespaces"/>.</summary>
    public async Task<string> TokenAsync(string name, string role, params string[] namespaces)
    {
        var created = await Services.GetRequiredService<TokenService>().CreateApiTokenAsync(Caller.System, new ApiTokenRequest(name, role, namespaces, null), CancellationToken.None);
        return created.Secret;
    }

    /// <summary>A new registration token of <paramref name="ns"/> with one use.</summary>
    public async Task<string> RegistrationTokenAsync(string ns, string name)
    {
        var created = await Services.GetRequiredService<TokenService>().CreateRegistrationTokenAsync(Caller.System, ns, new RegistrationTokenRequest(name, null, 1, null), CancellationToken.None);
        return created.Secret;
    }

    /// <summary>A paused Cluster (nothing is probed) with an <c>env</c> label.</summary>
    internal static Resource Cluster(string ns, string name, string env) => new()
    {
        Cluster = new Cluster
        {
            Metadata = new ObjectMeta { Namespace = ns, Name = name, Labels = { ["env"] = env } },
            Spec = new ClusterSpec { Server = "https://127.0.0.1:1", Paused = true },
        },
    };

    /// <summary>A Secret with an <c>env</c> label: no controller writes its status, so a watch sees only the test's changes.</summary>
    internal static Resource Secret(string ns, string name, string env) => new()
    {
        Secret = new Secret
        {
            Metadata = new ObjectMeta { Namespace = ns, Name = name, Labels = { ["env"] = env } },
            Spec = new SecretSpec { Data = { ["token"] = "t0ken" } },
        },
    };

    /// <summary>Call options carrying <c>authorization: Bearer <paramref name="token"/></c> (none when null).</summary>
    internal static CallOptions As(string? token, DateTime? deadline = null, CancellationToken ct = default) =>
        new(token is null ? [] : new Metadata { { "authorization", $"Bearer {token}" } }, deadline, ct);

    public virtual async Task DisposeAsync()
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
