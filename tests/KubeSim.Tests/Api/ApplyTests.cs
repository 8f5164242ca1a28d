using System.Net;
using System.Text.Json.Nodes;
using Fleet.KubeSim.Tests.Support;

namespace Fleet.KubeSim.Tests.Api;

public sealed class ApplyTests(SimFixture sim) : IClassFixture<SimFixture>
{
    private const string Deploy = "apis/apps/v1/namespaces/default/deployments/web";

    private static JsonObject? Entry(KubeClient.Result r, string manager, string operation = "Apply") =>
        r.Obj["metadata"]!["managedFields"]?.AsArray().OfType<JsonObject>()
            .FirstOrDefault(e => e["manager"]!.GetValue<string>() == manager && e["operation"]!.GetValue<string>() == operation);

    [Fact]
    public async Task Apply_CreatesAndRecordsManagedFields()
    {
        using var k = sim.NewCluster();
        var r = await k.Apply(Deploy, Manifests.Deployment("default", "web"), "fleet");
        Assert.Equal(HttpStatusCode.Created, r.Status);
        var entry = Entry(r, "fleet");
        Assert.NotNull(entry);
        Assert.Equal("FieldsV1", entry!["fieldsType"]!.GetValue<string>());
        Assert.Equal("apps/v1", entry["apiVersion"]!.GetValue<string>());
        var fields = entry["fieldsV1"]!;
        Assert.NotNull(fields["f:spec"]!["f:replicas"]);
        var container = fields["f:spec"]!["f:template"]!["f:spec"]!["f:containers"]!["k:{\"name\":\"app\"}"]!;
        Assert.NotNull(container["."]);
        Assert.NotNull(container["f:image"]);
        Assert.NotNull(container["f:env"]!["k:{\"name\":\"A\"}"]!["f:value"]);
        Assert.Null(fields["f:metadata"]!["f:name"]);
    }

    [Fact]
    public async Task Apply_SameConfigTwice_IsNoOpWithSameResourceVersion()
    {
        using var k = sim.NewCluster();
        const string Cm = "api/v1/namespaces/default/configmaps/same";
        var cm = Manifests.ConfigMap("default", "same");
        var first = await k.Apply(Cm, cm, "fleet");
        var second = await k.Apply(Cm, cm, "fleet");
        Assert.Equal(HttpStatusCode.OK, second.Status);
        Assert.Equal(first.Str("metadata.resourceVersion"), second.Str("metadata.resourceVersion"));
        Assert.Equal(first.Text, second.Text);

        await k.Apply(Deploy, Manifests.Deployment("default", "web"), "fleet");
        var settled = await k.WaitFor(Deploy, r => r.Node("status.availableReplicas")?.GetValue<long>() == 2);
        var again = await k.Apply(Deploy, Manifests.Deployment("default", "web"), "fleet");
        Assert.Equal(settled.Str("metadata.resourceVersion"), again.Str("metadata.resourceVersion"));
    }

    [Fact]
    public async Task Apply_FieldOwnedByAnotherManager_Is409NamingFieldAndManager()
    {
        using var k = sim.NewCluster();
        await k.Apply(Deploy, Manifests.Deployment("default", "web", replicas: 2), "fleet");
        var other = await k.Apply(Deploy, Manifests.Deployment("default", "web", replicas: 5), "someone-else");
        Assert.Equal(HttpStatusCode.Conflict, other.Status);
        Assert.Equal("Conflict", other.Str("reason"));
        Assert.Equal(".spec.replicas", other.Str("details.causes.0.field"));
        Assert.Equal("FieldManagerConflict", other.Str("details.causes.0.reason"));
        Assert.Contains("conflict with \"fleet\"", other.Str("message"));
        Assert.Contains(".spec.replicas", other.Str("message"));
    }

    [Fact]
    public async Task Apply_SameValueAsAnotherManager_SharesOwnershipWithoutConflict()
    {
        using var k = sim.NewCluster();
        await k.Apply(Deploy, Manifests.Deployment("default", "web"), "fleet");
        var r = await k.Apply(Deploy, Manifests.Deployment("default", "web"), "other");
        Assert.Equal(HttpStatusCode.OK, r.Status);
        Assert.NotNull(Entry(r, "fleet")!["fieldsV1"]!["f:spec"]!["f:replicas"]);
        Assert.NotNull(Entry(r, "other")!["fieldsV1"]!["f:spec"]!["f:replicas"]);
    }

    [Fact]
    public async Task Apply_Force_TakesOwnership()
    {
        using var k = sim.NewCluster();
        await k.Apply(Deploy, Manifests.Deployment("default", "web", replicas: 2), "fleet");
        var r = await k.Apply(Deploy, Manifests.Deployment("default", "web", replicas: 5), "someone-else", force: true);
        Assert.Equal(HttpStatusCode.OK, r.Status);
        Assert.Equal(5, r.Node("spec.replicas")!.GetValue<long>());
        Assert.NotNull(Entry(r, "someone-else")!["fieldsV1"]!["f:spec"]!["f:replicas"]);
        Assert.Null(Entry(r, "fleet")!["fieldsV1"]!["f:spec"]!["f:replicas"]);
    }

    [Fact]
    public async Task Apply_ConflictWithUpdateManager_AfterDrift()
    {
        using var k = sim.NewCluster();
        await k.Apply(Deploy, Manifests.Deployment("default", "web", replicas: 2), "fleet");
        var (status, _) = sim.Server.EditAsManager(k.Name, "/" + Deploy, """{"spec":{"replicas":9}}""", "kubectl-edit");
        Assert.Equal(200, status);
        var drifted = await k.Get(Deploy);
        Assert.Equal(9, drifted.Node("spec.replicas")!.GetValue<long>());
        Assert.NotNull(Entry(drifted, "kubectl-edit", "Update")!["fieldsV1"]!["f:spec"]!["f:replicas"]);
        Assert.Null(Entry(drifted, "fleet")!["fieldsV1"]!["f:spec"]!["f:replicas"]);

        var conflict = await k.Apply(Deploy, Manifests.Deployment("default", "web", replicas: 2), "fleet");
        Assert.Equal(HttpStatusCode.Conflict, conflict.Status);
        Assert.Contains("kubectl-edit", conflict.Str("message"));
        var forced = await k.Apply(Deploy, Manifests.Deployment("default", "web", replicas: 2), "fleet", force: true);
        Assert.Equal(2, forced.Node("spec.replicas")!.GetValue<long>());
    }

    [Fact]
    public async Task Apply_RemovesFieldsTheManagerNoLongerSets()
    {
        using var k = sim.NewCluster();
        const string Path = "api/v1/namespaces/default/configmaps/settings";
        await k.Apply(Path, """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"settings","labels":{"a":"1","b":"2"}},"data":{"x":"1","y":"2"}}""", "fleet");
        await k.Patch(Path, """{"data":{"z":"3"}}""", "application/merge-patch+json");
        var r = await k.Apply(Path, """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"settings","labels":{"a":"1"}},"data":{"x":"1"}}""", "fleet");
        Assert.Equal(HttpStatusCode.OK, r.Status);
        Assert.Null(r.Node("data.y"));
        Assert.Null(r.Node("metadata.labels.b"));
        Assert.Equal("1", r.Str("data.x"));
        Assert.Equal("3", r.Str("data.z"));
    }

    [Fact]
    public async Task Apply_RemovesListItemTheManagerNoLongerSets()
    {
        using var k = sim.NewCluster();
        var two = Manifests.Deployment("default", "web").Replace("env: [{name: A, value: \"1\"}]", "env: [{name: A, value: \"1\"}, {name: B, value: \"2\"}]");
        var r1 = await k.Apply(Deploy, two, "fleet");
        Assert.Equal(2, r1.Node("spec.template.spec.containers.0.env")!.AsArray().Count);
        var r2 = await k.Apply(Deploy, Manifests.Deployment("default", "web"), "fleet");
        var env = r2.Node("spec.template.spec.containers.0.env")!.AsArray();
        Assert.Single(env);
        Assert.Equal("A", env[0]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Apply_WithoutFieldManager_Is422()
    {
        using var k = sim.NewCluster();
        var r = await k.Patch(Deploy, Manifests.Deployment("default", "web"), "application/apply-patch+yaml");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, r.Status);
        Assert.Equal("fieldManager", r.Str("details.causes.0.field"));
    }

    [Fact]
    public async Task Apply_DryRun_ReportsResultWithoutStoring()
    {
        using var k = sim.NewCluster();
        var r = await k.Apply(Deploy + "?dryRun=All", Manifests.Deployment("default", "web"), "fleet");
        Assert.Equal(HttpStatusCode.Created, r.Status);
        Assert.Equal(HttpStatusCode.NotFound, (await k.Get(Deploy)).Status);
    }

    [Fact]
    public async Task StrategicMergePatch_MergesContainersByName()
    {
        using var k = sim.NewCluster();
        var two = Manifests.Deployment("default", "web").Replace("      - name: app\n", "      - name: side\n        image: busybox:1\n      - name: app\n");
        await k.Apply(Deploy, two, "fleet");
        var r = await k.Patch(Deploy,
            """{"spec":{"template":{"spec":{"containers":[{"name":"app","image":"nginx:1.28","env":[{"name":"B","value":"2"}]}]}}}}""",
            "application/strategic-merge-patch+json");
        Assert.Equal(HttpStatusCode.OK, r.Status);
        var containers = r.Node("spec.template.spec.containers")!.AsArray();
        Assert.Equal(2, containers.Count);
        var app = containers.Single(c => c!["name"]!.GetValue<string>() == "app")!;
        Assert.Equal("nginx:1.28", app["image"]!.GetValue<string>());
        Assert.Equal(["A", "B"], app["env"]!.AsArray().Select(e => e!["name"]!.GetValue<string>()));
        Assert.Equal(80, app["ports"]![0]!["containerPort"]!.GetValue<long>());

        var deleted = await k.Patch(Deploy, """{"spec":{"template":{"spec":{"containers":[{"name":"side","$patch":"delete"}]}}}}""", "application/strategic-merge-patch+json");
        Assert.Single(deleted.Node("spec.template.spec.containers")!.AsArray());
    }

    [Fact]
    public async Task MergePatch_ReplacesListsAndNullDeletes()
    {
        using var k = sim.NewCluster();
        await k.Apply(Deploy, Manifests.Deployment("default", "web"), "fleet");
        var r = await k.Patch(Deploy, """{"metadata":{"labels":{"app":null,"new":"1"}}}""", "application/merge-patch+json");
        Assert.Null(r.Node("metadata.labels.app"));
        Assert.Equal("1", r.Str("metadata.labels.new"));
    }

    [Fact]
    public async Task JsonPatch_AppliesOperationsAndTestFailureIs422()
    {
        using var k = sim.NewCluster();
        await k.Apply(Deploy, Manifests.Deployment("default", "web"), "fleet");
        var r = await k.Patch(Deploy, """[{"op":"replace","path":"/spec/replicas","value":4},{"op":"add","path":"/metadata/labels/x","value":"y"}]""", "application/json-patch+json");
        Assert.Equal(HttpStatusCode.OK, r.Status);
        Assert.Equal(4, r.Node("spec.replicas")!.GetValue<long>());
        Assert.Equal("y", r.Str("metadata.labels.x"));
        var failed = await k.Patch(Deploy, """[{"op":"test","path":"/spec/replicas","value":1}]""", "application/json-patch+json");
        Assert.Equal((HttpStatusCode)422, failed.Status);
    }

    [Fact]
    public async Task Patch_UnsupportedContentType_Is415()
    {
        using var k = sim.NewCluster();
        await k.Apply(Deploy, Manifests.Deployment("default", "web"), "fleet");
        var r = await k.Patch(Deploy, "{}", "text/plain");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, r.Status);
    }

    [Fact]
    public async Task StatusSubresource_IgnoresSpecAndMainIgnoresStatus()
    {
        using var k = sim.NewCluster();
        await k.Apply(Deploy, Manifests.Deployment("default", "web"), "fleet");
        var main = await k.Patch(Deploy, """{"status":{"replicas":42}}""", "application/merge-patch+json");
        Assert.NotEqual(42, main.Node("status.replicas")?.GetValue<long>());
        var status = await k.Patch(Deploy + "/status", """{"spec":{"replicas":42},"status":{"observedGeneration":99}}""", "application/merge-patch+json");
        Assert.Equal(2, status.Node("spec.replicas")!.GetValue<long>());
        Assert.Equal(99, status.Node("status.observedGeneration")!.GetValue<long>());
    }
}
