using System.CommandLine;
using System.Diagnostics;
using Fleet.Cli;
using Fleet.Cli.Commands;

namespace Fleet.Cli.Tests;

public sealed class RenderCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "fleet-cli-" + Guid.NewGuid().ToString("N"));

    public RenderCommandTests()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "app"));
        File.WriteAllText(Path.Combine(_dir, "app", "kustomization.yaml"), "namePrefix: p-\nresources:\n- cm.yaml\n");
        File.WriteAllText(Path.Combine(_dir, "app", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  cluster: ${cluster_name:=none}\n");
    }

    public void Dispose()
    {
        Directory.Delete(_dir, recursive: true);
    }

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var root = new RootCommand("fleet") { RenderCommand.Create() };
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = CliHost.Invoke(root, args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void Render_PrintsYamlAndExitsZero()
    {
        var (code, output, error) = Run("render", Path.Combine(_dir, "app"));
        Assert.Equal(0, code);
        Assert.Equal("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: p-settings\ndata:\n  cluster: ${cluster_name:=none}\n", output);
        Assert.Empty(error);
    }

    [Fact]
    public void Render_WithSubstitute_ReplacesVariables()
    {
        var (code, output, _) = Run("render", Path.Combine(_dir, "app"), "--substitute", "cluster_name=east", "--substitute", "unused=1");
        Assert.Equal(0, code);
        Assert.Contains("cluster: east", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_WithSubstituteDefault_UsesDefault()
    {
        var (code, output, _) = Run("render", Path.Combine(_dir, "app"), "--substitute", "other=x");
        Assert.Equal(0, code);
        Assert.Contains("cluster: none", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_BrokenInput_ExitsOneNamingFile()
    {
        File.WriteAllText(Path.Combine(_dir, "app", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [broken\n");
        var (code, output, error) = Run("render", Path.Combine(_dir, "app"));
        Assert.Equal(1, code);
        Assert.Empty(output);
        Assert.Contains("cm.yaml", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_MissingDirectory_ExitsOne()
    {
        var (code, _, error) = Run("render", Path.Combine(_dir, "absent"));
        Assert.Equal(1, code);
        Assert.Contains("absent", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_OverlayWithBaseAbove_UsesFilesystemRootByDefault()
    {
        WriteOverlay(Path.Combine(_dir, "overlays", "prod"), "../../app");
        var (code, output, error) = Run("render", Path.Combine(_dir, "overlays", "prod"));
        Assert.True(code == 0, error);
        Assert.Contains("name: prod-p-settings", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_FileAboveKustomization_IsRefusedAsKustomizeDoes()
    {
        var overlay = Path.Combine(_dir, "overlays", "file");
        Directory.CreateDirectory(overlay);
        File.WriteAllText(Path.Combine(overlay, "kustomization.yaml"), "resources:\n- ../../app/cm.yaml\n");
        var (code, _, error) = Run("render", overlay);
        Assert.Equal(1, code);
        Assert.Contains("load restrictions", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_InGitRepository_DefaultsRootToTopLevel()
    {
        var repo = Path.Combine(_dir, "repo");
        Directory.CreateDirectory(repo);
        var git = Git(repo, "init", "--quiet");
        Assert.True(git == 0, "git init failed");
        Assert.Equal(repo, RenderCommand.DefaultRoot(Path.Combine(repo, "overlays", "prod")));

        // A base inside the repository renders; one outside it is refused, as Flux would not have it.
        CopyApp(Path.Combine(repo, "base"));
        WriteOverlay(Path.Combine(repo, "overlays", "prod"), "../../base");
        var inside = Run("render", Path.Combine(repo, "overlays", "prod"));
        Assert.True(inside.Code == 0, inside.Err);
        Assert.Contains("name: prod-p-settings", inside.Out, StringComparison.Ordinal);

        WriteOverlay(Path.Combine(repo, "overlays", "outside"), "../../../app");
        var outside = Run("render", Path.Combine(repo, "overlays", "outside"));
        Assert.Equal(1, outside.Code);
        Assert.Contains("outside the artifact root", outside.Err, StringComparison.Ordinal);

        // --root still wins.
        var explicitRoot = Run("render", Path.Combine(repo, "overlays", "outside"), "--root", _dir);
        Assert.True(explicitRoot.Code == 0, explicitRoot.Err);
    }

    [Fact]
    public void DefaultRoot_OutsideAnyRepository_IsFilesystemRoot()
    {
        Assert.Equal(Path.GetPathRoot(_dir), RenderCommand.DefaultRoot(Path.Combine(_dir, "app")));
    }

    private static void WriteOverlay(string dir, string @base)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "kustomization.yaml"), $"namePrefix: prod-\nresources:\n- {@base}\n");
    }

    private void CopyApp(string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(Path.Combine(_dir, "app")))
        {
            File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        }
    }

    private static int Git(string dir, params string[] args)
    {
        var psi = new ProcessStartInfo("git") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode;
    }

    [Theory]
    [InlineData("render")]
    [InlineData("render", "DIR", "--substitute", "novalue")]
    [InlineData("render", "DIR", "--bogus")]
    [InlineData("frobnicate")]
    public void BadArguments_ExitTwo(params string[] args)
    {
        var (code, output, error) = Run(args);
        Assert.Equal(2, code);
        Assert.Empty(output);
        Assert.NotEmpty(error);
    }

    [Fact]
    public void Render_AsProcess_PrintsYamlAndExitCodes()
    {
        var dll = typeof(RenderCommand).Assembly.Location;
        var ok = Exec(dll, "render", Path.Combine(_dir, "app"), "--substitute", "cluster_name=west");
        Assert.Equal(0, ok.Code);
        Assert.Contains("cluster: west", ok.Out, StringComparison.Ordinal);
        var bad = Exec(dll, "render");
        Assert.Equal(2, bad.Code);
        var failed = Exec(dll, "render", Path.Combine(_dir, "absent"));
        Assert.Equal(1, failed.Code);
    }

    private static (int Code, string Out, string Err) Exec(string dll, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(TimeSpan.FromMinutes(1)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("fleet render did not exit within a minute");
        }

        return (p.ExitCode, output, err.Result);
    }
}
