using Fleet.Cli.Tests.Support;

namespace Fleet.Cli.Tests;

/// <summary>Commands about a deployed application: describe with its placements, diff of desired against live.</summary>
[Collection(FleetServerCollection.Name)]
public sealed class AppCommandsTests(FleetServer server) : IAsyncLifetime
{
    private readonly CliRunner _cli = new(server.BaseUri);
    private DeployedApp _app = null!;

    public async Task InitializeAsync() => _app = await server.AppAsync();

    public Task DisposeAsync()
    {
        _cli.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task DescribeApp_ListsItsPlacementsPerCluster()
    {
        var (code, output, error) = await _cli.RunAsync("describe", "app", "web", "-n", _app.Ns);
        Assert.True(code == 0, error);
        Assert.Matches(@"(?m)^  CLUSTER +APP +READY +HEALTH", output);
        Assert.Matches(@"(?m)^  east +web +True", output);
        Assert.Matches(@"(?m)^  west +web +True", output);
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(output, @"(?m)^  Ready +True +ReconciliationSucceeded"), output);

        var (getCode, table, _) = await _cli.RunAsync("get", "apps", "-n", _app.Ns);
        Assert.Equal(0, getCode);
        Assert.Matches(@"(?m)^web +True +2/2 +main@sha1:", table);
    }

    [Fact]
    public async Task Diff_InSync_ExitsZero_ThenDrift_ShowsUnifiedDiffAndExitsOne_SecretValuesMasked()
    {
        var (code, output, error) = await _cli.RunAsync("diff", "app", "web", "-n", _app.Ns);
        Assert.True(code == 0, output + error);
        Assert.Contains("no changes on 2 cluster(s)", output, StringComparison.Ordinal);

        // Someone edits the live objects on one cluster.
        var (status, body) = _app.Sim.EditAsManager("east", "/api/v1/namespaces/default/configmaps/settings", """{"data":{"color":"red"}}""", "kubectl-edit");
        Assert.True(status == 200, body);
        (status, body) = _app.Sim.EditAsManager("east", "/api/v1/namespaces/default/secrets/creds", """{"data":{"password":"b3ZlcndyaXR0ZW4="}}""", "kubectl-edit");
        Assert.True(status == 200, body);

        (code, output, error) = await _cli.RunAsync("diff", "app", "web", "-n", _app.Ns);
        Assert.True(code == 1, output + error);
        Assert.Contains("► east: ConfigMap/default/settings drifted", output, StringComparison.Ordinal);
        Assert.Contains("--- east/ConfigMap/default/settings (live)\n+++ east/ConfigMap/default/settings (desired)\n", output, StringComparison.Ordinal);
        Assert.True(output.Contains($"\n-  color: red\n+  color: {_app.Color}\n", StringComparison.Ordinal), output);
        Assert.Contains("► east: Secret/default/creds drifted", output, StringComparison.Ordinal);
        Assert.Contains("-  password: '*** (before)'", output, StringComparison.Ordinal);
        Assert.Contains("+  password: '*** (after)'", output, StringComparison.Ordinal);
        Assert.DoesNotContain("west:", output, StringComparison.Ordinal);
        Assert.DoesNotContain(DeployedApp.SecretValue, output, StringComparison.Ordinal);
        Assert.DoesNotContain("b3ZlcndyaXR0ZW4=", output, StringComparison.Ordinal);

        var (westCode, west, _) = await _cli.RunAsync("diff", "app", "web", "--cluster", "west", "-n", _app.Ns);
        Assert.Equal(0, westCode);
        Assert.Contains("no changes on 1 cluster(s)", west, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReconcileWithSourceAndWait_RollsTheNewRevisionToEveryCluster()
    {
        var color = "green-" + Guid.NewGuid().ToString("N")[..6];
        _app.WriteManifests(color);
        _app.Commit("new colour");

        var (code, output, error) = await _cli.RunAsync("reconcile", "app", "web", "--with-source", "--wait", "-n", _app.Ns);
        Assert.True(code == 0, output + error);
        Assert.Contains($"► fetch requested for GitRepository {_app.Ns}/repo", output, StringComparison.Ordinal);
        Assert.Contains("✔ Application", output, StringComparison.Ordinal);
        Assert.Contains("Ready on 2 cluster(s)", output, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^  east: Ready=True ", output);
        Assert.Matches(@"(?m)^  west: Ready=True ", output);
        foreach (var cluster in DeployedApp.Clusters)
        {
            var (status, body) = _app.Sim.Invoke(cluster, "GET", "/api/v1/namespaces/default/configmaps/settings");
            Assert.Equal(200, status);
            Assert.Contains(color, body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task SuspendAndResume_App()
    {
        var (code, output, _) = await _cli.RunAsync("suspend", "app", "web", "-n", _app.Ns);
        Assert.Equal(0, code);
        Assert.Equal($"Application {_app.Ns}/web suspended\n", output);
        Assert.Matches(@"(?m)^web +\S+ +\S+ +\S+ +True", (await _cli.RunAsync("get", "apps", "-n", _app.Ns)).Out);
        (code, output, _) = await _cli.RunAsync("resume", "app", "web", "-n", _app.Ns);
        Assert.Equal(0, code);
        Assert.Equal($"Application {_app.Ns}/web resumed\n", output);
        Assert.Matches(@"(?m)^web +\S+ +\S+ +\S+ +False", (await _cli.RunAsync("get", "apps", "-n", _app.Ns)).Out);
        Assert.Equal(1, (await _cli.RunAsync("suspend", "placements", "web~east", "-n", _app.Ns)).Code);
    }

    [Fact]
    public async Task Diff_UnknownCluster_ExitsThree()
    {
        var (code, _, error) = await _cli.RunAsync("diff", "app", "web", "--cluster", "nowhere", "-n", _app.Ns);
        Assert.Equal(3, code);
        Assert.Contains("not placed on cluster nowhere", error, StringComparison.Ordinal);
    }
}
