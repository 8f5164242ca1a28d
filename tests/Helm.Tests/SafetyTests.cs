namespace Fleet.Helm.Tests;

/// <summary>The limits that keep a hostile or broken chart from exhausting the machine.</summary>
public sealed class SafetyTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "fleet-helm-safety-" + Guid.NewGuid().ToString("N"));

    public SafetyTests()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "templates"));
        File.WriteAllText(Path.Combine(_dir, "Chart.yaml"), "apiVersion: v2\nname: s\nversion: 0.1.0\n");
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private void Template(string text) => File.WriteAllText(Path.Combine(_dir, "templates", "t.yaml"), text);

    [Fact]
    public void FileOverLimit_FailsNamingTheFile()
    {
        File.WriteAllText(Path.Combine(_dir, "big.txt"), new string('x', 2000));
        var ex = Assert.Throws<HelmException>(() => HelmEngine.Render(_dir, null, new HelmRenderOptions { Limits = new HelmLimits { MaxFileBytes = 1000 } }));
        Assert.Contains("big.txt", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RecursiveTemplate_StopsAtTheDepthLimit()
    {
        Template("{{ define \"r\" }}{{ template \"r\" . }}{{ end }}{{ template \"r\" . }}");
        var ex = Assert.Throws<HelmException>(() => HelmEngine.Render(_dir, null, new HelmRenderOptions { Limits = new HelmLimits { MaxTemplateDepth = 50 } }));
        Assert.Contains("exceeded maximum template depth (50)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HugeOutput_StopsAtTheOutputLimit()
    {
        Template("{{ range 100000 }}0123456789{{ end }}");
        var ex = Assert.Throws<HelmException>(() => HelmEngine.Render(_dir, null, new HelmRenderOptions { Limits = new HelmLimits { MaxOutputChars = 10_000 } }));
        Assert.Contains("exceeds the limit of 10000 characters", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EndlessLoop_StopsAtTheTimeLimit()
    {
        Template("{{ range 1000000000 }}{{ end }}");
        var ex = Assert.Throws<HelmException>(() => HelmEngine.Render(_dir, null, new HelmRenderOptions { Limits = new HelmLimits { Timeout = TimeSpan.FromMilliseconds(200) } }));
        Assert.Contains("time limit", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cancelled_StopsRendering()
    {
        Template("{{ range 1000000000 }}{{ end }}");
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => HelmEngine.Render(_dir, null, new HelmRenderOptions { Cancellation = cts.Token }));
    }
}
