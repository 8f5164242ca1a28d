using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Fleet.TestSupport;

/// <summary>
/// A silo (or, with <c>--role gateway</c>, a gateway) as its own process (<c>dotnet Fleet.Silo.dll</c>, found beside the
/// calling assembly), so that a test or a drill can kill it as a crash would.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private SiloProcess(Process process, string name, Uri gateway, int siloPort)
    {
        _process = process;
        Name = name;
        Gateway = gateway;
        SiloPort = siloPort;
    }

    public string Name { get; }

    public Uri Gateway { get; }

    /// <summary>The silo-to-silo port: Orleans names silos by address and this port.</summary>
    public int SiloPort { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>A client of this process's gateway, authenticated as the tests' admin; the caller disposes it.</summary>
    public HttpClient Client(TimeSpan? timeout = null)
    {
        var client = new HttpClient { BaseAddress = Gateway, Timeout = timeout ?? TimeSpan.FromSeconds(100) };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", TestTokens.Admin);
        return client;
    }

    /// <summary>The operating system's process id.</summary>
    public int Id => _process.Id;

    /// <summary>Called with each line the process writes (after it is kept in <see cref="Output"/>).</summary>
    public event Action<string>? Line;

    /// <summary>What the process wrote, for the assertion message when something goes wrong.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static async Task<SiloProcess> StartAsync(string name, string dataDirectory, params string[] args)
    {
        var http = FreePort();
        var siloPort = FreePort();
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Fleet.Silo.dll"));
        foreach (var a in (string[])["--urls", $"http://127.0.0.1:{http}", $"--Fleet:DataDirectory={dataDirectory}", $"--Fleet:SiloPort={siloPort}",
                     $"--Fleet:GatewayPort={FreePort()}", "--Fleet:Grpc:Port=0", "--Logging:LogLevel:Default=Warning",
                     $"--Fleet:Gateway:AllowedFileRoots={Path.GetTempPath()}", TestTokens.AdminArgument, .. args])
        {
            psi.ArgumentList.Add(a);
        }

        var process = Process.Start(psi)!;
        var silo = new SiloProcess(process, name, new Uri($"http://127.0.0.1:{http}/"), siloPort);
        process.OutputDataReceived += (_, e) => silo.Append(e.Data);
        process.ErrorDataReceived += (_, e) => silo.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        try
        {
            await WaitHealthyAsync(silo, client, process, name);
        }
        catch
        {
            // Never leave a silo process behind a failed start.
            await silo.DisposeAsync();
            throw;
        }

        return silo;
    }

    private static async Task WaitHealthyAsync(SiloProcess silo, HttpClient client, Process process, string name)
    {
        await Eventually.WaitAsync(
            async () =>
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"silo {name} exited: {silo.Output}");
                }

                try
                {
                    return (await client.GetAsync(new Uri(silo.Gateway, "healthz"))).IsSuccessStatusCode;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    // Not listening yet, or too busy to answer within the probe's 2 s (a loaded machine): ask again.
                    return false;
                }
            },
            $"silo {name} to answer",
            TimeSpan.FromSeconds(90));
    }

    /// <summary>Ends the process at once (SIGKILL): no deactivation, no goodbye to the cluster.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    /// <summary>A free loopback port.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            if (_output.Length < 200_000)
            {
                _output.AppendLine(line);
            }
        }

        Line?.Invoke(line);
    }
}
