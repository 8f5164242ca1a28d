using System.Diagnostics;
using Fleet.KubeSim;
using Fleet.TestSupport;

namespace Fleet.Cli.Tests.Support;

/// <summary>
/// An application deployed for real: a git repository (made with the git CLI, fetched over file://) holding a
/// ConfigMap and a Secret, two KubeSim clusters (TLS, token) registered in the shared silo, and the application placed
/// on both and Ready. Drift is corrected only hourly, so that tests can change live objects and see them drift.
/// </summary>
public sealed class DeployedApp
{
    public const string Token = "sim-token-for-cli-tests";
    public const string SecretValue = "s3cr3t-value-never-shown";

    private readonly FleetServer _server;

    public DeployedApp(FleetServer server) => _server = server;

    public string Ns { get; } = "apps-" + Guid.NewGuid().ToString("N")[..8];

    public string RepoDirectory { get; } = Path.Combine(Path.GetTempPath(), "fleet-cli-repo-" + Guid.NewGuid().ToString("N"));

    public KubeSimServer Sim { get; private set; } = null!;

    public static readonly string[] Clusters = ["east", "west"];

    public async Task InitializeAsync()
    {
        Sim = await KubeSimServer.StartAsync(new KubeSimOptions { ClusterNames = Clusters, Token = Token, Tls = true });
        Directory.CreateDirectory(RepoDirectory);
        Git("init", "-q", "-b", "main");
        WriteManifests("blue");
        Commit("first");

        await _server.PutAsync(Ns, "secrets", "sim-token", $"apiVersion: fleet.dev/v1\nkind: Secret\nmetadata: {{name: sim-token}}\nstringData: {{token: {Token}}}\n");
        var ca = string.Join("\n", Sim.CaCertificatePem!.Trim().Split('\n').Select(l => "    " + l));
        foreach (var cluster in Clusters)
        {
            await _server.PutAsync(Ns, "clusters", cluster,
                $"apiVersion: fleet.dev/v1\nkind: Cluster\nmetadata:\n  name: {cluster}\n  labels: {{env: prod}}\nspec:\n  server: {Sim.ClusterUri(cluster)}\n  credentialsRef: {{name: sim-token}}\n  caData: |\n{ca}\n");
        }
        await _server.PutAsync(Ns, "gitrepositories", "repo", $"apiVersion: fleet.dev/v1\nkind: GitRepository\nmetadata: {{name: repo}}\nspec:\n  url: file://{RepoDirectory}\n  ref: {{branch: main}}\n  interval: 1h\n");
        await _server.PutAsync(Ns, "applications", "web", """
            apiVersion: fleet.dev/v1
            kind: Application
            metadata: {name: web}
            spec:
              sourceRef: {kind: GitRepository, name: repo}
              path: app
              interval: 1h
              prune: true
              clusterSelector:
                matchLabels: {env: prod}
            """);
        using var cli = new CliRunner(_server.BaseUri);
        await Eventually.WaitAsync(async () =>
        {
            var (_, output, _) = await cli.RunAsync("get", "placements", "-n", Ns);
            return output.Split('\n').Count(l => l.StartsWith("web~", StringComparison.Ordinal) && l.Contains(" True ", StringComparison.Ordinal)) == Clusters.Length;
        }, "the placements Ready on both clusters", TimeSpan.FromSeconds(90));
        await Eventually.WaitAsync(async () => System.Text.RegularExpressions.Regex.IsMatch((await cli.RunAsync("get", "apps", "web", "-n", Ns)).Out, @"(?m)^web +True +2/2 "), "the application Ready", TimeSpan.FromSeconds(60));
    }

    /// <summary>A ConfigMap whose colour changes between revisions, and a Secret.</summary>
    /// <summary>The colour of the last commit's ConfigMap.</summary>
    public string Color { get; private set; } = "";

    public void WriteManifests(string color)
    {
        Color = color;
        Directory.CreateDirectory(Path.Combine(RepoDirectory, "app"));
        File.WriteAllText(Path.Combine(RepoDirectory, "app", "configmap.yaml"),
            $"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: default\ndata:\n  color: {color}\n  size: large\n");
        File.WriteAllText(Path.Combine(RepoDirectory, "app", "secret.yaml"),
            $"apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n  namespace: default\nstringData:\n  password: {SecretValue}\n");
    }

    public void Commit(string message)
    {
        Git("add", "-A");
        Git("commit", "-q", "-m", message);
    }

    private void Git(params string[] args)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = RepoDirectory, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["GIT_AUTHOR_NAME"] = start.Environment["GIT_COMMITTER_NAME"] = "Fleet CLI Test";
        start.Environment["GIT_AUTHOR_EMAIL"] = start.Environment["GIT_COMMITTER_EMAIL"] = "cli@fleet.dev";
        using var git = Process.Start(start)!;
        var error = git.StandardError.ReadToEndAsync();
        git.StandardOutput.ReadToEnd();
        git.WaitForExit();
        Assert.True(git.ExitCode == 0, $"git {string.Join(' ', args)}: {error.Result}");
    }

    public async Task DisposeAsync()
    {
        await Sim.DisposeAsync();
        Directory.Delete(RepoDirectory, recursive: true);
    }
}
