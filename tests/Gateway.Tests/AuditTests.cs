using System.Net;
using System.Text.Json.Nodes;
using Fleet.Gateway.Tests.Support;
using static Fleet.Gateway.Tests.Support.Api;

namespace Fleet.Gateway.Tests;

/// <summary>The audit log: every mutating call with who, what, when and the result, readable by admins, never bodies or secrets.</summary>
public sealed class AuditTests : IAsyncLifetime
{
    private SiloHost _silo = null!;

    public async Task InitializeAsync() => _silo = await SiloHost.StartAsync();

    public async Task DisposeAsync() => await _silo.DisposeAsync();

    [Fact]
    public async Task MutatingCalls_AreRecordedWithWhoWhatAndResult_ReadsAreNot()
    {
        var token = await _silo.CreateTokenAsync("deployer", "operator", "team-a");
        using var deployer = _silo.Client(token);
        await JsonAsync(await deployer.PutAsync("api/v1/namespaces/team-a/clusters/east", Json(Cluster("east", "https://10.1.2.3:6443"))), HttpStatusCode.Created);
        await JsonAsync(await deployer.PostAsync("api/v1/namespaces/team-a/clusters", Json(Cluster("posted"))), HttpStatusCode.Created);
        await deployer.GetAsync("api/v1/namespaces/team-a/clusters/east");
        await ProblemAsync(await deployer.PutAsync("api/v1/namespaces/team-a/clusters/bad", Json(Cluster("bad", "ftp://x"))), HttpStatusCode.UnprocessableEntity);
        await ProblemAsync(await deployer.DeleteAsync("api/v1/namespaces/team-b/clusters/east"), HttpStatusCode.NotFound);
        await JsonAsync(await deployer.DeleteAsync("api/v1/namespaces/team-a/clusters/east"), HttpStatusCode.OK);
        using var anonymous = _silo.Client(null);
        await anonymous.DeleteAsync("api/v1/namespaces/team-a/clusters/posted");

        var text = await _silo.Http.GetStringAsync("api/v1/audit?limit=1000");
        var entries = JsonNode.Parse(text)!["items"]!.AsArray().Select(e => e!.AsObject()).ToList();
        var mine = entries.Where(e => e["subject"]!.GetValue<string>() == "deployer")
            .Select(e => (e["verb"]!.GetValue<string>(), e["kind"]!.GetValue<string>(), e["namespace"]!.GetValue<string>(), e["name"]!.GetValue<string>(), e["status"]!.GetValue<int>()))
            .ToList();
        Assert.Equal(
            [
                ("update", "Cluster", "team-a", "east", 201),
                ("create", "Cluster", "team-a", "posted", 201),
                ("update", "Cluster", "team-a", "bad", 422),
                ("delete", "Cluster", "team-b", "east", 404),
                ("delete", "Cluster", "team-a", "east", 200),
            ],
            mine);
        var token1 = entries.Single(e => e["kind"]!.GetValue<string>() == "ApiToken" && e["name"]!.GetValue<string>() == "deployer");
        Assert.Equal(("create", 201), (token1["verb"]!.GetValue<string>(), token1["status"]!.GetValue<int>()));
        Assert.All(entries, e => Assert.NotNull(e["time"]));
        // Never a body, never a secret; calls without a valid token are not recorded.
        Assert.DoesNotContain("10.1.2.3", text, StringComparison.Ordinal);
        Assert.DoesNotContain(token.Split('_')[^1], text, StringComparison.Ordinal);
        Assert.DoesNotContain(entries, e => e["name"]!.GetValue<string>() == "posted" && e["verb"]!.GetValue<string>() == "delete");
    }

    [Fact]
    public async Task AuditLog_PagesWithAfterAndLimit_AndIsForAdminsOnly()
    {
        for (var i = 0; i < 5; i++)
        {
            await JsonAsync(await _silo.Http.PutAsync($"api/v1/namespaces/paging/clusters/c{i}", Json(Cluster($"c{i}"))), HttpStatusCode.Created);
        }
        var first = JsonNode.Parse(await _silo.Http.GetStringAsync("api/v1/audit?limit=2"))!;
        Assert.Equal(2, first["items"]!.AsArray().Count);
        var next = first["continue"]!.GetValue<long>();
        var rest = JsonNode.Parse(await _silo.Http.GetStringAsync($"api/v1/audit?after={next}&limit=1000"))!;
        Assert.All(rest["items"]!.AsArray(), e => Assert.True(e!["sequence"]!.GetValue<long>() > next));
        Assert.Null(rest["continue"]);
        await ProblemAsync(await _silo.Http.GetAsync("api/v1/audit?limit=0"), HttpStatusCode.BadRequest);

        using var op = _silo.Client(await _silo.CreateTokenAsync("audit-op", "operator"));
        await ProblemAsync(await op.GetAsync("api/v1/audit"), HttpStatusCode.Forbidden);

        // An admin of some namespaces reads the entries of those only.
        using var pagingAdmin = _silo.Client(await _silo.CreateTokenAsync("paging-admin", "admin", "paging"));
        var scoped = JsonNode.Parse(await pagingAdmin.GetStringAsync("api/v1/audit?limit=1000"))!["items"]!.AsArray();
        Assert.Equal(5, scoped.Count);
        Assert.All(scoped, e => Assert.Equal("paging", e!["namespace"]!.GetValue<string>()));
    }
}
