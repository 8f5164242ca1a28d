using System.Text.Json.Nodes;
using Fleet.KubeSim.Tests.Support;

namespace Fleet.KubeSim.Tests.Kubectl;

public sealed class KubectlTests(TlsSimFixture sim) : IClassFixture<TlsSimFixture>
{
    private const string CrdAndResources = """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: widgets.example.com
        spec:
          group: example.com
          scope: Namespaced
          names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
          versions:
          - name: v1
            served: true
            storage: true
            schema:
              openAPIV3Schema:
                type: object
                x-kubernetes-preserve-unknown-fields: true
        ---
        apiVersion: v1
        kind: Namespace
        metadata:
          name: demo
        ---
        apiVersion: example.com/v1
        kind: Widget
        metadata:
          name: w1
          namespace: demo
        spec:
          size: 3
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          namespace: demo
          labels: {app: web}
        spec:
          replicas: 2
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers:
              - name: web
                image: nginx:1.27
                ports: [{containerPort: 80}]
        """;

    private Support.Kubectl New(out string cluster)
    {
        cluster = sim.NewCluster();
        return new Support.Kubectl(sim.Server, cluster);
    }

    [KubectlFact]
    public async Task Get_ListsBuiltInNamespaces()
    {
        using var kubectl = New(out _);
        var r = await kubectl.Run("get", "namespaces");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("default", r.Stdout);
        Assert.Contains("kube-system", r.Stdout);
        Assert.Contains("Active", r.Stdout);
    }

    [KubectlFact]
    public async Task ApiResources_ListsBuiltInKinds()
    {
        using var kubectl = New(out _);
        var r = await kubectl.Run("api-resources");
        Assert.True(r.ExitCode == 0, r.ToString());
        foreach (var kind in new[] { "ConfigMap", "Deployment", "StatefulSet", "CustomResourceDefinition", "ClusterRoleBinding", "NetworkPolicy", "CronJob" })
        {
            Assert.Contains(kind, r.Stdout);
        }

        Assert.Contains("deploy", r.Stdout);
    }

    [KubectlFact]
    public async Task ApplyServerSide_CrdAndCustomResource_ThenAgainIsNoChange()
    {
        using var kubectl = New(out var cluster);
        var file = kubectl.WriteFile("app.yaml", CrdAndResources);

        // Like a real API server, the custom resource's kind is unknown to kubectl until the CRD exists;
        // kubectl then asks to apply again ("ensure CRDs are installed first").
        var first = await kubectl.Run("apply", "--server-side", "-f", file);
        if (first.ExitCode != 0)
        {
            Assert.Contains("ensure CRDs are installed first", first.Stderr);
            first = await kubectl.Run("apply", "--server-side", "-f", file);
        }

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains("widget.example.com/w1 serverside-applied", first.Stdout);
        Assert.Contains("deployment.apps/web serverside-applied", first.Stdout);

        var widget = await kubectl.Run("get", "widgets", "-n", "demo", "-o", "json");
        Assert.True(widget.ExitCode == 0, widget.ToString());
        Assert.Equal(3, JsonNode.Parse(widget.Stdout)!["items"]![0]!["spec"]!["size"]!.GetValue<int>());

        var wait = await kubectl.Run("wait", "--for=condition=Available", "deployment/web", "-n", "demo", "--timeout=60s");
        Assert.True(wait.ExitCode == 0, wait.ToString());

        var before = sim.Server.GetStats(cluster).ResourceVersion;
        var again = await kubectl.Run("apply", "--server-side", "-f", file);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(before, sim.Server.GetStats(cluster).ResourceVersion);
    }

    [KubectlFact]
    public async Task DiffServerSide_ShowsNothingWhenInSyncAndTheChangeOtherwise()
    {
        using var kubectl = New(out _);
        var file = kubectl.WriteFile("cm.yaml", """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: settings, namespace: default}
            data: {color: blue}
            """);
        Assert.Equal(0, (await kubectl.Run("apply", "--server-side", "-f", file)).ExitCode);
        var same = await kubectl.Run("diff", "--server-side", "-f", file);
        Assert.True(same.ExitCode == 0, same.ToString());
        Assert.Equal(string.Empty, same.Stdout.Trim());

        var changed = kubectl.WriteFile("cm2.yaml", """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: settings, namespace: default}
            data: {color: green}
            """);
        var diff = await kubectl.Run("diff", "--server-side", "-f", changed);
        Assert.True(diff.ExitCode == 1, diff.ToString());
        Assert.Contains("-  color: blue", diff.Stdout);
        Assert.Contains("+  color: green", diff.Stdout);
    }

    [KubectlFact]
    public async Task GetWatch_SeesAnUpdate()
    {
        using var kubectl = New(out _);
        var file = kubectl.WriteFile("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: watched, namespace: default}\ndata: {a: '1'}\n");
        Assert.Equal(0, (await kubectl.Run("apply", "--server-side", "-f", file)).ExitCode);
        await using var watch = kubectl.StartLong("get", "configmap", "watched", "-w", "-o", "jsonpath={.data.a}{\"\\n\"}");
        await watch.WaitForLine(l => l.Trim() == "1", TimeSpan.FromSeconds(30));
        var patch = await kubectl.Run("patch", "configmap", "watched", "-p", """{"data":{"a":"2"}}""");
        Assert.True(patch.ExitCode == 0, patch.ToString());
        await watch.WaitForLine(l => l.Trim() == "2", TimeSpan.FromSeconds(30));
    }

    [KubectlFact]
    public async Task Delete_RemovesTheObject()
    {
        using var kubectl = New(out _);
        var file = kubectl.WriteFile("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: doomed, namespace: default}\n");
        Assert.Equal(0, (await kubectl.Run("create", "-f", file)).ExitCode);
        var delete = await kubectl.Run("delete", "configmap", "doomed");
        Assert.True(delete.ExitCode == 0, delete.ToString());
        Assert.Contains("deleted", delete.Stdout);
        var get = await kubectl.Run("get", "configmap", "doomed");
        Assert.NotEqual(0, get.ExitCode);
        Assert.Contains("NotFound", get.Stderr);
    }

    [KubectlFact]
    public async Task WaitForAvailable_ReturnsOnceTheDeploymentIsReady()
    {
        using var kubectl = New(out _);
        var file = kubectl.WriteFile("d.yaml", """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: x, namespace: default}
            spec:
              replicas: 3
              selector: {matchLabels: {app: x}}
              template:
                metadata: {labels: {app: x}}
                spec: {containers: [{name: x, image: "nginx:1.27"}]}
            """);
        Assert.Equal(0, (await kubectl.Run("apply", "--server-side", "-f", file)).ExitCode);
        var wait = await kubectl.Run("wait", "--for=condition=Available", "deployment/x", "--timeout=60s");
        Assert.True(wait.ExitCode == 0, wait.ToString());
        var get = await kubectl.Run("get", "deployment", "x");
        Assert.Contains("3/3", get.Stdout);
    }

    [KubectlFact]
    public async Task GetRaw_ReadsAnyPathOfTheServer()
    {
        using var kubectl = New(out var cluster);
        var r = await kubectl.Run("get", "--raw", $"/clusters/{cluster}/api/v1/namespaces/default");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("default", JsonNode.Parse(r.Stdout)!["metadata"]!["name"]!.GetValue<string>());
        var version = await kubectl.Run("get", "--raw", "/version");
        Assert.Contains("v1.32", version.Stdout);
    }
}
