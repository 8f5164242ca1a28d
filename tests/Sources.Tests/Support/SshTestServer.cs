using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Fleet.Sources.Tests.Support;

/// <summary>A fact that is skipped, saying why, when Debian's openssh-server (sshd) is not installed.</summary>
internal sealed class SshdFactAttribute : FactAttribute
{
    public SshdFactAttribute()
    {
        if (!File.Exists(SshTestServer.SshdPath))
        {
            Skip = $"{SshTestServer.SshdPath} is missing: install Debian's openssh-server to run the ssh tests";
        }
        else if (!File.Exists("/usr/bin/ssh-keygen"))
        {
            Skip = "ssh-keygen is missing: install Debian's openssh-client to run the ssh tests";
        }
    }
}

/// <summary>
/// Debian's sshd on a free loopback port, with its own config, a generated host key and one generated
/// user key, running as the current user; killed on dispose.
/// </summary>
internal sealed class SshTestServer : IDisposable
{
    public const string SshdPath = "/usr/sbin/sshd";

    private readonly Process _process;
    private readonly string _dir;

    private SshTestServer(Process process, string dir, int port, string userKey, string knownHosts)
    {
        _process = process;
        _dir = dir;
        Port = port;
        UserPrivateKey = userKey;
        KnownHosts = knownHosts;
    }

    public int Port { get; }

    public string UserPrivateKey { get; }

    public string KnownHosts { get; }

    public string UrlFor(GitTestRepo repo) => $"ssh://{Environment.UserName}@127.0.0.1:{Port}{repo.Path}";

    /// <param name="forceCommand">When set, sshd runs this for every session instead of what the client asks (to make a server that hangs).</param>
    public static async Task<SshTestServer> StartAsync(string? forceCommand = null)
    {
        var dir = TempDir.Create("fleet-sshd-");
        Run("/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", Path.Combine(dir, "host_key"));
        Run("/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", Path.Combine(dir, "user_key"));
        File.Copy(Path.Combine(dir, "user_key.pub"), Path.Combine(dir, "authorized_keys"));
        if (Environment.UserName == "root")
        {
            // sshd started as root insists on its privilege-separation directory.
            Directory.CreateDirectory("/run/sshd");
        }

        for (var attempt = 0; ; attempt++)
        {
            int port;
            using (var probe = new TcpListener(IPAddress.Loopback, 0))
            {
                probe.Start();
                port = ((IPEndPoint)probe.LocalEndpoint).Port;
            }

            var config = Path.Combine(dir, "sshd_config");
            File.WriteAllText(config, $"""
                Port {port}
                ListenAddress 127.0.0.1
                HostKey {Path.Combine(dir, "host_key")}
                AuthorizedKeysFile {Path.Combine(dir, "authorized_keys")}
                PidFile {Path.Combine(dir, "sshd.pid")}
                StrictModes no
                UsePAM no
                PasswordAuthentication no
                KbdInteractiveAuthentication no
                PubkeyAuthentication yes
                PermitRootLogin prohibit-password
                AllowTcpForwarding no
                X11Forwarding no
                PrintMotd no
                LogLevel ERROR
                {(forceCommand is null ? string.Empty : "ForceCommand " + forceCommand)}

                """);
            var psi = new ProcessStartInfo(SshdPath) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var arg in new[] { "-D", "-e", "-f", config })
            {
                psi.ArgumentList.Add(arg);
            }

            var process = Process.Start(psi)!;
            _ = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            var deadline = DateTime.UtcNow.AddSeconds(15);
            while (DateTime.UtcNow < deadline && !process.HasExited)
            {
                if (await BannerAsync(port))
                {
                    var hostKey = File.ReadAllText(Path.Combine(dir, "host_key.pub")).Trim().Split(' ');
                    var knownHosts = $"[127.0.0.1]:{port} {hostKey[0]} {hostKey[1]}\n";
                    return new SshTestServer(process, dir, port, File.ReadAllText(Path.Combine(dir, "user_key")), knownHosts);
                }

                await Task.Delay(50);
            }

            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            if (attempt >= 3)
            {
                throw new InvalidOperationException("sshd did not start: " + await errors);
            }
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }

        _process.Dispose();
        TempDir.Delete(_dir);
    }

    private static async Task<bool> BannerAsync(int port)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            var buffer = new byte[8];
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            var n = await client.GetStream().ReadAsync(buffer, cts.Token);
            return n > 0 && Encoding.ASCII.GetString(buffer, 0, n).StartsWith("SSH-", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }

    private static void Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardError = true };
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        using var process = Process.Start(psi)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} failed: {error}");
        }
    }
}
