using Fleet.Cli.Tests.Support;

namespace Fleet.Cli.Tests;

[Collection(FleetServerCollection.Name)]
public sealed class ApplyCommandTests(FleetServer server) : IDisposable
{
    private readonly CliRunner _cli = new(server.BaseUri);
    private readonly string _ns = "apply-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _dir = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "fleet-cli-apply-" + Guid.NewGuid().ToString("N"))).FullName;

    public void Dispose()
    {
        _cli.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static string Cluster(string name, string env) =>
        $"apiVersion: fleet.dev/v1\nkind: Cluster\nmetadata:\n  name: {name}\n  labels: {{env: {env}}}\nspec:\n  server: https://127.0.0.1:1\n  paused: true\n";

    [Fact]
    public async Task Apply_Directory_ReportsCreatedUnchangedConfigured()
    {
        File.WriteAllText(Path.Combine(_dir, "a.yaml"), Cluster("a", "prod"));
        File.WriteAllText(Path.Combine(_dir, "b.yml"), Cluster("b", "dev") + "---\n" + Cluster("c", "dev"));
        File.WriteAllText(Path.Combine(_dir, "notes.txt"), "not a manifest");

        var (code, output, error) = await _cli.RunAsync("apply", "-f", _dir, "-n", _ns);
        Assert.True(code == 0, error);
        Assert.Equal($"Cluster {_ns}/a created\nCluster {_ns}/b created\nCluster {_ns}/c created\n", output);

        File.WriteAllText(Path.Combine(_dir, "a.yaml"), Cluster("a", "staging"));
        (code, output, _) = await _cli.RunAsync("apply", "-f", _dir, "-n", _ns);
        Assert.Equal(0, code);
        Assert.Equal($"Cluster {_ns}/a configured\nCluster {_ns}/b unchanged\nCluster {_ns}/c unchanged\n", output);
    }

    [Fact]
    public async Task Apply_StdinDryRun_StoresNothing()
    {
        _cli.Stdin = Cluster("dry", "prod");
        var (code, output, error) = await _cli.RunAsync("apply", "-f", "-", "-n", _ns, "--dry-run");
        Assert.True(code == 0, error);
        Assert.Equal($"Cluster {_ns}/dry created (dry run)\n", output);
        Assert.Equal(3, (await _cli.RunAsync("get", "cluster", "dry", "-n", _ns)).Code);
    }

    [Fact]
    public async Task Apply_InvalidDocument_NamesTheFieldAndStoresNothing()
    {
        File.WriteAllText(Path.Combine(_dir, "all.yaml"), Cluster("good", "prod") + "---\n" + Cluster("bad", "prod").Replace("paused: true", "paused: true\n  colour: blue", StringComparison.Ordinal));
        var (code, output, error) = await _cli.RunAsync("apply", "-f", Path.Combine(_dir, "all.yaml"), "-n", _ns);
        Assert.Equal(1, code);
        Assert.Empty(output);
        Assert.Contains("spec.colour", error, StringComparison.Ordinal);
        Assert.Equal(3, (await _cli.RunAsync("get", "cluster", "good", "-n", _ns)).Code);
    }

    [Fact]
    public async Task Apply_MissingFile_IsAUsageError()
    {
        var (code, _, error) = await _cli.RunAsync("apply", "-f", Path.Combine(_dir, "absent.yaml"));
        Assert.Equal(2, code);
        Assert.Contains("absent.yaml: no such file or directory", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SuspendAndResume_Cluster_SetsPaused()
    {
        await server.PutClusterAsync(_ns, "east-1", paused: false);
        Assert.Equal(0, (await _cli.RunAsync("suspend", "cluster", "east-1", "-n", _ns)).Code);
        Assert.Contains("\"paused\": true", (await _cli.RunAsync("get", "cluster", "east-1", "-n", _ns, "-o", "json")).Out, StringComparison.Ordinal);
        Assert.Equal(0, (await _cli.RunAsync("resume", "cluster", "east-1", "-n", _ns)).Code);
        Assert.Contains("\"paused\": false", (await _cli.RunAsync("get", "cluster", "east-1", "-n", _ns, "-o", "json")).Out, StringComparison.Ordinal);
    }
}
