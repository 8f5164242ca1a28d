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

    public static async Task<string> KubectlKustomizeAsync(string relativePath)
    {
        var (code, stdout, stderr) = await Processes.RunAsync(FindKubectl()!, ["kustomize", Path.Combine(Kubernetes, relativePath)], TimeSpan.FromSeconds(60));
        Assert.True(code == 0, $"kubectl kustomize {relativePath} failed: {stderr}");
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
