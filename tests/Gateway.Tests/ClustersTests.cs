using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Fleet.Gateway.Tests.Support;
using Fleet.KubeSim;
using Fleet.TestSupport;

namespace Fleet.Gateway.Tests;

/// <summary>Clusters registered through the API, probed by their grains against KubeSim (real HTTP and TLS).</summary>
public sealed class ClustersTests : IAsyncLifetime
{
    private const string Ns = "clusters";
    private SiloHost _silo = null!;
    private KubeSimServer _sim = null!;

    public async Task InitializeAsync()
    {
        _silo = await SiloHost.StartAsync();
        _sim = await KubeSimServer.StartAsync(new KubeSimOptions { ClusterNames = ["east", "west", "flaky"], Token = "sim-token-" + Guid.NewGuid().ToString("N") });
    }

    public async Task DisposeAsync()
    {
        await _sim.DisposeAsync();
        await _silo.DisposeAsync();
    }

    [Fact]
    public async Task Cluster_WithToken_BecomesReadyWithKubernetesVersion()
    {
        await PutTokenSecretAsync("east-creds", _sim.Token);
        await PutClusterAsync("east", _sim.ClusterUri("east").ToString(), "east-creds");

        var cluster = await WaitForReadyStatusAsync("east", "True");

        Assert.Equal("ClusterReachable", SiloHost.Condition(cluster, "Ready", "reason"));
        Assert.StartsWith("v1.", cluster["status"]!["kubernetesVersion"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null(cluster["status"]!["lastError"]);
        Assert.Equal(1, cluster["status"]!["observedGeneration"]!.GetValue<long>());
        var events = await EventsAsync("east");
        var reachable = Assert.Single(events);
        Assert.Equal("ClusterReachable", reachable["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Cluster_WithWrongToken_IsUnauthorized_AndTheTokenAppearsNowhere()
    {
        const string wrong = "wrong-token-7f3a9c1e5b2d";
        await PutTokenSecretAsync("bad-creds", wrong);
        await PutClusterAsync("east", _sim.ClusterUri("east").ToString(), "bad-creds");

        var cluster = await WaitForReadyStatusAsync("east", "False");

        Assert.Equal("Unauthorized", SiloHost.Condition(cluster, "Ready", "reason"));
        Assert.NotNull(cluster["status"]!["lastError"]);
        var everything = cluster.ToJsonString() + (await _silo.Http.GetStringAsync($"api/v1/namespaces/{Ns}/events"))
            + await _silo.Http.GetStringAsync($"api/v1/namespaces/{Ns}/secrets") + await _silo.Http.GetStringAsync($"api/v1/namespaces/{Ns}/secrets/bad-creds");
        Assert.DoesNotContain(wrong, everything, StringComparison.Ordinal);
        Assert.DoesNotContain(_sim.Token, everything, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cluster_NothingListening_IsUnreachable()
    {
        await PutTokenSecretAsync("creds", _sim.Token);
        await PutClusterAsync("gone", $"http://127.0.0.1:{ClosedPort()}", "creds");

        var cluster = await WaitForReadyStatusAsync("gone", "False");

        Assert.Equal("Unreachable", SiloHost.Condition(cluster, "Ready", "reason"));
        Assert.Null(cluster["status"]!["kubernetesVersion"]);
    }

    [Fact]
    public async Task Cluster_MissingCredentialsSecret_SaysWhichSecret()
    {
        await PutClusterAsync("east", _sim.ClusterUri("east").ToString(), "no-such-secret");

        var cluster = await WaitForReadyStatusAsync("east", "False");

        Assert.Equal("CredentialsNotFound", SiloHost.Condition(cluster, "Ready", "reason"));
        Assert.Contains("no-such-secret", SiloHost.Condition(cluster, "Ready", "message"), StringComparison.Ordinal);

        // Creating the Secret afterwards is enough: the grain is told and probes again.
        await PutTokenSecretAsync("no-such-secret", _sim.Token);
        await WaitForReadyStatusAsync("east", "True");
    }

    [Fact]
    public async Task Cluster_Tls_IsReadyWithKubeSimCaInCaData_AndTlsErrorWithoutIt()
    {
        await using var tls = await KubeSimServer.StartAsync(new KubeSimOptions { ClusterNames = ["secure"], Tls = true, Token = _sim.Token });
        await PutTokenSecretAsync("creds", _sim.Token);
        await PutClusterAsync("trusted", tls.ClusterUri("secure").ToString(), "creds", caData: tls.CaCertificatePem);
        await PutClusterAsync("untrusted", tls.ClusterUri("secure").ToString(), "creds");

        var trusted = await WaitForReadyStatusAsync("trusted", "True");
        var untrusted = await WaitForReadyStatusAsync("untrusted", "False");

        Assert.NotNull(trusted["status"]!["kubernetesVersion"]);
        Assert.Equal("TLSError", SiloHost.Condition(untrusted, "Ready", "reason"));

        // insecureSkipTLSVerify is the only way to accept an unknown certificate, and only when asked for.
        await PutClusterAsync("untrusted", tls.ClusterUri("secure").ToString(), "creds", insecure: true);
        await WaitForReadyStatusAsync("untrusted", "True");
    }

    [Fact]
    public async Task Cluster_ClientCertificate_IsReady_WithoutItUnauthorized()
    {
        await using var endpoint = await ClustersClientCertificateEndpoint.StartAsync();
        await _silo.PutSecretAsync(Ns, "cert-creds", new Dictionary<string, string> { ["clientCertificate"] = endpoint.ClientCertificatePem, ["clientKey"] = endpoint.ClientKeyPem });
        await PutClusterAsync("mtls", endpoint.Uri.ToString(), "cert-creds", caData: endpoint.CaPem);
        await PutTokenSecretAsync("token-only", "not-a-certificate");
        await PutClusterAsync("no-cert", endpoint.Uri.ToString(), "token-only", caData: endpoint.CaPem);

        var ready = await WaitForReadyStatusAsync("mtls", "True");
        var refused = await WaitForReadyStatusAsync("no-cert", "False");

        Assert.Equal(ClustersClientCertificateEndpoint.GitVersion, ready["status"]!["kubernetesVersion"]!.GetValue<string>());
        Assert.Equal("Unauthorized", SiloHost.Condition(refused, "Ready", "reason"));
        var all = await _silo.Http.GetStringAsync($"api/v1/namespaces/{Ns}/clusters") + await _silo.Http.GetStringAsync($"api/v1/namespaces/{Ns}/events");
        Assert.DoesNotContain("PRIVATE KEY", all, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cluster_KubeconfigInSecret_IsReady()
    {
        var kubeconfig = $$"""
            apiVersion: v1
            kind: Config
            current-context: sim
            clusters:
            - name: sim
              cluster:
                server: {{_sim.ClusterUri("west")}}
            users:
            - name: admin
              user:
                token: {{_sim.Token}}
            contexts:
            - name: sim
              context: {cluster: sim, user: admin}
            """;
        await _silo.PutSecretAsync(Ns, "kc", new Dictionary<string, string> { ["kubeconfig"] = kubeconfig });
        var response = await _silo.PutYamlAsync($"api/v1/namespaces/{Ns}/clusters/west", """
            apiVersion: fleet.dev/v1
            kind: Cluster
            metadata: {name: west}
            spec:
              credentialsRef: {name: kc}
            """);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());

        var cluster = await WaitForReadyStatusAsync("west", "True");

        Assert.NotNull(cluster["status"]!["kubernetesVersion"]);
    }

    [Fact]
    public async Task Cluster_ExecPluginKubeconfig_IsClearlyNotSupported()
    {
        var kubeconfig = $$"""
            apiVersion: v1
            kind: Config
            current-context: eks
            clusters:
            - name: eks
              cluster: {server: "{{_sim.ClusterUri("west")}}"}
            users:
            - name: iam
              user:
                exec:
                  apiVersion: client.authentication.k8s.io/v1beta1
                  command: aws-iam-authenticator
                  args: [token, -i, prod]
            contexts:
            - name: eks
              context: {cluster: eks, user: iam}
            """;
        await _silo.PutSecretAsync(Ns, "exec-kc", new Dictionary<string, string> { ["kubeconfig"] = kubeconfig });
        await _silo.PutYamlAsync($"api/v1/namespaces/{Ns}/clusters/eks", """
            apiVersion: fleet.dev/v1
            kind: Cluster
            metadata: {name: eks}
            spec:
              credentialsRef: {name: exec-kc}
            """);

        var cluster = await WaitForReadyStatusAsync("eks", "False");

        Assert.Equal("InvalidSpec", SiloHost.Condition(cluster, "Ready", "reason"));
        var message = SiloHost.Condition(cluster, "Ready", "message")!;
        Assert.Contains("not supported", message, StringComparison.Ordinal);
        Assert.Contains("exec", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cluster_GoingDownAndComingBack_EmitsEventsOnlyOnChange()
    {
        await PutTokenSecretAsync("creds", _sim.Token);
        await PutClusterAsync("flaky", _sim.ClusterUri("flaky").ToString(), "creds", probeInterval: "1s");
        await WaitForReadyStatusAsync("flaky", "True");
        await WaitForProbesAsync("flaky", 2);

        _sim.SetFaults("flaky", new ClusterFaults(DownMode.Unavailable));
        var down = await WaitForReadyStatusAsync("flaky", "False");
        Assert.Equal("Unreachable", SiloHost.Condition(down, "Ready", "reason"));
        await WaitForProbesAsync("flaky", 3);

        _sim.SetFaults("flaky", ClusterFaults.None);
        await WaitForReadyStatusAsync("flaky", "True");
        await WaitForProbesAsync("flaky", 3);

        var reasons = (await EventsAsync("flaky")).Select(e => $"{e["type"]}/{e["reason"]}").ToList();
        Assert.Equal(["Normal/ClusterReachable", "Warning/Unreachable", "Normal/ClusterReachable"], reasons);
    }

    [Fact]
    public async Task Cluster_Paused_IsNotProbed()
    {
        await PutTokenSecretAsync("creds", _sim.Token);
        await PutClusterAsync("east", _sim.ClusterUri("east").ToString(), "creds", paused: true);

        var cluster = await WaitForReadyStatusAsync("east", "False");

        Assert.Equal("Suspended", SiloHost.Condition(cluster, "Ready", "reason"));
        Assert.Equal(0, _sim.GetStats("east").Total);
    }

    [Fact]
    public async Task Cluster_Deleted_StopsBeingProbed()
    {
        await PutTokenSecretAsync("creds", _sim.Token);
        await PutClusterAsync("east", _sim.ClusterUri("east").ToString(), "creds", probeInterval: "1s");
        await WaitForReadyStatusAsync("east", "True");

        Assert.Equal(HttpStatusCode.OK, (await _silo.Http.DeleteAsync($"api/v1/namespaces/{Ns}/clusters/east")).StatusCode);
        // Another cluster's probes are the clock: once it has been probed a few times, the deletion (and any probe
        // queued before it) has long been handled; from then on, the deleted cluster gets no request.
        await PutClusterAsync("probe-marker", _sim.ClusterUri("west").ToString(), "creds", probeInterval: "1s");
        await WaitForProbesAsync("probe-marker", 3);
        var before = _sim.GetStats("east").Total;
        await WaitForProbesAsync("probe-marker", 3);

        Assert.Equal(before, _sim.GetStats("east").Total);
    }

    private Task PutTokenSecretAsync(string name, string token) =>
        _silo.PutSecretAsync(Ns, name, new Dictionary<string, string> { ["token"] = token });

    private async Task PutClusterAsync(string name, string server, string secret, string? caData = null, bool insecure = false, string? probeInterval = null, bool paused = false)
    {
        var spec = new JsonObject { ["server"] = server, ["credentialsRef"] = new JsonObject { ["name"] = secret } };
        if (caData is not null)
        {
            spec["caData"] = caData;
        }
        if (insecure)
        {
            spec["insecureSkipTLSVerify"] = true;
        }
        if (probeInterval is not null)
        {
            spec["probeInterval"] = probeInterval;
        }
        if (paused)
        {
            spec["paused"] = true;
        }
        var body = new JsonObject { ["apiVersion"] = "fleet.dev/v1", ["kind"] = "Cluster", ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = new JsonObject { ["env"] = "test" } }, ["spec"] = spec };
        var response = await _silo.Http.PutAsync($"api/v1/namespaces/{Ns}/clusters/{name}", new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private async Task<JsonObject> WaitForReadyStatusAsync(string name, string status)
    {
        JsonObject? last = null;
        var generation = (await _silo.GetJsonAsync($"api/v1/namespaces/{Ns}/clusters/{name}"))["metadata"]!["generation"]!.GetValue<long>();
        await Eventually.WaitAsync(async () =>
        {
            last = await _silo.GetJsonAsync($"api/v1/namespaces/{Ns}/clusters/{name}");
            return SiloHost.Condition(last, "Ready") == status && last["status"]?["observedGeneration"]?.GetValue<long>() == generation;
        }, $"cluster {name} Ready={status}", TimeSpan.FromSeconds(60));
        return last!;
    }

    /// <summary>Waits until the cluster has been probed <paramref name="count"/> more times (its lastProbeTime moved).</summary>
    private async Task WaitForProbesAsync(string name, int count)
    {
        var seen = new HashSet<string>();
        await Eventually.WaitAsync(async () =>
        {
            var cluster = await _silo.GetJsonAsync($"api/v1/namespaces/{Ns}/clusters/{name}");
            if (cluster["status"]?["lastProbeTime"]?.GetValue<string>() is { } t)
            {
                seen.Add(t);
            }
            return seen.Count > count;
        }, $"{count} more probes of {name}", TimeSpan.FromSeconds(60));
    }

    private async Task<List<JsonNode>> EventsAsync(string name)
    {
        var list = await _silo.GetJsonAsync($"api/v1/namespaces/{Ns}/events?kind=Cluster&name={name}");
        return list["items"]!.AsArray().Select(e => e!).ToList();
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
