using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Fleet.Cli.Tests.Support;
using Fleet.TestSupport;

namespace Fleet.Cli.Tests;

/// <summary>
/// <c>fleet cluster register</c> end to end: a real silo (the collection's), KubeSim clusters and the real
/// kube-apiserver as the clusters being registered, the CLI in process.
/// </summary>
[Collection(FleetServerCollection.Name)]
public sealed partial class ClusterRegisterTests(FleetServer server, RegisterTargets targets) : IClassFixture<RegisterTargets>, IDisposable
{
    private readonly CliRunner _cli = new(server.BaseUri);
    private readonly string _ns = "reg-" + Guid.NewGuid().ToString("N")[..8];

    public void Dispose() => _cli.Dispose();

    private async Task<string> RegistrationTokenAsync(params string[] extra)
    {
        var (code, output, error) = await _cli.RunAsync(["token", "create", "reg-" + Guid.NewGuid().ToString("N")[..6], "--registration", "-n", _ns, .. extra]);
        Assert.True(code == 0, error);
        return output.Trim();
    }

    private static JsonObject SimObject(RegisterTargets targets, string cluster, string path)
    {
        var (status, body) = targets.Sim.Invoke(cluster, "GET", path);
        Assert.True(status == 200, $"GET {path} in {cluster}: {status} {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    private async Task WaitReadyAsync(string cluster) =>
        await Eventually.WaitAsync(async () => Regex.IsMatch((await _cli.RunAsync("get", "cluster", cluster, "-n", _ns)).Out, $"(?m)^{cluster} +True "),
            $"cluster {cluster} Ready in Fleet", TimeSpan.FromSeconds(60));

    [Fact]
    public async Task Register_WithRegistrationToken_CreatesTheAgentIdentity_ThenTheClusterIsReadyAndGetsApplications()
    {
        var (cluster, kubeconfig) = targets.NewSimCluster();
        var registration = await RegistrationTokenAsync("--max-uses", "1", "--cluster-label", "site=" + _ns);

        var (code, output, error) = await _cli.RunAsync("cluster", "register", cluster, "--kubeconfig", kubeconfig, "--context", "sim",
            "--registration-token", registration, "--label", "tier=edge");

        Assert.True(code == 0, error);
        Assert.Contains("namespace/fleet-system created", output, StringComparison.Ordinal);
        Assert.Contains("serviceaccount/fleet-agent created", output, StringComparison.Ordinal);
        Assert.Contains("clusterrolebinding.rbac.authorization.k8s.io/fleet:fleet-system:fleet-agent created", output, StringComparison.Ordinal);
        Assert.Contains("the cluster accepts it", output, StringComparison.Ordinal);
        Assert.Contains($"cluster {_ns}/{cluster} registered in Fleet", output, StringComparison.Ordinal);
        // No secret of either side is printed: not the registration token, not the service-account token (a JWT).
        Assert.DoesNotContain(registration, output + error, StringComparison.Ordinal);
        Assert.DoesNotContain("eyJ", output + error, StringComparison.Ordinal);
        var binding = SimObject(targets, cluster, "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/fleet:fleet-system:fleet-agent");
        Assert.Equal("cluster-admin", binding["roleRef"]!["name"]!.GetValue<string>());
        Assert.Equal("fleet-agent", binding["subjects"]![0]!["name"]!.GetValue<string>());

        // Fleet reaches the cluster with the service account's token only.
        await WaitReadyAsync(cluster);
        var (_, wide, _) = await _cli.RunAsync("get", "cluster", cluster, "-n", _ns, "-o", "wide");
        Assert.Matches($"site={_ns}", wide);
        Assert.Matches("tier=edge", wide);

        using var repo = new GitRepo();
        repo.Write("app/configmap.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: registered\n  namespace: default\ndata:\n  hello: world\n");
        repo.Commit("app");
        await server.PutAsync(_ns, "gitrepositories", "repo", $"apiVersion: fleet.dev/v1\nkind: GitRepository\nmetadata: {{name: repo}}\nspec:\n  url: {repo.Url}\n  ref: {{branch: main}}\n  interval: 1h\n");
        await server.PutAsync(_ns, "applications", "app", $"apiVersion: fleet.dev/v1\nkind: Application\nmetadata: {{name: app}}\nspec:\n  sourceRef: {{kind: GitRepository, name: repo}}\n  path: app\n  interval: 1h\n  clusterSelector:\n    matchLabels: {{site: {_ns}}}\n");
        await Eventually.WaitAsync(() => targets.Sim.Invoke(cluster, "GET", "/api/v1/namespaces/default/configmaps/registered").Status == 200,
            "the application's ConfigMap in the registered cluster", TimeSpan.FromSeconds(90));

        // The token had one use: a second registration is refused, though the cluster side is in place already.
        var (again, againOut, againError) = await _cli.RunAsync("cluster", "register", cluster + "-b", "--kubeconfig", kubeconfig, "--context", "sim", "--registration-token", registration);
        Assert.Equal(4, again);
        Assert.Contains("namespace/fleet-system unchanged", againOut, StringComparison.Ordinal);
        Assert.Contains("used up", againError, StringComparison.Ordinal);
        Assert.Contains("ask a Fleet admin for a new registration token", againError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Register_WithAnApiToken_WritesClusterAndSecret_AndARerunRenewsTheCredentials()
    {
        var (cluster, kubeconfig) = targets.NewSimCluster();

        var (dry, dryOut, dryError) = await _cli.RunAsync("cluster", "register", cluster, "--kubeconfig", kubeconfig, "--context", "sim", "-n", _ns, "--dry-run", "--cluster-role", "edit");
        Assert.True(dry == 0, dryError);
        Assert.Contains("(dry run) namespace/fleet-system would be created", dryOut, StringComparison.Ordinal);
        Assert.Contains("(dry run) clusterrolebinding.rbac.authorization.k8s.io/fleet:fleet-system:fleet-agent would be created", dryOut, StringComparison.Ordinal);
        Assert.Contains($"(dry run) Cluster {_ns}/{cluster} would be created in Fleet", dryOut, StringComparison.Ordinal);
        Assert.Equal(404, targets.Sim.Invoke(cluster, "GET", "/api/v1/namespaces/fleet-system").Status);
        Assert.Equal(3, (await _cli.RunAsync("get", "cluster", cluster, "-n", _ns)).Code);

        var (code, output, error) = await _cli.RunAsync("cluster", "register", cluster, "--kubeconfig", kubeconfig, "--context", "sim", "-n", _ns, "--cluster-role", "edit", "--token-expiry", "2h");
        Assert.True(code == 0, error);
        Assert.Contains($"cluster {_ns}/{cluster} created in Fleet", output, StringComparison.Ordinal);
        Assert.Matches(@"issued, expires \d{4}-\d\d-\d\dT", output);
        await WaitReadyAsync(cluster);

        // Run again with another role: the binding is replaced (roleRef cannot change), the credentials renewed.
        var (rerun, rerunOut, rerunError) = await _cli.RunAsync("cluster", "register", cluster, "--kubeconfig", kubeconfig, "--context", "sim", "-n", _ns);
        Assert.True(rerun == 0, rerunError);
        Assert.Contains("serviceaccount/fleet-agent unchanged", rerunOut, StringComparison.Ordinal);
        Assert.Contains("fleet:fleet-system:fleet-agent replaced (role edit -> cluster-admin)", rerunOut, StringComparison.Ordinal);
        Assert.Contains($"cluster {_ns}/{cluster} unchanged in Fleet at {server.BaseUri} (credentials in Secret {cluster}-credentials, configured)", rerunOut, StringComparison.Ordinal);
        Assert.DoesNotContain("eyJ", rerunOut + rerunError, StringComparison.Ordinal);
        await WaitReadyAsync(cluster);

        // A registration token does not take over a cluster that exists, and the command says how to renew instead.
        var (taken, _, takenError) = await _cli.RunAsync("cluster", "register", cluster, "--kubeconfig", kubeconfig, "--context", "sim",
            "--registration-token", await RegistrationTokenAsync());
        Assert.Equal(1, taken);
        Assert.Contains("already exists", takenError, StringComparison.Ordinal);
        Assert.Contains("run this again logged in with an operator API token", takenError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Register_ManagedNamespaces_BindsOnlyThere_AndDropsAClusterWideBinding()
    {
        var (cluster, kubeconfig) = targets.NewSimCluster();
        var (code, output, error) = await _cli.RunAsync("cluster", "register", cluster, "--kubeconfig", kubeconfig, "--context", "sim", "-n", _ns);
        Assert.True(code == 0, error);
        Assert.Equal(200, targets.Sim.Invoke(cluster, "GET", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/fleet:fleet-system:fleet-agent").Status);

        (code, output, error) = await _cli.RunAsync("cluster", "register", cluster, "--kubeconfig", kubeconfig, "--context", "sim", "-n", _ns,
            "--managed-namespace", "team-a", "--managed-namespace", "team-b");
        Assert.True(code == 0, error);
        Assert.Contains("namespace/team-a created", output, StringComparison.Ordinal);
        Assert.Contains("rolebinding.rbac.authorization.k8s.io/fleet:fleet-system:fleet-agent created", output, StringComparison.Ordinal);
        Assert.Contains("clusterrolebinding.rbac.authorization.k8s.io/fleet:fleet-system:fleet-agent deleted", output, StringComparison.Ordinal);
        foreach (var ns in new[] { "team-a", "team-b" })
        {
            var (status, body) = targets.Sim.Invoke(cluster, "GET", $"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings/fleet:fleet-system:fleet-agent");
            Assert.Equal(200, status);
            var binding = JsonNode.Parse(body)!;
            Assert.Equal("admin", binding["roleRef"]!["name"]!.GetValue<string>());
            Assert.Equal("fleet-agent", binding["subjects"]![0]!["name"]!.GetValue<string>());
        }
        Assert.Equal(404, targets.Sim.Invoke(cluster, "GET", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/fleet:fleet-system:fleet-agent").Status);
        await WaitReadyAsync(cluster);
    }

    [Fact]
    public async Task Register_NamesWhatIsWrong()
    {
        var (cluster, kubeconfig) = targets.NewSimCluster();

        var (code, _, error) = await _cli.RunAsync("cluster", "register", cluster, "--kubeconfig", kubeconfig, "--context", "nope", "-n", _ns);
        Assert.Equal(2, code);
        Assert.Contains($"kubeconfig {kubeconfig}: no context named \"nope\" (its contexts: other, sim)", error, StringComparison.Ordinal);

        var (_, readOnlyKubeconfig) = targets.NewSimCluster(RegisterTargets.ReadOnlyToken);
        (code, _, error) = await _cli.RunAsync("cluster", "register", cluster, "--kubeconfig", readOnlyKubeconfig, "--context", "sim", "-n", _ns);
        Assert.Equal(4, code);
        Assert.Contains("refused: namespaces \"fleet-system\" is forbidden", error, StringComparison.Ordinal);
        Assert.Contains("registering needs the right to create namespaces", error, StringComparison.Ordinal);

        var revoked = await RegistrationTokenAsync();
        var revokedName = Regex.Match((await _cli.RunAsync("token", "list", "--registration", "-n", _ns)).Out, @"(?m)^(reg-\w+) ").Groups[1].Value;
        Assert.Equal(0, (await _cli.RunAsync("token", "revoke", revokedName, "--registration", "-n", _ns)).Code);
        (code, _, error) = await _cli.RunAsync("cluster", "register", cluster, "--kubeconfig", kubeconfig, "--context", "sim", "--registration-token", revoked);
        Assert.Equal(4, code);
        Assert.Contains("was revoked", error, StringComparison.Ordinal);
        Assert.DoesNotContain(revoked, error, StringComparison.Ordinal);

        var expired = await RegistrationTokenAsync("--expires-in", "1ms");
        (code, _, error) = await _cli.RunAsync("cluster", "register", cluster, "--kubeconfig", kubeconfig, "--context", "sim", "--registration-token", expired);
        Assert.Equal(4, code);
        Assert.Contains("has expired", error, StringComparison.Ordinal);

        (code, _, error) = await _cli.RunAsync("cluster", "register", cluster, "--kubeconfig", kubeconfig, "--context", "sim", "--registration-token", expired, "-n", _ns);
        Assert.Equal(2, code);
        Assert.Contains("a registration token registers the cluster in its own namespace", error, StringComparison.Ordinal);

        // KubeSim has no token controller: a token Secret stays empty, and the command says why.
        (code, _, error) = await _cli.RunAsync("cluster", "register", cluster, "--kubeconfig", kubeconfig, "--context", "sim", "-n", _ns, "--token-secret", "--token-wait", "1s");
        Assert.Equal(1, code);
        Assert.Contains("Secret fleet-system/fleet-agent-token still holds no token after 1s", error, StringComparison.Ordinal);
        Assert.Contains("leave out --token-secret", error, StringComparison.Ordinal);
    }

    [KubeRealFact]
    public async Task Register_RealKubeApiserver_TokenRequestAndLongLivedTokenSecret()
    {
        var (real, kubeconfig) = await targets.RealAsync();

        var (code, output, error) = await _cli.RunAsync("cluster", "register", "real-a", "--kubeconfig", kubeconfig, "-n", _ns, "--label", "kind=real");
        Assert.True(code == 0, error);
        Assert.Contains("issued, expires", output, StringComparison.Ordinal);
        await WaitReadyAsync("real-a");

        // The token controller of kube-controller-manager fills the Secret; that token does not expire.
        (code, output, error) = await _cli.RunAsync("cluster", "register", "real-b", "--kubeconfig", kubeconfig, "-n", _ns, "--service-account", "fleet-agent-b", "--token-secret");
        Assert.True(code == 0, error);
        Assert.Contains("secret/fleet-agent-b-token created", output, StringComparison.Ordinal);
        Assert.Contains("read from its Secret, does not expire; the cluster accepts it", output, StringComparison.Ordinal);
        Assert.DoesNotContain("eyJ", output + error, StringComparison.Ordinal);
        using var http = real.Client();
        var secret = JsonNode.Parse(await http.GetStringAsync("api/v1/namespaces/fleet-system/secrets/fleet-agent-b-token"))!;
        Assert.Equal("kubernetes.io/service-account-token", secret["type"]!.GetValue<string>());
        await WaitReadyAsync("real-b");

        // Namespace-scoped: the real API server takes the RoleBinding (this one authorizes everything, so what the
        // binding grants is not checked here; the KubeSim test checks what is made and what is removed).
        (code, output, error) = await _cli.RunAsync("cluster", "register", "real-c", "--kubeconfig", kubeconfig, "-n", _ns,
            "--service-account", "fleet-agent-c", "--managed-namespace", "team-a");
        Assert.True(code == 0, error);
        var roleBinding = JsonNode.Parse(await http.GetStringAsync("apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings/fleet:fleet-system:fleet-agent-c"))!;
        Assert.Equal("admin", roleBinding["roleRef"]!["name"]!.GetValue<string>());
        using var clusterWide = await http.GetAsync("apis/rbac.authorization.k8s.io/v1/clusterrolebindings/fleet:fleet-system:fleet-agent-c");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, clusterWide.StatusCode);
        await WaitReadyAsync("real-c");
    }
}
