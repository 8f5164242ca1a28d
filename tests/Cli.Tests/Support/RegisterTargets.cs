using Fleet.KubeSim;
using Fleet.TestSupport;

namespace Fleet.Cli.Tests.Support;

/// <summary>
/// The clusters <c>fleet cluster register</c> is tried on: one KubeSim (TLS, with a read-only token for "forbidden"),
/// in which each test makes its own cluster, and one real kube-apiserver with kube-controller-manager (token Secrets
/// need its token controller), started on first use and shared by the class.
/// </summary>
public sealed class RegisterTargets : IAsyncLifetime
{
    public const string SimToken = "sim-admin-token-for-register";
    public const string ReadOnlyToken = "sim-read-only-token-for-register";
    private readonly SemaphoreSlim _realLock = new(1, 1);
    private KubeReal? _real;
    private int _next;

    public KubeSimServer Sim { get; private set; } = null!;

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("fleet-cli-register-").FullName;

    public async Task InitializeAsync() =>
        Sim = await KubeSimServer.StartAsync(new KubeSimOptions { Token = SimToken, ReadOnlyToken = ReadOnlyToken, Tls = true, ReadyDelay = TimeSpan.FromMilliseconds(100) });

    /// <summary>A new KubeSim cluster and a kubeconfig for it (context <c>sim</c>, plus an unrelated context <c>other</c>).</summary>
    public (string Cluster, string Kubeconfig) NewSimCluster(string token = SimToken)
    {
        var name = $"reg-{Interlocked.Increment(ref _next):D3}";
        Assert.True(Sim.CreateCluster(name));
        return (name, WriteKubeconfig(name, Sim.ClusterUri(name).AbsoluteUri, Sim.CaCertificatePem!, token));
    }

    /// <summary>The real kube-apiserver (with controllers) and a kubeconfig for it whose CA is a file next to it, by a relative path.</summary>
    public async Task<(KubeReal Real, string Kubeconfig)> RealAsync()
    {
        await _realLock.WaitAsync();
        try
        {
            _real ??= await KubeReal.StartAsync(controllers: true);
            var dir = System.IO.Directory.CreateDirectory(Path.Combine(Directory, "real-" + Interlocked.Increment(ref _next).ToString("D3", System.Globalization.CultureInfo.InvariantCulture))).FullName;
            File.Copy(_real.CaFile, Path.Combine(dir, "ca.crt"));
            var kubeconfig = Path.Combine(dir, "config");
            File.WriteAllText(kubeconfig, $"""
                apiVersion: v1
                kind: Config
                clusters:
                - name: real
                  cluster: {"{"}server: "{_real.Server.AbsoluteUri.TrimEnd('/')}", certificate-authority: ca.crt{"}"}
                users:
                - name: admin
                  user: {"{"}token: {_real.Token}{"}"}
                contexts:
                - name: real
                  context: {"{"}cluster: real, user: admin{"}"}
                current-context: real
                """);
            return (_real, kubeconfig);
        }
        finally
        {
            _realLock.Release();
        }
    }

    private string WriteKubeconfig(string name, string server, string caPem, string token)
    {
        var path = Path.Combine(Directory, name + ".kubeconfig");
        var ca = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(caPem));
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: sim
              cluster: {"{"}server: "{server}", certificate-authority-data: {ca}{"}"}
            - name: other
              cluster: {"{"}server: "https://127.0.0.1:1"{"}"}
            users:
            - name: sim
              user: {"{"}token: {token}{"}"}
            contexts:
            - name: other
              context: {"{"}cluster: other, user: sim{"}"}
            - name: sim
              context: {"{"}cluster: sim, user: sim{"}"}
            current-context: other
            """);
        return path;
    }

    public async Task DisposeAsync()
    {
        await Sim.DisposeAsync();
        if (_real is not null)
        {
            await _real.DisposeAsync();
        }
        _realLock.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
