using System.Diagnostics;
using System.Net.Sockets;

namespace Fleet.TestSupport;

/// <summary>
/// Azurite (Microsoft's Azure Storage emulator, from npm) on free loopback ports with its own folder, for the Azure
/// Storage backend's tests. The test command installs it into <c>.tmp/npm</c> at the repository root.
/// </summary>
public sealed class AzuriteServer : IAsyncDisposable
{
    /// <summary>Azurite's well-known development account (public, documented by Microsoft; not a secret).</summary>
    private const string Account = "devstoreaccount1";
    private const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly Process _process;
    private readonly string _directory;

    private AzuriteServer(Process process, string directory, int tablePort, int blobPort, int queuePort)
    {
        _process = process;
        _directory = directory;
        ConnectionString = $"DefaultEndpointsProtocol=http;AccountName={Account};AccountKey={Key};" +
            $"BlobEndpoint=http://127.0.0.1:{blobPort}/{Account};QueueEndpoint=http://127.0.0.1:{queuePort}/{Account};TableEndpoint=http://127.0.0.1:{tablePort}/{Account};";
    }

    public string ConnectionString { get; }

    /// <summary>Why Azurite cannot run here, or null.</summary>
    public static string? UnavailableReason() =>
        FindAzurite() is null ? "Azurite is not installed: scripts/install-deps.sh installs it from npm into .tmp/npm (needs node and npm)." : null;

    public static async Task<AzuriteServer> StartAsync()
    {
        var azurite = FindAzurite() ?? throw new InvalidOperationException(UnavailableReason());
        var directory = Directory.CreateTempSubdirectory("fleet-azurite-").FullName;
        int[] ports = [FreePort(), FreePort(), FreePort()];
        var psi = new ProcessStartInfo(azurite) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["--silent", "--skipApiVersionCheck", "--loose", "--location", directory,
                     "--tableHost", "127.0.0.1", "--tablePort", $"{ports[0]}", "--blobHost", "127.0.0.1", "--blobPort", $"{ports[1]}",
                     "--queueHost", "127.0.0.1", "--queuePort", $"{ports[2]}"])
        {
            psi.ArgumentList.Add(a);
        }

        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new AzuriteServer(process, directory, ports[0], ports[1], ports[2]);
        await Eventually.WaitAsync(
            () =>
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"Azurite exited with {process.ExitCode}");
                }

                try
                {
                    using var c = new TcpClient();
                    c.Connect("127.0.0.1", ports[0]);
                    return true;
                }
                catch (SocketException)
                {
                    return false;
                }
            },
            "Azurite to listen",
            TimeSpan.FromSeconds(60));
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Left to the OS's temporary-file cleanup.
        }
    }

    private static string? FindAzurite()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, ".tmp", "npm", "node_modules", ".bin", "azurite");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>A fact that needs Azurite: skipped, saying why, where it is not installed.</summary>
public sealed class AzuriteFactAttribute : FactAttribute
{
    public AzuriteFactAttribute()
    {
        if (AzuriteServer.UnavailableReason() is { } reason)
        {
            Skip = reason;
        }
    }
}
