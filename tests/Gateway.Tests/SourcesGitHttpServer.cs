using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Fleet.Gateway.Tests;

/// <summary>
/// Git's smart HTTP protocol for one directory of repositories: the real <c>git http-backend</c> run as a CGI program
/// behind a loopback Kestrel listener that demands HTTP basic authentication.
/// </summary>
internal sealed class SourcesGitHttpServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SourcesGitHttpServer(WebApplication app, Uri baseUri)
    {
        _app = app;
        BaseUri = baseUri;
    }

    public Uri BaseUri { get; }

    /// <summary>Requests that reached git (authenticated), for counting fetches.</summary>
    public int GitRequests => _gitRequests;

    private int _gitRequests;

    public static async Task<SourcesGitHttpServer> StartAsync(string projectRoot, string username, string password)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}"));
        SourcesGitHttpServer? server = null;
        app.Run(async http =>
        {
            if (http.Request.Headers.Authorization.ToString() != expected)
            {
                http.Response.StatusCode = 401;
                http.Response.Headers.WWWAuthenticate = "Basic realm=\"git\"";
                return;
            }
            Interlocked.Increment(ref server!._gitRequests);
            await RunBackendAsync(http, projectRoot, username);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server = new SourcesGitHttpServer(app, new Uri(address.TrimEnd('/') + "/"));
        return server;
    }

    /// <summary>Runs one CGI request: the environment RFC 3875 names, the body on stdin, headers then body from stdout.</summary>
    private static async Task RunBackendAsync(HttpContext http, string projectRoot, string user)
    {
        var start = new ProcessStartInfo("git")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("http-backend");
        start.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        start.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        start.Environment["GIT_PROJECT_ROOT"] = projectRoot;
        start.Environment["GIT_HTTP_EXPORT_ALL"] = "1";
        start.Environment["REQUEST_METHOD"] = http.Request.Method;
        start.Environment["PATH_INFO"] = http.Request.Path.Value;
        start.Environment["QUERY_STRING"] = http.Request.QueryString.HasValue ? http.Request.QueryString.Value![1..] : "";
        start.Environment["CONTENT_TYPE"] = http.Request.ContentType ?? "";
        start.Environment["REMOTE_USER"] = user;
        start.Environment["REMOTE_ADDR"] = "127.0.0.1";
        if (http.Request.Headers.ContentEncoding.ToString() is { Length: > 0 } encoding)
        {
            start.Environment["HTTP_CONTENT_ENCODING"] = encoding;
        }
        if (http.Request.Headers["Git-Protocol"].ToString() is { Length: > 0 } protocol)
        {
            start.Environment["GIT_PROTOCOL"] = protocol;
        }
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        await http.Request.Body.CopyToAsync(process.StandardInput.BaseStream);
        process.StandardInput.Close();

        var output = process.StandardOutput.BaseStream;
        var header = new List<byte>();
        while (true)
        {
            var b = output.ReadByte();
            if (b < 0)
            {
                break;
            }
            header.Add((byte)b);
            if (header.Count >= 4 && header[^1] == '\n' && header[^2] == '\r' && header[^3] == '\n' && header[^4] == '\r')
            {
                break;
            }
            if (header.Count >= 2 && header[^1] == '\n' && header[^2] == '\n')
            {
                break;
            }
        }
        foreach (var line in Encoding.ASCII.GetString(header.ToArray()).Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }
            var (name, value) = (line[..colon].Trim(), line[(colon + 1)..].Trim());
            if (name.Equals("Status", StringComparison.OrdinalIgnoreCase))
            {
                http.Response.StatusCode = int.Parse(value.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            }
            else
            {
                http.Response.Headers[name] = value;
            }
        }
        await output.CopyToAsync(http.Response.Body);
        await process.WaitForExitAsync();
        await stderr;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
