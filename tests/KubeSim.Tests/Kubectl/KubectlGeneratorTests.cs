using System.Text;
using System.Text.Json.Nodes;
using Fleet.KubeSim.Tests.Support;

namespace Fleet.KubeSim.Tests.Kubectl;

/// <summary>kubectl's imperative generators send protobuf bodies; KubeSim decodes them as kube-apiserver does.</summary>
public sealed class KubectlGeneratorTests(TlsSimFixture sim) : IClassFixture<TlsSimFixture>
{
    private async Task<JsonObject> Get(Support.Kubectl kubectl, params string[] what)
    {
        var r = await kubectl.Run([.. what, "-o", "json", "--show-managed-fields"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        return JsonNode.Parse(r.Stdout)!.AsObject();
    }

    [KubectlFact]
    public async Task CreateDeployment_SendsProtobufAndGetsTheDefaultsOfARealServer()
    {
        using var kubectl = new Support.Kubectl(sim.Server, sim.NewCluster());
        var r = await kubectl.Run("create", "deployment", "web", "--image=nginx:1.27", "--replicas=2", "--port=80");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("deployment.apps/web created", r.Stdout);

        var d = await Get(kubectl, "get", "deployment", "web");
        Assert.Equal(2, d["spec"]!["replicas"]!.GetValue<int>());
        Assert.Equal("web", d["spec"]!["selector"]!["matchLabels"]!["app"]!.GetValue<string>());
        var container = d["spec"]!["template"]!["spec"]!["containers"]![0]!;
        Assert.Equal("nginx:1.27", container["image"]!.GetValue<string>());
        Assert.Equal(80, container["ports"]![0]!["containerPort"]!.GetValue<int>());
        Assert.Equal("TCP", container["ports"]![0]!["protocol"]!.GetValue<string>());
        Assert.Equal("IfNotPresent", container["imagePullPolicy"]!.GetValue<string>());
        Assert.Equal("RollingUpdate", d["spec"]!["strategy"]!["type"]!.GetValue<string>());
        Assert.Contains(d["metadata"]!["managedFields"]!.AsArray(), e => e!["manager"]!.GetValue<string>() == "kubectl-create");
    }

    [KubectlFact]
    public async Task CreateNamespaceConfigMapAndSecret_SendProtobuf()
    {
        using var kubectl = new Support.Kubectl(sim.Server, sim.NewCluster());
        foreach (var args in new[]
        {
            new[] { "create", "namespace", "shop" },
            ["create", "configmap", "settings", "-n", "shop", "--from-literal=mode=fast", "--from-literal=level=3"],
            ["create", "secret", "generic", "creds", "-n", "shop", "--from-literal=password=s3cret"],
        })
        {
            var r = await kubectl.Run(args);
            Assert.True(r.ExitCode == 0, r.ToString());
        }

        var ns = await Get(kubectl, "get", "namespace", "shop");
        Assert.Equal("Active", ns["status"]!["phase"]!.GetValue<string>());
        var cm = await Get(kubectl, "get", "configmap", "settings", "-n", "shop");
        Assert.Equal("fast", cm["data"]!["mode"]!.GetValue<string>());
        Assert.Equal("3", cm["data"]!["level"]!.GetValue<string>());
        var secret = await Get(kubectl, "get", "secret", "creds", "-n", "shop");
        Assert.Equal("Opaque", secret["type"]!.GetValue<string>());
        Assert.Equal("s3cret", Encoding.UTF8.GetString(Convert.FromBase64String(secret["data"]!["password"]!.GetValue<string>())));
    }

    [KubectlFact]
    public async Task RunAndScale_CreateAPodAndScaleADeployment()
    {
        using var kubectl = new Support.Kubectl(sim.Server, sim.NewCluster());
        var run = await kubectl.Run("run", "box", "--image=busybox:1.36", "--labels=tier=debug", "--", "sleep", "3600");
        Assert.True(run.ExitCode == 0, run.ToString());
        var pod = await Get(kubectl, "get", "pod", "box");
        Assert.Equal("debug", pod["metadata"]!["labels"]!["tier"]!.GetValue<string>());
        var container = pod["spec"]!["containers"]![0]!;
        Assert.Equal("busybox:1.36", container["image"]!.GetValue<string>());
        Assert.Equal("sleep", container["args"]![0]!.GetValue<string>());
        Assert.Equal("Always", pod["spec"]!["restartPolicy"]!.GetValue<string>());

        var create = await kubectl.Run("create", "deployment", "web", "--image=nginx:1.27");
        Assert.True(create.ExitCode == 0, create.ToString());
        var scale = await kubectl.Run("scale", "deployment", "web", "--replicas=5");
        Assert.True(scale.ExitCode == 0, scale.ToString());
        Assert.Contains("deployment.apps/web scaled", scale.Stdout);
        var d = await Get(kubectl, "get", "deployment", "web");
        Assert.Equal(5, d["spec"]!["replicas"]!.GetValue<int>());
        Assert.True(d["metadata"]!["managedFields"]!.AsArray().Any(e => e!["subresource"]?.GetValue<string>() == "scale"), d.ToJsonString());
    }
}
