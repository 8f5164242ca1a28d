using System.Net;
using System.Text.Json.Nodes;
using Fleet.KubeSim.Tests.Support;

namespace Fleet.KubeSim.Tests.Api;

public sealed class ObjectTests(SimFixture sim) : IClassFixture<SimFixture>
{
    private const string Cms = "api/v1/namespaces/default/configmaps";

    [Fact]
    public async Task Create_SetsIdentityAndResourceVersion_AndGetReturnsIt()
    {
        using var k = sim.NewCluster();
        var created = await k.Post(Cms, Manifests.ConfigMap("default", "one"));
        Assert.Equal(HttpStatusCode.Created, created.Status);
        Assert.False(string.IsNullOrEmpty(created.Str("metadata.uid")));
        Assert.False(string.IsNullOrEmpty(created.Str("metadata.creationTimestamp")));
        var rv = long.Parse(created.Str("metadata.resourceVersion")!);
        var got = await k.Get($"{Cms}/one");
        Assert.Equal(HttpStatusCode.OK, got.Status);
        Assert.Equal(rv.ToString(), got.Str("metadata.resourceVersion"));
        Assert.Equal("1", got.Str("data.a"));

        var second = await k.Post(Cms, Manifests.ConfigMap("default", "two"));
        Assert.True(long.Parse(second.Str("metadata.resourceVersion")!) > rv);
    }

    [Fact]
    public async Task Create_Twice_Is409AlreadyExists()
    {
        using var k = sim.NewCluster();
        await k.Post(Cms, Manifests.ConfigMap("default", "dup"));
        var again = await k.Post(Cms, Manifests.ConfigMap("default", "dup"));
        Assert.Equal(HttpStatusCode.Conflict, again.Status);
        Assert.Equal("Status", again.Str("kind"));
        Assert.Equal("AlreadyExists", again.Str("reason"));
        Assert.Equal("configmaps \"dup\" already exists", again.Str("message"));
    }

    [Fact]
    public async Task Get_Missing_Is404StatusNamingTheObject()
    {
        using var k = sim.NewCluster();
        var r = await k.Get("apis/apps/v1/namespaces/default/deployments/nope");
        Assert.Equal(HttpStatusCode.NotFound, r.Status);
        Assert.Equal("NotFound", r.Str("reason"));
        Assert.Equal("deployments.apps \"nope\" not found", r.Str("message"));
        Assert.Equal(404, r.Node("code")!.GetValue<int>());
    }

    [Fact]
    public async Task Create_InvalidName_Is422WithFieldCause()
    {
        using var k = sim.NewCluster();
        var r = await k.Post(Cms, Manifests.ConfigMap("default", "Bad_Name"));
        Assert.Equal((HttpStatusCode)422, r.Status);
        Assert.Equal("Invalid", r.Str("reason"));
        Assert.Equal("metadata.name", r.Str("details.causes.0.field"));
        Assert.Contains("RFC 1123", r.Str("message"));
    }

    [Fact]
    public async Task Create_MissingName_Is422()
    {
        using var k = sim.NewCluster();
        var r = await k.Post(Cms, """{"apiVersion":"v1","kind":"ConfigMap","metadata":{}}""");
        Assert.Equal((HttpStatusCode)422, r.Status);
        Assert.Equal("metadata.name", r.Str("details.causes.0.field"));
    }

    [Fact]
    public async Task Create_NamespacedKindOnTheAllNamespacesPath_Is405()
    {
        using var k = sim.NewCluster();
        var r = await k.Post("api/v1/configmaps", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}""");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, r.Status);
        Assert.Equal("MethodNotAllowed", r.Str("reason"));
    }

    [Fact]
    public async Task Create_InMissingNamespace_Is404ForTheNamespace()
    {
        using var k = sim.NewCluster();
        var r = await k.Post("api/v1/namespaces/ghost/configmaps", Manifests.ConfigMap("ghost", "x"));
        Assert.Equal(HttpStatusCode.NotFound, r.Status);
        Assert.Equal("namespaces \"ghost\" not found", r.Str("message"));
    }

    [Fact]
    public async Task Create_MalformedJson_Is400()
    {
        using var k = sim.NewCluster();
        var r = await k.Post(Cms, "{\"apiVersion\": \"v1\", ");
        Assert.Equal(HttpStatusCode.BadRequest, r.Status);
        Assert.Equal("Status", r.Str("kind"));
        Assert.Contains("JSON", r.Str("message"));
    }

    [Fact]
    public async Task Create_MalformedYaml_Is400NamingTheLine()
    {
        using var k = sim.NewCluster();
        var r = await k.Post(Cms, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\n", "application/yaml");
        Assert.Equal(HttpStatusCode.BadRequest, r.Status);
        Assert.Contains("line", r.Str("message"));
    }

    [Fact]
    public async Task Create_KindMismatchingTheUrl_Is400()
    {
        using var k = sim.NewCluster();
        var r = await k.Post(Cms, """{"apiVersion":"v1","kind":"Secret","metadata":{"name":"x"}}""");
        Assert.Equal(HttpStatusCode.BadRequest, r.Status);
    }

    [Fact]
    public async Task UnknownResource_Is404()
    {
        using var k = sim.NewCluster();
        Assert.Equal(HttpStatusCode.NotFound, (await k.Get("api/v1/namespaces/default/widgets")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await k.Get("apis/nothing.example.com/v1")).Status);
    }

    [Fact]
    public async Task Put_WithStaleResourceVersion_Is409Conflict()
    {
        using var k = sim.NewCluster();
        var created = (await k.Post(Cms, Manifests.ConfigMap("default", "cas"))).Obj;
        var first = (JsonObject)created.DeepClone();
        first["data"]!["a"] = "2";
        Assert.Equal(HttpStatusCode.OK, (await k.Put($"{Cms}/cas", first.ToJsonString())).Status);
        var stale = (JsonObject)created.DeepClone();
        stale["data"]!["a"] = "3";
        var r = await k.Put($"{Cms}/cas", stale.ToJsonString());
        Assert.Equal(HttpStatusCode.Conflict, r.Status);
        Assert.Equal("Conflict", r.Str("reason"));
        Assert.Contains("the object has been modified", r.Str("message"));
    }

    [Fact]
    public async Task Update_WithoutChange_KeepsResourceVersion()
    {
        using var k = sim.NewCluster();
        var created = (await k.Post(Cms, Manifests.ConfigMap("default", "same"))).Obj;
        var put = await k.Put($"{Cms}/same", created.ToJsonString());
        Assert.Equal(created["metadata"]!["resourceVersion"]!.GetValue<string>(), put.Str("metadata.resourceVersion"));
    }

    [Fact]
    public async Task Generation_BumpsOnSpecChangeOnly()
    {
        using var k = sim.NewCluster();
        var d = await k.Apply("apis/apps/v1/namespaces/default/deployments/gen", Manifests.Deployment("default", "gen"));
        Assert.Equal(1, d.Node("metadata.generation")!.GetValue<long>());
        var labelled = await k.Patch("apis/apps/v1/namespaces/default/deployments/gen", """{"metadata":{"labels":{"extra":"x"}}}""", "application/merge-patch+json");
        Assert.Equal(1, labelled.Node("metadata.generation")!.GetValue<long>());
        var scaled = await k.Patch("apis/apps/v1/namespaces/default/deployments/gen", """{"spec":{"replicas":5}}""", "application/merge-patch+json");
        Assert.Equal(2, scaled.Node("metadata.generation")!.GetValue<long>());
    }

    [Fact]
    public async Task DryRun_DoesNotStoreAnything()
    {
        using var k = sim.NewCluster();
        var r = await k.Post($"{Cms}?dryRun=All", Manifests.ConfigMap("default", "dry"));
        Assert.Equal(HttpStatusCode.Created, r.Status);
        Assert.Equal(HttpStatusCode.NotFound, (await k.Get($"{Cms}/dry")).Status);
        await k.Post(Cms, Manifests.ConfigMap("default", "wet"));
        var before = await k.Get($"{Cms}/wet");
        var patched = await k.Patch($"{Cms}/wet?dryRun=All", """{"data":{"a":"changed"}}""", "application/merge-patch+json");
        Assert.Equal("changed", patched.Str("data.a"));
        var after = await k.Get($"{Cms}/wet");
        Assert.Equal(before.Text, after.Text);
        Assert.Equal(HttpStatusCode.OK, (await k.Delete($"{Cms}/wet?dryRun=All")).Status);
        Assert.Equal(HttpStatusCode.OK, (await k.Get($"{Cms}/wet")).Status);
    }

    [Fact]
    public async Task Delete_WithFinalizer_SetsDeletionTimestampUntilFinalizerRemoved()
    {
        using var k = sim.NewCluster();
        await k.Post(Cms, """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"fin","namespace":"default","finalizers":["example.com/hold"]}}""");
        var deleted = await k.Delete($"{Cms}/fin");
        Assert.Equal(HttpStatusCode.OK, deleted.Status);
        var still = await k.Get($"{Cms}/fin");
        Assert.Equal(HttpStatusCode.OK, still.Status);
        Assert.NotNull(still.Str("metadata.deletionTimestamp"));
        var released = await k.Patch($"{Cms}/fin", """{"metadata":{"finalizers":null}}""", "application/merge-patch+json");
        Assert.Equal(HttpStatusCode.OK, released.Status);
        Assert.Equal(HttpStatusCode.NotFound, (await k.Get($"{Cms}/fin")).Status);
    }

    [Fact]
    public async Task Delete_WithoutFinalizers_ReturnsSuccessStatus()
    {
        using var k = sim.NewCluster();
        await k.Post(Cms, Manifests.ConfigMap("default", "gone"));
        var r = await k.Delete($"{Cms}/gone");
        Assert.Equal(HttpStatusCode.OK, r.Status);
        Assert.Equal("Success", r.Str("status"));
        Assert.Equal(HttpStatusCode.NotFound, (await k.Get($"{Cms}/gone")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await k.Delete($"{Cms}/gone")).Status);
    }

    [Fact]
    public async Task NamespaceDeletion_RemovesItsObjectsThenItself()
    {
        using var k = sim.NewCluster();
        await k.Post("api/v1/namespaces", Manifests.Namespace("doomed"));
        await k.Post("api/v1/namespaces/doomed/configmaps", Manifests.ConfigMap("doomed", "a"));
        await k.Apply("apis/apps/v1/namespaces/doomed/deployments/web", Manifests.Deployment("doomed", "web"));
        await k.Post("api/v1/namespaces", Manifests.Namespace("kept"));
        await k.Post("api/v1/namespaces/kept/configmaps", Manifests.ConfigMap("kept", "a"));
        var r = await k.Delete("api/v1/namespaces/doomed");
        Assert.Equal(HttpStatusCode.OK, r.Status);
        await k.WaitFor("api/v1/namespaces/doomed", x => x.Status == HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.NotFound, (await k.Get("api/v1/namespaces/doomed/configmaps/a")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await k.Get("apis/apps/v1/namespaces/doomed/deployments/web")).Status);
        Assert.Equal(HttpStatusCode.OK, (await k.Get("api/v1/namespaces/kept/configmaps/a")).Status);
    }

    [Fact]
    public async Task TerminatingNamespace_RefusesNewObjectsWith403()
    {
        using var k = sim.NewCluster();
        await k.Post("api/v1/namespaces", Manifests.Namespace("closing"));
        await k.Post("api/v1/namespaces/closing/configmaps",
            """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"held","namespace":"closing","finalizers":["example.com/hold"]}}""");
        await k.Delete("api/v1/namespaces/closing");
        var ns = await k.WaitFor("api/v1/namespaces/closing", x => x.Str("status.phase") == "Terminating");
        Assert.NotNull(ns.Str("metadata.deletionTimestamp"));
        var r = await k.Post("api/v1/namespaces/closing/configmaps", Manifests.ConfigMap("closing", "new"));
        Assert.Equal(HttpStatusCode.Forbidden, r.Status);
        Assert.Contains("being terminated", r.Str("message"));
        await k.Patch("api/v1/namespaces/closing/configmaps/held", """{"metadata":{"finalizers":null}}""", "application/merge-patch+json");
        await k.WaitFor("api/v1/namespaces/closing", x => x.Status == HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task BuiltInNamespaces_ExistAndAreActive()
    {
        using var k = sim.NewCluster();
        var list = await k.Get("api/v1/namespaces");
        var names = list.Obj["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()).ToList();
        Assert.Equal(["default", "kube-node-lease", "kube-public", "kube-system"], names);
        Assert.All(list.Obj["items"]!.AsArray(), i => Assert.Equal("Active", i!["status"]!["phase"]!.GetValue<string>()));
    }
}
