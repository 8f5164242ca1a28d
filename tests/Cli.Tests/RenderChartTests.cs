using System.CommandLine;
using Fleet.Cli.Commands;

namespace Fleet.Cli.Tests;

/// <summary>`fleet render CHART` renders a Helm chart with `helm template`'s flags.</summary>
public sealed class RenderChartTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "fleet-cli-chart-" + Guid.NewGuid().ToString("N"));

    public RenderChartTests()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "chart", "templates"));
        File.WriteAllText(Path.Combine(_dir, "chart", "Chart.yaml"), "apiVersion: v2\nname: demo\nversion: 1.0.0\n");
        File.WriteAllText(Path.Combine(_dir, "chart", "values.yaml"), "replicas: 1\nimage: nginx\n");
        File.WriteAllText(
            Path.Combine(_dir, "chart", "templates", "cm.yaml"),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\n  namespace: {{ .Release.Namespace }}\ndata:\n  replicas: {{ .Values.replicas | quote }}\n  image: {{ .Values.image }}\n  kube: {{ .Capabilities.KubeVersion.Version }}\n");
        File.WriteAllText(Path.Combine(_dir, "prod.yaml"), "replicas: 3\n");
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var root = new RootCommand("fleet") { RenderCommand.Create() };
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = CliHost.Invoke(root, args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void RenderChart_PrintsManifestsLikeHelmTemplate()
    {
        var (code, output, error) = Run("render", Path.Combine(_dir, "chart"));
        Assert.Equal(0, code);
        Assert.Empty(error);
        Assert.Equal(
            "---\n# Source: demo/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: release-name-cm\n  namespace: default\ndata:\n  replicas: \"1\"\n  image: nginx\n  kube: v1.32.0\n",
            output);
    }

    [Fact]
    public void RenderChart_WithValuesSetAndReleaseFlags_AppliesThemInHelmsOrder()
    {
        var (code, output, _) = Run(
            "render", Path.Combine(_dir, "chart"), "-f", Path.Combine(_dir, "prod.yaml"), "--set", "image=busybox,replicas=5",
            "--release-name", "web", "-n", "prod", "--kube-version", "1.30.2");
        Assert.Equal(0, code);
        Assert.Contains("name: web-cm", output, StringComparison.Ordinal);
        Assert.Contains("namespace: prod", output, StringComparison.Ordinal);
        Assert.Contains("replicas: \"5\"", output, StringComparison.Ordinal);
        Assert.Contains("image: busybox", output, StringComparison.Ordinal);
        Assert.Contains("kube: v1.30.2", output, StringComparison.Ordinal);
    }

    [Fact]
    public void RenderChart_TemplateError_ExitsOneWithHelmsMessage()
    {
        File.WriteAllText(Path.Combine(_dir, "chart", "templates", "bad.yaml"), "x: {{ required \"image.tag is required\" .Values.tag }}\n");
        var (code, output, error) = Run("render", Path.Combine(_dir, "chart"));
        Assert.Equal(1, code);
        Assert.Empty(output);
        Assert.Contains("execution error at (demo/templates/bad.yaml:1:6): image.tag is required", error, StringComparison.Ordinal);
    }

    [Fact]
    public void RenderChart_MissingValuesFile_ExitsOne()
    {
        var (code, _, error) = Run("render", Path.Combine(_dir, "chart"), "-f", Path.Combine(_dir, "absent.yaml"));
        Assert.Equal(1, code);
        Assert.Contains("absent.yaml", error, StringComparison.Ordinal);
    }
}
