using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Fleet.Cli;
using Fleet.Cli.Commands;
using Fleet.Silo;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Cli.Tests.Support;

/// <summary>One real silo with its gateway (SQLite, loopback) shared by a test collection; each test uses its own namespace.</summary>
public sealed class FleetServer : IAsyncLifetime
{
    private WebApplication _app = null!;

    /// <summary>The silo's first admin token (Fleet:Gateway:BootstrapAdminToken), in Fleet's token form.</summary>
    public static string AdminToken { get; } = $"fleet_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32))}";

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "fleet-cli-silo-" + Guid.NewGuid().ToString("N"));

    public Uri BaseUri { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public IServiceProvider Services => _app.Services;

    public async Task InitializeAsync()
    {
        _app = await EmbeddedSilo.StartAsync(["--urls", "http://127.0.0.1:0", $"--Fleet:DataDirectory={DataDirectory}", "--Logging:LogLevel:Default=Warning",
            $"--Fleet:SiloPort={EmbeddedSilo.FreePort()}", $"--Fleet:GatewayPort={EmbeddedSilo.FreePort()}",
            $"--Fleet:Gateway:AllowedFileRoots={Path.GetTempPath()}", $"--Fleet:Gateway:BootstrapAdminToken={AdminToken}", "--Fleet:Grpc:Port=0"]);
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseUri = new Uri(address + "/");
        Http = new HttpClient { BaseAddress = BaseUri, Timeout = TimeSpan.FromSeconds(60) };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
    }

    private readonly SemaphoreSlim _appLock = new(1, 1);
    private DeployedApp? _deployed;

    /// <summary>The deployed application of <see cref="DeployedApp"/>, made on first use and shared by the collection's tests.</summary>
    public async Task<DeployedApp> AppAsync()
    {
        await _appLock.WaitAsync();
        try
        {
            if (_deployed is null)
            {
                var app = new DeployedApp(this);
                await app.InitializeAsync();
                _deployed = app;
            }
            return _deployed;
        }
        finally
        {
            _appLock.Release();
        }
    }

    public async Task DisposeAsync()
    {
        if (_deployed is not null)
        {
            await _deployed.DisposeAsync();
        }
        _appLock.Dispose();
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a finishing git process; the temp directory is cleaned by the OS.
        }
    }

    /// <summary>Stores an object through the REST API (as a user's kubectl-like tool would), failing the test on an error.</summary>
    public async Task<JsonObject> PutAsync(string ns, string plural, string name, string yaml)
    {
        var content = new StringContent(yaml, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/yaml");
        var response = await Http.PutAsync($"api/v1/namespaces/{ns}/{plural}/{name}", content);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"PUT {plural}/{name}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    public Task<JsonObject> PutClusterAsync(string ns, string name, string labels = "env: prod", bool paused = true) => PutAsync(ns, "clusters", name, $"""
        apiVersion: fleet.dev/v1
        kind: Cluster
        metadata:
          name: {name}
          labels:
            {labels}
        spec:
          server: https://127.0.0.1:1
          paused: {(paused ? "true" : "false")}
        """);
}

[CollectionDefinition(Name)]
public sealed class FleetServerCollection : ICollectionFixture<FleetServer>
{
    public const string Name = "fleet server";
}

/// <summary>Runs the <c>fleet</c> command tree in process, with its own config file and environment.</summary>
public sealed class CliRunner : IDisposable
{
    private readonly Dictionary<string, string> _variables = new(StringComparer.Ordinal);

    public CliRunner(Uri? server = null)
    {
        Directory.CreateDirectory(Home);
        _variables["FLEET_CONFIG"] = ConfigPath;
        if (server is not null)
        {
            _variables["FLEET_SERVER"] = server.AbsoluteUri;
            _variables["FLEET_TOKEN"] = FleetServer.AdminToken;
        }
    }

    public string Home { get; } = Path.Combine(Path.GetTempPath(), "fleet-cli-home-" + Guid.NewGuid().ToString("N"));

    public string ConfigPath => Path.Combine(Home, "fleet", "config.yaml");

    public string Stdin { get; set; } = "";

    public CliRunner With(string variable, string? value)
    {
        if (value is null)
        {
            _variables.Remove(variable);
        }
        else
        {
            _variables[variable] = value;
        }
        return this;
    }

    public async Task<(int Code, string Out, string Err)> RunAsync(params string[] args) => await RunAsync(CancellationToken.None, args);

    public async Task<(int Code, string Out, string Err)> RunAsync(CancellationToken ct, params string[] args)
    {
        using var stdout = new StringWriter();
        var (code, err) = await RunAsync(stdout, ct, args);
        return (code, stdout.ToString(), err);
    }

    /// <summary>Runs with a caller's stdout, which a test may read while the command runs (a watch).</summary>
    public async Task<(int Code, string Err)> RunAsync(TextWriter stdout, CancellationToken ct, params string[] args)
    {
        var environment = new CliEnvironment
        {
            Variables = name => _variables.GetValueOrDefault(name),
            Stdin = () => new StringReader(Stdin),
        };
        using var stderr = new StringWriter();
        var code = await CliHost.InvokeAsync(FleetCommands.Create(environment), args, stdout, stderr, ct);
        return (code, stderr.ToString());
    }

    public void Dispose()
    {
        if (Directory.Exists(Home))
        {
            Directory.Delete(Home, recursive: true);
        }
    }
}
