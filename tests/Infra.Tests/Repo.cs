using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Fleet.Rendering;

namespace Fleet.Infra.Tests;

/// <summary>Where the infra/ manifests are, and how to render them with Fleet's engine and with kubectl.</summary>
internal static class Repo
{
    public static string Root { get; } = Locate();

    public static string Kubernetes => Path.Combine(Root, "infra", "kubernetes");

    /// <summary>Every kustomization under infra/kubernetes, as paths relative to <see cref="Kubernetes"/>.</summary>
    public static IEnumerable<string> Kustomizations() =>
        Directory.EnumerateFiles(Kubernetes, "kustomization.yaml", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Kubernetes, Path.GetDirectoryName(f)!).Replace('\\', '/'))
            .Order(StringComparer.Ordinal);

    public static RenderResult RenderWithFleet(string relativePath) => KustomizeEngine.Render(Kubernetes, relativePath);

    public static List<JsonObject> Objects(string relativePath) => [.. RenderWithFleet(relativePath).Objects];

    public static string? FindKubectl() =>
        new[] { "/usr/local/bin/kubectl", "/usr/bin/kubectl" }.FirstOrDefault(File.Exists);

    public static string KubectlKustomize(string relativePath)
    {
        var psi = new ProcessStartInfo(FindKubectl()!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("kustomize");
        psi.ArgumentList.Add(Path.Combine(Kubernetes, relativePath));
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"kubectl kustomize {relativePath} failed: {stderr.Result}");
        return stdout;
    }

    private static string Locate([CallerFilePath] string source = "")
    {
        foreach (var start in new[] { Path.GetDirectoryName(source), AppContext.BaseDirectory })
        {
            for (var dir = start; dir is not null; dir = Path.GetDirectoryName(dir))
            {
                if (File.Exists(Path.Combine(dir, "Fleet.sln")) && Directory.Exists(Path.Combine(dir, "infra")))
                {
                    return dir;
                }
            }
        }

        throw new InvalidOperationException("cannot find the repository root (Fleet.sln beside infra/)");
    }
}
