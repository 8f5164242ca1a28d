using System.Diagnostics;

namespace Fleet.Kubernetes.Tests;

/// <summary>
/// One real kube-apiserver 1.32 with kube-controller-manager for the whole collection, started by
/// <c>../shared/tools/kube/kube-real</c> beside the repository. Where that script is absent (a fresh clone) the tests
/// that need it are skipped, saying why. Tests share the server and keep apart by namespace and name.
/// </summary>
public sealed class KubeRealFixture : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"fleet-kube-real-{Guid.NewGuid():N}");
    private int _next;

    /// <summary>Null when the server runs; otherwise why the real-server tests are skipped.</summary>
    public string? SkipReason { get; private set; }

    public string Script { get; } = Path.Combine(RepositoryRoot(), "..", "shared", "tools", "kube", "kube-real");

    public string Server { get; private set; } = "";

    public string Token { get; private set; } = "";

    public string CaPem { get; private set; } = "";

    /// <summary>The server's CA certificate file; its key (<c>ca.key</c>) lies beside it, and the server trusts client certificates it signs.</summary>
    public string CaFile { get; private set; } = "";

    public string Kubeconfig { get; private set; } = "";

    public async Task InitializeAsync()
    {
        if (!File.Exists(Script))
        {
            SkipReason = $"kube-real not found at {Path.GetFullPath(Script)}: the real-server half of the suite needs the test oracle beside the repository";
            return;
        }
        var (code, output) = await RunAsync(Script, ["start", _dir, "--controllers"], TimeSpan.FromMinutes(3));
        if (code != 0)
        {
            SkipReason = $"kube-real did not start (exit {code}): {output}";
            return;
        }
        var env = output.Split('\n').Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0].Trim(), p => p[1].Trim());
        Server = env["KUBE_SERVER"];
        Token = env["KUBE_TOKEN"];
        CaFile = env["KUBE_CA"];
        CaPem = await File.ReadAllTextAsync(CaFile);
        Kubeconfig = env["KUBECONFIG"];
    }

    public async Task DisposeAsync()
    {
        if (File.Exists(Script) && Directory.Exists(_dir))
        {
            await RunAsync(Script, ["stop", _dir], TimeSpan.FromMinutes(1));
            Directory.Delete(_dir, recursive: true);
        }
    }

    /// <summary>A number no other test of this run has, to make namespaces and cluster-scoped names unique.</summary>
    public int NextId() => Interlocked.Increment(ref _next);

    public ClusterConnection Connection() => new(Server, CaPem, false, Token);

    /// <summary>The real kubectl against this server.</summary>
    public Task<(int ExitCode, string Output)> KubectlAsync(params string[] args) =>
        RunAsync("kubectl", ["--kubeconfig", Kubeconfig, .. args], TimeSpan.FromSeconds(60));

    internal static async Task<(int ExitCode, string Output)> RunAsync(string file, IEnumerable<string> args, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Directory.Packages.props")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"no repository root (Directory.Packages.props) above {AppContext.BaseDirectory}");
    }
}

[CollectionDefinition(Name)]
public sealed class KubeRealCollection : ICollectionFixture<KubeRealFixture>
{
    public const string Name = "kube-real";
}
