using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;

namespace Fleet.TestSupport;

/// <summary>
/// A real kube-apiserver 1.32 started by <c>../shared/tools/kube/kube-real</c> (beside the repository), one per
/// test collection: it costs about 300 MB and 5-30 s to start.
/// </summary>
public sealed class KubeReal : IAsyncDisposable
{
    private readonly string _dir;

    private KubeReal(string dir, Uri server, string token, string caFile)
    {
        _dir = dir;
        Server = server;
        Token = token;
        CaFile = caFile;
    }

    public Uri Server { get; }

    public string Token { get; }

    public string CaFile { get; }

    /// <summary>The kube-real script, found from the repository root, or null.</summary>
    public static string? Script { get; } = FindScript();

    /// <summary>Why tests that need the real server cannot run here, or null when they can.</summary>
    public static string? UnavailableReason()
    {
        if (Script is null)
        {
            return "the real kube-apiserver is absent: ../shared/tools/kube/kube-real was not found beside the repository";
        }

        var hasEtcd = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':')
            .Any(d => d.Length > 0 && File.Exists(Path.Combine(d, "etcd")));
        return hasEtcd || Environment.UserName == "root"
            ? null
            : "kube-real needs etcd (Debian package etcd-server; scripts/install-deps.sh installs it as root)";
    }

    private static string? FindScript()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Fleet.sln")))
            {
                var script = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "tools", "kube", "kube-real"));
                return File.Exists(script) ? script : null;
            }
        }

        return null;
    }

    /// <summary>Starts one; <paramref name="controllers"/> also runs kube-controller-manager (token Secrets, namespace deletion, garbage collection).</summary>
    public static async Task<KubeReal> StartAsync(bool controllers = false)
    {
        var dir = Directory.CreateTempSubdirectory("kubesim-kube-real-").FullName;
        var (code, stdout, stderr) = controllers ? await Run("start", dir, "--controllers") : await Run("start", dir);
        if (code != 0)
        {
            throw new InvalidOperationException($"kube-real start failed (exit {code}): {stderr}");
        }

        var env = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
        return new KubeReal(dir, new Uri(env["KUBE_SERVER"]), env["KUBE_TOKEN"], env["KUBE_CA"]);
    }

    /// <summary>An HTTP client that trusts the server's own CA and carries its token.</summary>
    public HttpClient Client()
    {
        var ca = X509Certificate2.CreateFromPem(File.ReadAllText(CaFile));
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, cert, _, _) =>
            {
                if (cert is null)
                {
                    return false;
                }

                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(cert);
            },
        };
        var http = new HttpClient(handler) { BaseAddress = Server, Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        return http;
    }

    /// <summary>A kubeconfig for the real kubectl.</summary>
    public string Kubeconfig => Path.Combine(_dir, "kubeconfig");

    private static async Task<(int Code, string Stdout, string Stderr)> Run(params string[] args)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Script!);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout, await stderr);
    }

    public async ValueTask DisposeAsync()
    {
        await Run("stop", _dir);
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // etcd may still be flushing its data directory; the temp directory is left for the OS to clean.
        }
    }
}

/// <summary>A fact that needs the real kube-apiserver: skipped, saying why, where kube-real is absent.</summary>
public sealed class KubeRealFactAttribute : FactAttribute
{
    public KubeRealFactAttribute()
    {
        if (KubeReal.UnavailableReason() is { } reason)
        {
            Skip = reason;
        }
    }
}
