using System.Diagnostics;
using System.Text;

namespace Fleet.KubeSim.Tests.Support;

/// <summary>Runs the real kubectl against a KubeSim cluster through a kubeconfig in a private temp directory.</summary>
public sealed class Kubectl : IDisposable
{
    private readonly string _dir;

    public Kubectl(KubeSimServer server, string cluster)
    {
        _dir = Directory.CreateTempSubdirectory("kubesim-kubectl-").FullName;
        KubeconfigPath = System.IO.Path.Combine(_dir, "kubeconfig");
        var ca = Convert.ToBase64String(Encoding.UTF8.GetBytes(server.CaCertificatePem ?? throw new InvalidOperationException("kubectl needs TLS: it does not send tokens over plain HTTP")));
        File.WriteAllText(KubeconfigPath, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: sim
              cluster:
                server: {server.ClusterUri(cluster)}
                certificate-authority-data: {ca}
            users:
            - name: sim
              user:
                token: {server.Token}
            contexts:
            - name: sim
              context: {"{"}cluster: sim, user: sim{"}"}
            current-context: sim
            """);
    }

    public static string? Path { get; } =
        File.Exists("/usr/bin/kubectl") ? "/usr/bin/kubectl"
        : (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':')
            .Select(d => System.IO.Path.Combine(d, "kubectl")).FirstOrDefault(File.Exists);

    public string KubeconfigPath { get; }

    public string WriteFile(string name, string content)
    {
        var path = System.IO.Path.Combine(_dir, name);
        File.WriteAllText(path, content);
        return path;
    }

    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
    }

    private ProcessStartInfo Start(IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(Path!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("--kubeconfig");
        psi.ArgumentList.Add(KubeconfigPath);
        psi.ArgumentList.Add("--cache-dir");
        psi.ArgumentList.Add(System.IO.Path.Combine(_dir, "cache"));
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["HOME"] = _dir;
        psi.Environment["KUBECTL_EXTERNAL_DIFF"] = string.Empty;
        return psi;
    }

    public async Task<Result> Run(params string[] args)
    {
        using var process = Process.Start(Start(args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"kubectl {string.Join(' ', args)} did not finish in 90 s");
        }

        return new Result(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts a long-running kubectl (e.g. <c>get -w</c>) and collects its output lines.</summary>
    public RunningKubectl StartLong(params string[] args) => new(Process.Start(Start(args))!);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A temp directory left behind is harmless.
        }
    }
}

/// <summary>A kubectl process still running; lines of its standard output as they arrive.</summary>
public sealed class RunningKubectl : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly Task _reader;

    public RunningKubectl(Process process)
    {
        _process = process;
        _reader = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                lock (_lines)
                {
                    _lines.Add(line);
                }
            }
        });
        // Drain stderr so a chatty kubectl never blocks on a full pipe.
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
    }

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    public async Task WaitForLine(Func<string, bool> predicate, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Lines.Any(predicate))
        {
            if (DateTime.UtcNow > deadline || _process.HasExited && _reader.IsCompleted && !Lines.Any(predicate))
            {
                throw new TimeoutException($"kubectl printed no matching line; got:\n{string.Join('\n', Lines)}");
            }

            await Task.Delay(25);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
