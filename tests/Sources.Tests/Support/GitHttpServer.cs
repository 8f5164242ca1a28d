using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Fleet.Sources.Tests.Support;

/// <summary>
/// Git's smart HTTP protocol served by the real <c>git http-backend</c> as a CGI program behind an
/// <see cref="HttpListener"/> on a free loopback port, with optional basic or bearer authentication.
/// With <see cref="Hang"/> set it accepts requests and never answers, to exercise time-outs.
/// </summary>
internal sealed class GitHttpServer : IDisposable
{
    private readonly HttpListener _listener;
    private readonly string _projectRoot;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private GitHttpServer(HttpListener listener, string projectRoot, int port)
    {
        _listener = listener;
        _projectRoot = projectRoot;
        Port = port;
        _loop = Task.Run(AcceptLoopAsync);
    }

    public int Port { get; }

    public string? Username { get; init; }

    public string? Password { get; init; }

    public string? BearerToken { get; init; }

    public bool Hang { get; set; }

    /// <summary>When set, every request is answered with a redirect to the same path under this base URL.</summary>
    public string? RedirectTo { get; set; }

    /// <summary>Every Authorization header received, to show what the client sent.</summary>
    public ConcurrentQueue<string> AuthorizationHeaders { get; } = new();

    public int Requests;

    /// <summary>Bytes of git http-backend responses sent (ref advertisements and packs): what the client downloaded.</summary>
    public long BytesSent;

    /// <summary>The URL of the repository at <paramref name="repositoryPath"/>, under the project root.</summary>
    public string UrlFor(string repositoryPath) => $"http://127.0.0.1:{Port}/{System.IO.Path.GetRelativePath(_projectRoot, repositoryPath)}";

    public static GitHttpServer Start(string projectRoot, string? username = null, string? password = null, string? bearerToken = null)
    {
        for (var attempt = 0; ; attempt++)
        {
            var port = FreePort();
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
                return new GitHttpServer(listener, projectRoot, port) { Username = username, Password = password, BearerToken = bearerToken };
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                listener.Close();
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(10));
        }
        catch (AggregateException)
        {
            // The loop ends by its listener being closed.
        }

        _stop.Dispose();
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        Interlocked.Increment(ref Requests);
        var response = context.Response;
        try
        {
            if (Hang)
            {
                await Task.Delay(Timeout.Infinite, _stop.Token);
            }

            var authorization = context.Request.Headers["Authorization"];
            if (authorization is not null)
            {
                AuthorizationHeaders.Enqueue(authorization);
            }

            if (RedirectTo is not null)
            {
                response.Redirect(RedirectTo.TrimEnd('/') + context.Request.Url!.PathAndQuery);
                response.Close();
                return;
            }

            if (!Authorized(authorization))
            {
                response.StatusCode = 401;
                response.AddHeader("WWW-Authenticate", BearerToken is not null ? "Bearer" : "Basic realm=\"git\"");
                response.Close();
                return;
            }

            await RunBackendAsync(context);
        }
        catch (OperationCanceledException)
        {
            response.Abort();
        }
        catch (Exception ex) when (ex is HttpListenerException or IOException or ObjectDisposedException)
        {
            response.Abort();
        }
    }

    private bool Authorized(string? authorization)
    {
        if (BearerToken is not null)
        {
            return authorization == "Bearer " + BearerToken;
        }

        if (Username is not null)
        {
            var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Username}:{Password}"));
            return authorization == expected;
        }

        return true;
    }

    private async Task RunBackendAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var psi = new ProcessStartInfo("git")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("http-backend");
        psi.Environment["GIT_PROJECT_ROOT"] = _projectRoot;
        psi.Environment["GIT_HTTP_EXPORT_ALL"] = "1";
        psi.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        psi.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        psi.Environment["REQUEST_METHOD"] = request.HttpMethod;
        psi.Environment["PATH_INFO"] = Uri.UnescapeDataString(request.Url!.AbsolutePath);
        psi.Environment["QUERY_STRING"] = request.Url.Query.TrimStart('?');
        psi.Environment["CONTENT_TYPE"] = request.ContentType ?? string.Empty;
        psi.Environment["REMOTE_ADDR"] = "127.0.0.1";
        psi.Environment["REMOTE_USER"] = Username ?? "anonymous";
        if (request.Headers["Git-Protocol"] is { } protocol)
        {
            psi.Environment["GIT_PROTOCOL"] = protocol;
        }

        if (request.Headers["Content-Encoding"] is { } encoding)
        {
            psi.Environment["HTTP_CONTENT_ENCODING"] = encoding;
        }

        using var process = Process.Start(psi)!;
        try
        {
            var stderr = process.StandardError.ReadToEndAsync();
            var input = Task.Run(async () =>
            {
                await request.InputStream.CopyToAsync(process.StandardInput.BaseStream);
                process.StandardInput.Close();
            });
            var output = process.StandardOutput.BaseStream;
            var headers = await ReadHeadersAsync(output);
            var response = context.Response;
            response.SendChunked = true;
            foreach (var (name, value) in headers)
            {
                if (name.Equals("Status", StringComparison.OrdinalIgnoreCase))
                {
                    response.StatusCode = int.Parse(value.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
                }
                else if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
                {
                    response.ContentType = value;
                }
                else if (!name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                {
                    response.AddHeader(name, value);
                }
            }

            var buffer = new byte[81920];
            int read;
            while ((read = await output.ReadAsync(buffer)) > 0)
            {
                await response.OutputStream.WriteAsync(buffer.AsMemory(0, read));
                Interlocked.Add(ref BytesSent, read);
            }

            await input;
            await stderr;
            await process.WaitForExitAsync();
            response.Close();
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    private static async Task<List<(string Name, string Value)>> ReadHeadersAsync(Stream stream)
    {
        var headers = new List<(string, string)>();
        var line = new List<byte>();
        var one = new byte[1];
        while (await stream.ReadAsync(one) == 1)
        {
            if (one[0] == '\n')
            {
                var text = Encoding.ASCII.GetString(line.ToArray()).TrimEnd('\r');
                line.Clear();
                if (text.Length == 0)
                {
                    break;
                }

                var colon = text.IndexOf(':', StringComparison.Ordinal);
                headers.Add((text[..colon].Trim(), text[(colon + 1)..].Trim()));
            }
            else
            {
                line.Add(one[0]);
            }
        }

        return headers;
    }
}
