using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Fleet.KubeSim.Tests.Support;

namespace Fleet.KubeSim.Tests.Api;

public sealed class AdminAndFaultTests(SimFixture sim) : IClassFixture<SimFixture>
{
    private static StringContent Json(string s) => new(s, Encoding.UTF8, "application/json");

    [Fact]
    public async Task AdminApi_CreatesLabelsAndDeletesClusters()
    {
        using var http = sim.Raw();
        var created = await http.PostAsync("_sim/clusters", Json("""{"name":"admin-made","labels":{"env":"prod"}}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await http.PostAsync("_sim/clusters", Json("""{"name":"admin-made"}"""))).StatusCode);
        Assert.Equal((HttpStatusCode)422, (await http.PostAsync("_sim/clusters", Json("""{"name":"Bad_Name"}"""))).StatusCode);

        var ns = await http.GetAsync("clusters/admin-made/api/v1/namespaces/default");
        Assert.Equal(HttpStatusCode.OK, ns.StatusCode);

        var relabel = await http.PatchAsync("_sim/clusters/admin-made/labels", Json("""{"region":"eu"}"""));
        Assert.Equal(HttpStatusCode.OK, relabel.StatusCode);
        Assert.Equal(new Dictionary<string, string> { ["env"] = "prod", ["region"] = "eu" }, sim.Server.GetClusterLabels("admin-made"));
        var list = JsonNode.Parse(await http.GetStringAsync("_sim/clusters"))!;
        Assert.Contains(list["items"]!.AsArray(), c => c!["name"]!.GetValue<string>() == "admin-made" && c["labels"]!["region"]!.GetValue<string>() == "eu");

        Assert.Equal(HttpStatusCode.OK, (await http.DeleteAsync("_sim/clusters/admin-made")).StatusCode);
        var gone = await http.GetAsync("clusters/admin-made/api/v1/namespaces/default");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Contains("cluster \\\"admin-made\\\" not found", await gone.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Stats_CountRequestsPerVerb()
    {
        using var k = sim.NewCluster();
        await k.Get("api/v1/namespaces/default/configmaps");
        await k.Post("api/v1/namespaces/default/configmaps", Manifests.ConfigMap("default", "s"));
        await k.Apply("api/v1/namespaces/default/configmaps/s2", Manifests.ConfigMap("default", "s2"));
        await k.Get("api/v1/namespaces/default/configmaps/s");
        await k.Delete("api/v1/namespaces/default/configmaps/s");
        using var http = sim.Raw();
        var stats = JsonNode.Parse(await http.GetStringAsync($"_sim/clusters/{k.Name}/stats"))!;
        Assert.Equal(1, stats["requests"]!["list"]!.GetValue<long>());
        Assert.Equal(1, stats["requests"]!["create"]!.GetValue<long>());
        Assert.Equal(1, stats["requests"]!["apply"]!.GetValue<long>());
        Assert.Equal(1, stats["requests"]!["get"]!.GetValue<long>());
        Assert.Equal(1, stats["requests"]!["delete"]!.GetValue<long>());
        Assert.Equal(5, stats["total"]!.GetValue<long>());
        var server = JsonNode.Parse(await http.GetStringAsync("_sim/stats"))!;
        Assert.True(server["total"]!.GetValue<long>() >= 5, "the server's total sums every cluster's");
        Assert.True(server["requests"]!["apply"]!.GetValue<long>() >= 1, "the server's count per verb sums every cluster's");
        await http.DeleteAsync($"_sim/clusters/{k.Name}/stats");
        Assert.Equal(0, sim.Server.GetStats(k.Name).Total);
    }

    [Fact]
    public async Task Fault_Unavailable_Answers503OnlyForThatCluster()
    {
        using var down = sim.NewCluster();
        using var up = sim.NewCluster();
        using var http = sim.Raw();
        var set = await http.PutAsync($"_sim/clusters/{down.Name}/faults", Json("""{"down":"unavailable"}"""));
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        var r = await down.Get("api/v1/namespaces");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, r.Status);
        Assert.Equal("Status", r.Str("kind"));
        Assert.Equal(HttpStatusCode.OK, (await up.Get("api/v1/namespaces")).Status);
        await http.DeleteAsync($"_sim/clusters/{down.Name}/faults");
        Assert.Equal(HttpStatusCode.OK, (await down.Get("api/v1/namespaces")).Status);
    }

    [Fact]
    public async Task Fault_Refuse_DropsTheConnection()
    {
        using var k = sim.NewCluster();
        sim.Server.SetFaults(k.Name, new ClusterFaults(DownMode.Refuse));
        await Assert.ThrowsAsync<HttpRequestException>(() => k.Get("api/v1/namespaces"));
        sim.Server.SetFaults(k.Name, ClusterFaults.None);
        Assert.Equal(HttpStatusCode.OK, (await k.Get("api/v1/namespaces")).Status);
    }

    [Fact]
    public async Task Fault_WriteFailureRate_FailsWritesButNotReads()
    {
        using var k = sim.NewCluster();
        sim.Server.SetFaults(k.Name, new ClusterFaults(WriteFailureRate: 1));
        var write = await k.Post("api/v1/namespaces/default/configmaps", Manifests.ConfigMap("default", "f"));
        Assert.Equal(HttpStatusCode.InternalServerError, write.Status);
        Assert.Equal("InternalError", write.Str("reason"));
        Assert.Equal(HttpStatusCode.OK, (await k.Get("api/v1/namespaces/default/configmaps")).Status);
        sim.Server.SetFaults(k.Name, ClusterFaults.None);
        Assert.Equal(HttpStatusCode.Created, (await k.Post("api/v1/namespaces/default/configmaps", Manifests.ConfigMap("default", "f"))).Status);
    }

    [Fact]
    public async Task Fault_Latency_IsRecordedAndRequestsStillSucceed()
    {
        using var k = sim.NewCluster();
        using var http = sim.Raw();
        var set = JsonNode.Parse(await (await http.PutAsync($"_sim/clusters/{k.Name}/faults", Json("""{"latencyMs":20}"""))).Content.ReadAsStringAsync())!;
        Assert.Equal(20, set["latencyMs"]!.GetValue<double>());
        Assert.Equal(TimeSpan.FromMilliseconds(20), sim.Server.GetFaults(k.Name).Latency);
        Assert.Equal(HttpStatusCode.OK, (await k.Get("api/v1/namespaces")).Status);
        var bad = await http.PutAsync($"_sim/clusters/{k.Name}/faults", Json("""{"writeFailureRate":2}"""));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("writeFailureRate", await bad.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AdminEdit_ChangesObjectAsAnotherFieldManager()
    {
        using var k = sim.NewCluster();
        await k.Apply("api/v1/namespaces/default/configmaps/drift", Manifests.ConfigMap("default", "drift"), "fleet");
        using var http = sim.Raw();
        var path = Uri.EscapeDataString("/api/v1/namespaces/default/configmaps/drift");
        var r = await http.PostAsync($"_sim/clusters/{k.Name}/edit?manager=intruder&path={path}", Json("""{"data":{"a":"tampered"}}"""));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var obj = await k.Get("api/v1/namespaces/default/configmaps/drift");
        Assert.Equal("tampered", obj.Str("data.a"));
        Assert.Contains(obj.Node("metadata.managedFields")!.AsArray(), e => e!["manager"]!.GetValue<string>() == "intruder" && e["operation"]!.GetValue<string>() == "Update");
    }

    [Fact]
    public async Task MissingToken_Is401Status()
    {
        using var anonymous = sim.Raw(token: null);
        using var k = sim.NewCluster();
        var r = await anonymous.GetAsync($"clusters/{k.Name}/api/v1/namespaces");
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        var body = JsonNode.Parse(await r.Content.ReadAsStringAsync())!;
        Assert.Equal("Unauthorized", body["reason"]!.GetValue<string>());
        using var wrong = sim.Raw(token: "wrong");
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync($"clusters/{k.Name}/api/v1/namespaces")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync("_sim/clusters")).StatusCode);
    }

    [Fact]
    public async Task ReadOnlyToken_ReadsButWritesAre403()
    {
        using var k = sim.NewCluster();
        using var ro = sim.Raw(token: "read-only-token");
        Assert.Equal(HttpStatusCode.OK, (await ro.GetAsync($"clusters/{k.Name}/api/v1/namespaces")).StatusCode);
        var write = await ro.PostAsync($"clusters/{k.Name}/api/v1/namespaces/default/configmaps", Json(Manifests.ConfigMap("default", "ro")));
        Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);
        var body = JsonNode.Parse(await write.Content.ReadAsStringAsync())!;
        Assert.Equal("Forbidden", body["reason"]!.GetValue<string>());
        Assert.Contains("cannot create resource \"configmaps\"", body["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task OversizedBody_Is413AndOtherClustersKeepServing()
    {
        using var k = sim.NewCluster();
        using var other = sim.NewCluster();
        var big = Manifests.ConfigMap("default", "big", data: "{\"blob\":\"" + new string('x', (3 * 1024 * 1024) + 10) + "\"}");
        var r = await k.Post("api/v1/namespaces/default/configmaps", big);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r.Status);
        Assert.Equal("RequestEntityTooLarge", r.Str("reason"));
        Assert.Equal(HttpStatusCode.OK, (await other.Get("api/v1/namespaces")).Status);
        Assert.Equal(HttpStatusCode.Created, (await k.Post("api/v1/namespaces/default/configmaps", Manifests.ConfigMap("default", "small"))).Status);
    }

    [Fact]
    public async Task UnknownCluster_Is404Status()
    {
        using var http = sim.Raw();
        var r = await http.GetAsync("clusters/no-such-cluster/api/v1/namespaces");
        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        Assert.Equal("Status", JsonNode.Parse(await r.Content.ReadAsStringAsync())!["kind"]!.GetValue<string>());
    }
}
