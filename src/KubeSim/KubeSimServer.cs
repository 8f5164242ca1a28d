using System.Net;
using System.Text;
using Fleet.KubeSim.Admin;
using Fleet.KubeSim.Api;
using Fleet.KubeSim.Controllers;
using Fleet.KubeSim.Hosting;
using Fleet.KubeSim.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Fleet.KubeSim;

/// <summary>
/// A Kubernetes API server simulator hosting many virtual clusters in one process, each at
/// <c>/clusters/NAME</c>. Start it in process for tests and benchmarks, or run the KubeSim program.
/// </summary>
public sealed class KubeSimServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ClusterRegistry _clusters;
    private readonly KubeApi _api;
    private readonly AdminApi _admin;
    private readonly SimControllers _controllers;
    private readonly SelfSignedCa? _ca;

    private KubeSimServer(WebApplication app, ClusterRegistry clusters, KubeApi api, AdminApi admin, SimControllers controllers, SelfSignedCa? ca, Uri baseUri, string token)
    {
        _app = app;
        _clusters = clusters;
        _api = api;
        _admin = admin;
        _controllers = controllers;
        _ca = ca;
        BaseUri = baseUri;
        Token = token;
    }

    /// <summary>The server's root URL, ending in '/'.</summary>
    public Uri BaseUri { get; }

    /// <summary>The bearer token clients must send.</summary>
    public string Token { get; }

    /// <summary>The PEM of the CA that signed the serving certificate, when TLS is on.</summary>
    public string? CaCertificatePem => _ca?.CaPem;

    /// <summary>The API URL of one virtual cluster: <c>http://127.0.0.1:PORT/clusters/NAME</c>.</summary>
    public Uri ClusterUri(string clusterName) => new(BaseUri, $"clusters/{clusterName}");

    /// <summary>Names of the current clusters, sorted.</summary>
    public IReadOnlyList<string> ClusterNames => _clusters.All.Select(c => c.Name).ToList();

    public static async Task<KubeSimServer> StartAsync(KubeSimOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrEmpty(options.Token))
        {
            throw new ArgumentException("KubeSimOptions.Token must not be empty", nameof(options));
        }

        var names = options.InitialClusterNames();
        foreach (var name in names)
        {
            if (ClusterRegistry.ValidateName(name) is { } error)
            {
                throw new ArgumentException(error, nameof(options));
            }
        }

        if (names.Distinct(StringComparer.Ordinal).Count() != names.Count)
        {
            throw new ArgumentException("cluster names must be unique", nameof(options));
        }

        var urls = ParseUrls(options);
        var ca = options.Tls || urls.Any(u => u.Scheme == "https")
            ? SelfSignedCa.Create(urls.Select(u => u.Host), options.TimeProvider.GetUtcNow())
            : null;

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        if (options.ConsoleLogging)
        {
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
            builder.Logging.SetMinimumLevel(LogLevel.Information);
            builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        }

        if (ca is not null)
        {
            builder.WebHost.UseKestrelHttpsConfiguration();
        }

        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = 64L * 1024 * 1024;
            foreach (var url in urls)
            {
                var tls = ca is not null;
                void Configure(ListenOptions lo)
                {
                    if (tls)
                    {
                        lo.UseHttps(ca!.Server);
                    }
                }

                var port = url.Port;
                if (url.Host is "*" or "+" or "0.0.0.0" or "[::]")
                {
                    k.ListenAnyIP(port, Configure);
                }
                else if (url.Host == "localhost")
                {
                    k.ListenLocalhost(port, Configure);
                }
                else
                {
                    k.Listen(IPAddress.Parse(url.Host.Trim('[', ']')), port, Configure);
                }
            }
        });

        var app = builder.Build();
        var loggerFactory = app.Services.GetRequiredService<ILoggerFactory>();
        var clusters = new ClusterRegistry(options.WatchHistory, options.TimeProvider);
        var controllers = new SimControllers(options.TimeProvider, options.ReadyDelay, options.SimulateControllers, loggerFactory.CreateLogger("Fleet.KubeSim.Controllers"));
        var api = new KubeApi(options.TimeProvider, controllers);
        controllers.Api = api;
        var admin = new AdminApi(clusters, api, options.TimeProvider);
        var frontEnd = new HttpFrontEnd(clusters, api, admin, options, loggerFactory.CreateLogger("Fleet.KubeSim"));
        app.Run(frontEnd.HandleAsync);

        foreach (var name in names)
        {
            clusters.Create(name, null);
        }

        try
        {
            await app.StartAsync(ct);
        }
        catch
        {
            controllers.Dispose();
            ca?.Dispose();
            await app.DisposeAsync();
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var baseUri = new Uri(address.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).Replace("[::]", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/') + "/");
        api.ServerAddress = $"{baseUri.Host}:{baseUri.Port}";
        return new KubeSimServer(app, clusters, api, admin, controllers, ca, baseUri, options.Token);
    }

    private static List<Uri> ParseUrls(KubeSimOptions options)
    {
        var scheme = options.Tls ? "https" : "http";
        if (string.IsNullOrWhiteSpace(options.Urls))
        {
            return [new Uri($"{scheme}://127.0.0.1:0")];
        }

        var result = new List<Uri>();
        foreach (var raw in options.Urls.Split(';', ',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var text = raw.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal);
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                throw new ArgumentException($"invalid URL \"{raw}\" in --urls: expected http://HOST:PORT or https://HOST:PORT", nameof(options));
            }

            if (uri.Host != "localhost" && !IPAddress.TryParse(uri.Host.Trim('[', ']'), out _))
            {
                throw new ArgumentException($"invalid URL \"{raw}\" in --urls: the host must be an IP address, localhost or *", nameof(options));
            }

            result.Add(uri);
        }

        return result;
    }

    // ---- in-process admin operations ------------------------------------------------------------

    /// <summary>Creates a cluster; false when one of that name exists. Throws for an invalid name.</summary>
    public bool CreateCluster(string name, IReadOnlyDictionary<string, string>? labels = null)
    {
        if (ClusterRegistry.ValidateName(name) is { } error)
        {
            throw new ArgumentException(error, nameof(name));
        }

        return _clusters.Create(name, labels is null ? new Dictionary<string, string>() : new Dictionary<string, string>(labels)) is not null;
    }

    /// <summary>Deletes a cluster and everything in it; its open watches end.</summary>
    public bool DeleteCluster(string name) => _clusters.Remove(name);

    public IReadOnlyDictionary<string, string> GetClusterLabels(string name) => Find(name).Labels;

    public void SetClusterLabels(string name, IReadOnlyDictionary<string, string> labels) =>
        Find(name).Labels = new Dictionary<string, string>(labels);

    public ClusterFaults GetFaults(string name) => Find(name).Faults;

    public void SetFaults(string name, ClusterFaults faults)
    {
        ArgumentNullException.ThrowIfNull(faults);
        if (faults.WriteFailureRate is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(faults), "WriteFailureRate must be within 0..1");
        }

        Find(name).Faults = faults;
    }

    public ClusterStats GetStats(string name) => Find(name).Stats();

    public void ResetStats(string name) => Find(name).ResetStats();

    /// <summary>
    /// Sends one API request to a cluster in process (no HTTP, no faults, not counted as a watch): what the
    /// benchmark uses to fill clusters fast. Returns the HTTP status and the JSON body.
    /// </summary>
    public (int Status, string Body) Invoke(string cluster, string method, string path, string? body = null, string? contentType = null)
    {
        var c = Find(cluster);
        var (p, query) = SplitQuery(path);
        var response = _api.Handle(c, new ApiRequest(method, p.Split('/', StringSplitOptions.RemoveEmptyEntries), query,
            contentType ?? "application/json", "application/json", body is null ? [] : Encoding.UTF8.GetBytes(body), "kubesim-inprocess"));
        return (response.Status, Encoding.UTF8.GetString(response.Body));
    }

    /// <summary>
    /// Edits an object as another field manager (an Update with a JSON merge patch), to simulate drift
    /// made by someone else. <paramref name="path"/> is the object's API path, e.g.
    /// <c>/apis/apps/v1/namespaces/default/deployments/web</c>.
    /// </summary>
    public (int Status, string Body) EditAsManager(string cluster, string path, string mergePatchJson, string manager)
    {
        var response = _admin.Edit(Find(cluster), path, Encoding.UTF8.GetBytes(mergePatchJson), manager);
        return (response.Status, Encoding.UTF8.GetString(response.Body));
    }

    private static (string Path, Dictionary<string, string> Query) SplitQuery(string path)
    {
        var query = new Dictionary<string, string>(StringComparer.Ordinal);
        var q = path.IndexOf('?', StringComparison.Ordinal);
        if (q < 0)
        {
            return (path, query);
        }

        foreach (var pair in path[(q + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
            query[key] = eq < 0 ? string.Empty : Uri.UnescapeDataString(pair[(eq + 1)..]);
        }

        return (path[..q], query);
    }

    private SimCluster Find(string name) =>
        _clusters.Find(name) ?? throw new KeyNotFoundException($"cluster \"{name}\" not found");

    public async ValueTask DisposeAsync()
    {
        _controllers.Dispose();
        foreach (var c in _clusters.All.ToList())
        {
            _clusters.Remove(c.Name);
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
        _ca?.Dispose();
    }
}
