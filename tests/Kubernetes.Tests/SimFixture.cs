using System.Diagnostics;
using System.Text.Json.Nodes;
using Fleet.KubeSim;

namespace Fleet.Kubernetes.Tests;

/// <summary>
/// One in-process KubeSim for the whole test collection; every test takes a virtual cluster of its own
/// (so tests run in parallel without seeing each other's objects).
/// </summary>
public sealed class SimFixture : IAsyncLifetime
{
    private int _next;

    public KubeSimServer Server { get; private set; } = null!;

    public const int ClusterCount = 80;

    public async Task InitializeAsync()
    {
        Server = await KubeSimServer.StartAsync(new KubeSimOptions
        {
            Clusters = ClusterCount,
            Token = "sim-token-" + Guid.NewGuid().ToString("N")[..8],
            ReadyDelay = TimeSpan.FromMilliseconds(200),
            Tls = true,
        });
        CaFile = Path.Combine(Path.GetTempPath(), $"fleet-k8s-tests-{Guid.NewGuid():N}.crt");
        await File.WriteAllTextAsync(CaFile, Server.CaCertificatePem);
    }

    /// <summary>KubeSim's CA certificate in a file, for kubectl.</summary>
    public string CaFile { get; private set; } = null!;

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        File.Delete(CaFile);
    }

    /// <summary>A cluster no other test uses.</summary>
    public string TakeCluster()
    {
        var n = Interlocked.Increment(ref _next);
        Assert.True(n <= ClusterCount, "SimFixture.ClusterCount is too small for the number of tests");
        return $"sim-{n:D4}";
    }

    public ClusterConnection Connection(string cluster) =>
        new(Server.ClusterUri(cluster).ToString(), Server.CaCertificatePem, false, Server.Token);

    public KubeClient Client(string cluster, KubeClientOptions? options = null) =>
        new(Connection(cluster), options ?? new KubeClientOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(20), RequestTimeout = TimeSpan.FromSeconds(10) });

    public void SetFaults(string cluster, ClusterFaults faults) => Server.SetFaults(cluster, faults);

    public ClusterStats Stats(string cluster) => Server.GetStats(cluster);

    /// <summary>Runs the real kubectl against a virtual cluster over TLS.</summary>
    public async Task<(int ExitCode, string Output)> KubectlAsync(string cluster, params string[] args)
    {
        var psi = new ProcessStartInfo("kubectl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add($"--server={Server.ClusterUri(cluster)}");
        // A throw-away KubeSim token, so passing it as a flag is harmless here.
        psi.ArgumentList.Add($"--token={Server.Token}");
        psi.ArgumentList.Add($"--certificate-authority={CaFile}");
        psi.ArgumentList.Add($"--cache-dir={Path.Combine(Path.GetTempPath(), "fleet-kubectl-cache-" + Environment.ProcessId)}");
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    public static bool HasKubectl => File.Exists("/usr/bin/kubectl") || File.Exists("/usr/local/bin/kubectl");
}

[CollectionDefinition(Name)]
public sealed class SimCollection : ICollectionFixture<SimFixture>
{
    public const string Name = "KubeSim";
}

internal static class JsonTestExtensions
{
    public static string? At(this JsonNode? node, params string[] path) => node.Str(path);
}
