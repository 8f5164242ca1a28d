using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace Fleet.TestSupport;

/// <summary>
/// A private PostgreSQL server for tests and benchmarks: Debian's binaries, a fresh cluster (initdb) in a temporary
/// directory, a free loopback port, its unix socket in that directory, fsync off for speed (a crash of the server
/// process loses nothing committed; only an operating system crash would, which tests do not need). When the process
/// runs as root, the server runs as the <c>postgres</c> OS user (PostgreSQL refuses to run as root). Several test
/// processes can each start their own at once: directories are unique and a port clash is retried on another port.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly string _bin;
    private readonly bool _asPostgresUser;
    private Process? _process;
    private readonly StringBuilder _output = new();

    private PostgresServer(string bin, string directory, bool asPostgresUser)
    {
        _bin = bin;
        Directory = directory;
        _asPostgresUser = asPostgresUser;
    }

    /// <summary>The directory of the cluster, deleted when the server is disposed.</summary>
    public string Directory { get; }

    public int Port { get; private set; }

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The bin directory of the newest PostgreSQL installed, or null when none is.</summary>
    public static string? FindBinaries()
    {
        const string root = "/usr/lib/postgresql";
        if (!System.IO.Directory.Exists(root))
        {
            return null;
        }

        return System.IO.Directory.GetDirectories(root)
            .Select(d => (Dir: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
            .Where(x => File.Exists(Path.Combine(x.Dir, "initdb")) && File.Exists(Path.Combine(x.Dir, "postgres")))
            .OrderByDescending(x => x.Version)
            .Select(x => x.Dir)
            .FirstOrDefault();
    }

    /// <summary>Why PostgreSQL tests cannot run here, or null when they can.</summary>
    public static string? UnavailableReason()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "PostgreSQL tests need Linux with Debian's postgresql package.";
        }

        if (FindBinaries() is null)
        {
            return "PostgreSQL binaries are missing (no /usr/lib/postgresql/*/bin/initdb); install the Debian package 'postgresql' (scripts/install-deps.sh does as root).";
        }

        if (IsRoot() && !File.Exists("/usr/sbin/runuser") && !File.Exists("/sbin/runuser"))
        {
            return "Running as root, but 'runuser' is missing to start PostgreSQL as the postgres user.";
        }

        return null;
    }

    public static async Task<PostgresServer> StartAsync(CancellationToken ct = default)
    {
        var reason = UnavailableReason();
        if (reason is not null)
        {
            throw new InvalidOperationException(reason);
        }

        var root = IsRoot();
        CleanUpAbandoned();
        var dir = System.IO.Directory.CreateTempSubdirectory(DirectoryPrefix).FullName;
        await File.WriteAllTextAsync(Path.Combine(dir, OwnerFile), Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), ct);
        var server = new PostgresServer(FindBinaries()!, dir, root);
        try
        {
            System.IO.Directory.CreateDirectory(Path.Combine(dir, "sock"));
            if (root)
            {
                await RunAsync("chown", ["-R", "postgres:postgres", dir], ct);
            }

            await server.RunToolAsync("initdb", ["-D", server.DataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"], ct);
            await server.StartServerAsync(ct);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private const string DirectoryPrefix = "fleet-pg-";
    private const string OwnerFile = "owner.pid";

    private string DataDirectory => Path.Combine(Directory, "data");

    /// <summary>
    /// Removes servers and directories left by test processes that died without cleaning up (a killed test host
    /// cannot run its exit handlers), so that they do not pile up.
    /// </summary>
    private static void CleanUpAbandoned()
    {
        foreach (var dir in System.IO.Directory.GetDirectories(Path.GetTempPath(), DirectoryPrefix + "*"))
        {
            try
            {
                var ownerFile = Path.Combine(dir, OwnerFile);
                if (!File.Exists(ownerFile) || !int.TryParse(File.ReadAllText(ownerFile), out var owner) || IsAlive(owner))
                {
                    continue;
                }

                var pidFile = Path.Combine(dir, "data", "postmaster.pid");
                if (File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var pg) && IsAlive(pg))
                {
                    using var p = Process.GetProcessById(pg);
                    p.Kill();
                    p.WaitForExit(10_000);
                }

                System.IO.Directory.Delete(dir, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or System.ComponentModel.Win32Exception or ArgumentException)
            {
                // Another process is cleaning the same directory, or it is not ours to remove.
            }
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>A connection string for a database of this server.</summary>
    public string ConnectionString(string database = "postgres") => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = "postgres",
        Database = database,
        Pooling = true,
        MaxPoolSize = 40,
        Timeout = 5,
    }.ToString();

    /// <summary>Creates a new, empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string? name = null, CancellationToken ct = default)
    {
        name ??= "t_" + Guid.NewGuid().ToString("N")[..16];
        await using var c = new NpgsqlConnection(ConnectionString());
        await c.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", c);
        await cmd.ExecuteNonQueryAsync(ct);
        return ConnectionString(name);
    }

    /// <summary>Stops the server abruptly (as if it crashed); <see cref="StartServerAsync"/> brings it back on the same port.</summary>
    public async Task StopAsync()
    {
        if (_process is null)
        {
            return;
        }

        if (!_process.HasExited)
        {
            try
            {
                await RunToolAsync("pg_ctl", ["stop", "-D", DataDirectory, "-m", "immediate", "-w"], CancellationToken.None);
            }
            catch (InvalidOperationException)
            {
                // Already stopping; the kill below makes sure.
            }

            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        _process = null;
    }

    /// <summary>Starts (or restarts) the server, on the same port when it ran before.</summary>
    public async Task StartServerAsync(CancellationToken ct = default)
    {
        var reusePort = Port != 0;
        for (var attempt = 1; ; attempt++)
        {
            if (!reusePort)
            {
                Port = FreePort();
            }

            _output.Clear();
            var args = new List<string>
            {
                Path.Combine(_bin, "postgres"), "-D", DataDirectory, "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "-k", Path.Combine(Directory, "sock"), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
                "-c", "full_page_writes=off", "-c", "max_connections=400",
                "-c", "shared_buffers=64MB", "-c", "log_min_messages=fatal",
            };
            _process = Start(args);
            if (await WaitReadyAsync(ct))
            {
                return;
            }

            var output = _output.ToString();
            await StopAsync();
            if (attempt >= 5 || reusePort && attempt >= 20)
            {
                throw new InvalidOperationException($"PostgreSQL did not start on port {Port}: {output}");
            }

            if (reusePort)
            {
                // The port of the previous run may still be in TIME_WAIT; try again shortly.
                await Task.Delay(250, ct);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private async Task<bool> WaitReadyAsync(CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process!.HasExited)
            {
                return false;
            }

            try
            {
                await using var c = new NpgsqlConnection(ConnectionString() + ";Pooling=false");
                await c.OpenAsync(ct);
                return true;
            }
            catch (NpgsqlException)
            {
                // Not accepting connections yet: poll again.
                await Task.Delay(50, ct);
            }
        }

        return false;
    }

    private Process Start(IReadOnlyList<string> command)
    {
        var psi = new ProcessStartInfo
        {
            FileName = _asPostgresUser ? "runuser" : command[0],
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (_asPostgresUser)
        {
            psi.ArgumentList.Add("-u");
            psi.ArgumentList.Add("postgres");
            psi.ArgumentList.Add("--");
            psi.ArgumentList.Add(command[0]);
        }

        foreach (var a in command.Skip(1))
        {
            psi.ArgumentList.Add(a);
        }

        var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => Append(e.Data);
        p.ErrorDataReceived += (_, e) => Append(e.Data);
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            if (_output.Length < 8000)
            {
                _output.AppendLine(line);
            }
        }
    }

    private async Task RunToolAsync(string tool, IReadOnlyList<string> args, CancellationToken ct)
    {
        var command = new List<string> { Path.Combine(_bin, tool) };
        command.AddRange(args);
        if (_asPostgresUser)
        {
            await RunAsync("runuser", ["-u", "postgres", "--", .. command], ct);
        }
        else
        {
            await RunAsync(command[0], command.Skip(1).ToArray(), ct);
        }
    }

    private static async Task RunAsync(string file, IReadOnlyList<string> args, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct);
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args.Take(4))} failed ({p.ExitCode}): {await stderr}{await stdout}");
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static bool IsRoot() => Environment.UserName == "root";
}
