using System.Text;

namespace Fleet.Kubernetes.Tests;

/// <summary>
/// Credentials KubernetesClient obtains at run time: exec plugins (a small shell script here, as EKS, GKE and AKS
/// kubeconfigs run aws, gke-gcloud-auth-plugin or kubelogin) and token files that rotate, against KubeSim over TLS.
/// </summary>
[Collection(SimCollection.Name)]
public sealed class CredentialPluginTests : IDisposable
{
    private static readonly KubeClientOptions Fast = new() { MaxRetries = 0, RequestTimeout = TimeSpan.FromSeconds(10) };
    private readonly SimFixture _sim;
    private readonly string _dir = Directory.CreateTempSubdirectory("fleet-credentials-").FullName;

    public CredentialPluginTests(SimFixture sim) => _sim = sim;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Plugin(string body)
    {
        var path = Path.Combine(_dir, $"plugin-{Guid.NewGuid():N}.sh");
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        return path;
    }

    private string Kubeconfig(string cluster, string user) => $"""
        apiVersion: v1
        kind: Config
        current-context: sim
        clusters:
        - name: sim
          cluster:
            server: {_sim.Server.ClusterUri(cluster)}
            certificate-authority-data: {Convert.ToBase64String(Encoding.UTF8.GetBytes(_sim.Server.CaCertificatePem!))}
        contexts:
        - name: sim
          context: {"{"}cluster: sim, user: u{"}"}
        users:
        - name: u
          user:
        {user}
        """;

    private string ExecUser(string command) => $"""
            exec:
              apiVersion: client.authentication.k8s.io/v1
              command: {command}
              interactiveMode: Never
        """;

    private string TokenCredential() =>
        $$$"""echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"{{{_sim.Server.Token}}}"}}'""";

    [Fact]
    public void ExecPlugin_RefusedByDefault_SayingWhyAndWhichCommand()
    {
        var plugin = Plugin(TokenCredential());
        var ex = Assert.Throws<ClusterConnectionException>(() => ClusterConnection.FromKubeconfig(Kubeconfig(_sim.TakeCluster(), ExecUser(plugin))));
        Assert.Contains("users[u].user.exec", ex.Message, StringComparison.Ordinal);
        Assert.Contains(plugin, ex.Message, StringComparison.Ordinal);
        Assert.Contains("AllowExecPlugins is off", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExecPlugin_Allowed_ItsTokenReachesTheServer()
    {
        var connection = ClusterConnection.FromKubeconfig(Kubeconfig(_sim.TakeCluster(), ExecUser(Plugin(TokenCredential()))), null,
            new KubeconfigOptions { AllowExecPlugins = true });
        Assert.Equal("exec", connection.AuthKind);
        Assert.DoesNotContain(_sim.Server.Token, connection.ToString(), StringComparison.Ordinal);
        using var client = new KubeClient(connection, Fast);
        var probe = await ClusterProbe.ProbeAsync(client);
        Assert.True(probe.Ready, probe.Message);
    }

    [Fact]
    public async Task ExecPlugin_GivingAWrongToken_IsUnauthorized()
    {
        var plugin = Plugin("""echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"not-the-token"}}'""");
        var connection = ClusterConnection.FromClusterSpec(null, null, false,
            new Dictionary<string, string> { ["kubeconfig"] = Kubeconfig(_sim.TakeCluster(), ExecUser(plugin)) }, new KubeconfigOptions { AllowExecPlugins = true });
        using var client = new KubeClient(connection, Fast);
        var probe = await ClusterProbe.ProbeAsync(client);
        Assert.Equal(ClusterProbe.ReasonUnauthorized, probe.Reason);
        Assert.DoesNotContain("not-the-token", probe.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ExecPlugin_Failing_IsAClearConnectionError()
    {
        var plugin = Plugin("echo 'no credentials for you' >&2; exit 3");
        var connection = ClusterConnection.FromKubeconfig(Kubeconfig(_sim.TakeCluster(), ExecUser(plugin)), null, new KubeconfigOptions { AllowExecPlugins = true });
        var ex = Assert.Throws<ClusterConnectionException>(() => new KubeClient(connection, Fast));
        Assert.StartsWith("cluster connection: ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TokenFile_RefusedByDefault_AllowedAsAnAbsolutePath()
    {
        var user = "    tokenFile: /var/run/secrets/token";
        var refused = Assert.Throws<ClusterConnectionException>(() => ClusterConnection.FromKubeconfig(Kubeconfig("c", user)));
        Assert.Contains("AllowFileReferences is off", refused.Message, StringComparison.Ordinal);
        var files = new KubeconfigOptions { AllowFileReferences = true };
        Assert.Equal("token-file", ClusterConnection.FromKubeconfig(Kubeconfig("c", user), null, files).AuthKind);
        var relative = Assert.Throws<ClusterConnectionException>(() => ClusterConnection.FromKubeconfig(Kubeconfig("c", "    tokenFile: token"), null, files));
        Assert.Contains("must be an absolute path", relative.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TokenFile_IsReadAgainWhenItRotates()
    {
        var tokenFile = Path.Combine(_dir, "token");
        await File.WriteAllTextAsync(tokenFile, "expired-token-of-another-length\n");
        var connection = ClusterConnection.FromKubeconfig(Kubeconfig(_sim.TakeCluster(), $"    tokenFile: {tokenFile}"), null,
            new KubeconfigOptions { AllowFileReferences = true });
        using var client = new KubeClient(connection, Fast);
        Assert.Equal(ClusterProbe.ReasonUnauthorized, (await ClusterProbe.ProbeAsync(client)).Reason);

        await File.WriteAllTextAsync(tokenFile, _sim.Server.Token + "\n");
        var probe = await ClusterProbe.ProbeAsync(client);
        Assert.True(probe.Ready, probe.Message);
    }
}
