using Fleet.Kubernetes;

namespace Fleet.Infra.Tests;

/// <summary>
/// One real kube-apiserver for the collection, started by <c>../shared/tools/kube/kube-real</c> beside the
/// repository; where that test oracle is absent (a fresh clone) the tests that need it skip, saying why.
/// </summary>
public sealed class KubeRealFixture : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"fleet-infra-kube-real-{Guid.NewGuid():N}");
    private readonly string _script = Path.Combine(Repo.Root, "..", "shared", "tools", "kube", "kube-real");
    private ClusterConnection? _connection;

    /// <summary>Null when the server runs; otherwise why the real-server tests are skipped.</summary>
    public string? SkipReason { get; private set; }

    public async Task InitializeAsync()
    {
        if (!File.Exists(_script))
        {
            SkipReason = $"kube-real not found at {Path.GetFullPath(_script)}: the real-server test needs the test oracle beside the repository";
            return;
        }

        var (code, output) = await RunAsync(["start", _dir], TimeSpan.FromMinutes(3));
        if (code != 0)
        {
            SkipReason = $"kube-real did not start (exit {code}): {output}";
            return;
        }

        var env = output.Split('\n').Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0].Trim(), p => p[1].Trim());
        _connection = new ClusterConnection(env["KUBE_SERVER"], await File.ReadAllTextAsync(env["KUBE_CA"]), false, env["KUBE_TOKEN"]);
    }

    public async Task DisposeAsync()
    {
        if (File.Exists(_script) && Directory.Exists(_dir))
        {
            await RunAsync(["stop", _dir], TimeSpan.FromMinutes(1));
            Directory.Delete(_dir, recursive: true);
        }
    }

    public KubeClient Client()
    {
        Skip.If(SkipReason is not null, SkipReason);
        return new KubeClient(_connection!, new KubeClientOptions { RequestTimeout = TimeSpan.FromSeconds(20) });
    }

    private async Task<(int ExitCode, string Output)> RunAsync(IEnumerable<string> args, TimeSpan timeout)
    {
        var (code, stdout, stderr) = await Processes.RunAsync(_script, args, timeout);
        return (code, stdout + stderr);
    }
}

[CollectionDefinition(Name)]
public sealed class KubeRealCollection : ICollectionFixture<KubeRealFixture>
{
    public const string Name = "kube-real";
}
