using System.Text;

namespace Fleet.Rendering.Tests;

public sealed class SafetyTests
{
    private const string Kustomization = "resources:\n- r.yaml\n";

    [Fact]
    public void AliasBomb_IsRefused()
    {
        var sb = new StringBuilder("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\ndata:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (var i = 1; i < 10; i++)
        {
            sb.Append($"  a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]\n");
        }

        using var dir = new TempDir(new Dictionary<string, string> { ["kustomization.yaml"] = Kustomization, ["r.yaml"] = sb.ToString() });
        var ex = Assert.Throws<RenderException>(() => KustomizeEngine.Render(dir.Path, "."));
        Assert.Contains("r.yaml", ex.Message, StringComparison.Ordinal);
        Assert.Contains("alias", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void DeepNesting_IsRefused()
    {
        var deep = new string('[', 500) + new string(']', 500);
        using var dir = new TempDir(new Dictionary<string, string> { ["kustomization.yaml"] = Kustomization, ["r.yaml"] = $"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\ndata:\n  x: {deep}\n" });
        var ex = Assert.Throws<RenderException>(() => KustomizeEngine.Render(dir.Path, "."));
        Assert.Contains("nesting", ex.Message, StringComparison.Ordinal);
        Assert.Contains("r.yaml", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OversizedInputFile_IsRefused()
    {
        using var dir = new TempDir(new Dictionary<string, string> { ["kustomization.yaml"] = Kustomization, ["r.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  x: " + new string('x', 5000) + "\n" });
        var options = new RenderOptions { Limits = new RenderLimits { MaxInputBytes = 1000 } };
        var ex = Assert.Throws<RenderException>(() => KustomizeEngine.Render(dir.Path, ".", options));
        Assert.Contains("r.yaml", ex.Message, StringComparison.Ordinal);
        Assert.Contains("limit", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RenderedOutputOverLimit_IsRefused()
    {
        using var dir = new TempDir(new Dictionary<string, string> { ["kustomization.yaml"] = Kustomization, ["r.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  x: " + new string('x', 5000) + "\n" });
        var ex = Assert.Throws<RenderException>(() => KustomizeEngine.Render(dir.Path, ".", new RenderOptions { Limits = new RenderLimits { MaxRenderedBytes = 1000 } }));
        Assert.Contains("limit", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TooManyDocuments_IsRefused()
    {
        var sb = new StringBuilder();
        for (var i = 0; i < 30; i++)
        {
            sb.Append($"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\n");
        }

        using var dir = new TempDir(new Dictionary<string, string> { ["kustomization.yaml"] = Kustomization, ["r.yaml"] = sb.ToString() });
        var ex = Assert.Throws<RenderException>(() => KustomizeEngine.Render(dir.Path, ".", new RenderOptions { Limits = new RenderLimits { MaxDocuments = 10 } }));
        Assert.Contains("documents", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SymlinkPointingOutsideRoot_IsRefused()
    {
        using var outside = new TempDir(new Dictionary<string, string> { ["secret.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stolen\n" });
        using var dir = new TempDir(new Dictionary<string, string> { ["kustomization.yaml"] = Kustomization });
        File.CreateSymbolicLink(Path.Combine(dir.Path, "r.yaml"), Path.Combine(outside.Path, "secret.yaml"));
        var ex = Assert.Throws<RenderException>(() => KustomizeEngine.Render(dir.Path, "."));
        Assert.Contains("symlink", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(outside.Path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SymlinkedDirectoryOutsideRoot_IsRefused()
    {
        using var outside = new TempDir(new Dictionary<string, string> { ["kustomization.yaml"] = "resources: []\n" });
        using var dir = new TempDir(new Dictionary<string, string> { ["kustomization.yaml"] = "resources:\n- base\n" });
        Directory.CreateSymbolicLink(Path.Combine(dir.Path, "base"), outside.Path);
        var ex = Assert.Throws<RenderException>(() => KustomizeEngine.Render(dir.Path, "."));
        Assert.Contains("outside the artifact root", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SymlinkInsideRoot_IsAllowed()
    {
        using var dir = new TempDir(new Dictionary<string, string> { ["kustomization.yaml"] = Kustomization, ["real/cm.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: linked\n" });
        File.CreateSymbolicLink(Path.Combine(dir.Path, "r.yaml"), Path.Combine(dir.Path, "real", "cm.yaml"));
        var result = KustomizeEngine.Render(dir.Path, ".");
        Assert.Equal("linked", (string)result.Objects[0]["metadata"]!["name"]!);
    }

    [Fact]
    public void PathEscapingRoot_IsRefused()
    {
        using var dir = new TempDir(new Dictionary<string, string> { ["app/kustomization.yaml"] = "resources: []\n" });
        var ex = Assert.Throws<RenderException>(() => KustomizeEngine.Render(Path.Combine(dir.Path, "app"), "../"));
        Assert.Contains("outside the artifact root", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BaseOutsideKustomizationButInsideRoot_IsAllowed()
    {
        using var dir = new TempDir(new Dictionary<string, string>
        {
            ["base/kustomization.yaml"] = "resources:\n- cm.yaml\n",
            ["base/cm.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
            ["overlays/prod/kustomization.yaml"] = "namePrefix: prod-\nresources:\n- ../../base\n",
        });
        var result = KustomizeEngine.Render(dir.Path, "overlays/prod");
        Assert.Equal("prod-c", (string)result.Objects[0]["metadata"]!["name"]!);
    }

    [Fact]
    public void Render_NeverReadsOutsideRootEvenForGeneratorFiles()
    {
        using var outside = new TempDir(new Dictionary<string, string> { ["token"] = "hunter2" });
        using var dir = new TempDir(new Dictionary<string, string> { ["kustomization.yaml"] = $"secretGenerator:\n- name: s\n  files:\n  - {Path.GetRelativePath(Path.GetTempPath(), outside.Path)}/token\n".Replace("secretGenerator:\n- name: s\n  files:\n  - ", "secretGenerator:\n- name: s\n  files:\n  - ../", StringComparison.Ordinal) });
        var ex = Assert.Throws<RenderException>(() => KustomizeEngine.Render(dir.Path, "."));
        Assert.DoesNotContain("hunter2", ex.Message, StringComparison.Ordinal);
        Assert.Contains("outside the artifact root", ex.Message, StringComparison.Ordinal);
    }
}
