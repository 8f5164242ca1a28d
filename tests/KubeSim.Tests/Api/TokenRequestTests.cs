using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Fleet.KubeSim.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.KubeSim.Tests.Api;

/// <summary>The TokenRequest API (<c>serviceaccounts/NAME/token</c>) and the service-account tokens it issues.</summary>
public sealed class TokenRequestTests(SimFixture sim) : IClassFixture<SimFixture>
{
    private const string Request = """{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"expirationSeconds":7200}}""";

    private static async Task<string> ServiceAccount(KubeClient k, string ns, string name)
    {
        if ((await k.Get($"api/v1/namespaces/{ns}")).Status == HttpStatusCode.NotFound)
        {
            Assert.Equal(HttpStatusCode.Created, (await k.Post("api/v1/namespaces", Manifests.Namespace(ns))).Status);
        }

        var created = await k.Post($"api/v1/namespaces/{ns}/serviceaccounts", $$$"""{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"{{{name}}}"}}""");
        Assert.Equal(HttpStatusCode.Created, created.Status);
        return created.Str("metadata.uid")!;
    }

    private static KubeClient As(KubeSimServer server, KubeClient k, string token) => new(server.ClusterUri(k.Name), token, k.Name);

    [Fact]
    public async Task TokenRequest_IssuesATokenForTheAccount_WhichTheClusterThenAccepts()
    {
        using var k = sim.NewCluster("tok");
        var uid = await ServiceAccount(k, "fleet-system", "fleet-agent");

        var issued = await k.Post("api/v1/namespaces/fleet-system/serviceaccounts/fleet-agent/token", Request);

        Assert.Equal(HttpStatusCode.Created, issued.Status);
        Assert.Equal("TokenRequest", issued.Str("kind"));
        Assert.Equal("authentication.k8s.io/v1", issued.Str("apiVersion"));
        Assert.Equal("fleet-agent", issued.Str("metadata.name"));
        Assert.Equal(7200, issued.Node("spec.expirationSeconds")!.GetValue<long>());
        Assert.Equal("https://kubernetes.default.svc.cluster.local", issued.Str("spec.audiences.0"));
        var expires = DateTimeOffset.Parse(issued.Str("status.expirationTimestamp")!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expires - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(115), TimeSpan.FromMinutes(121));
        var token = issued.Str("status.token")!;
        var claims = JsonNode.Parse(Base64Url(token.Split('.')[1]))!;
        Assert.Equal("system:serviceaccount:fleet-system:fleet-agent", claims["sub"]!.GetValue<string>());
        Assert.Equal(uid, claims["kubernetes.io"]!["serviceaccount"]!["uid"]!.GetValue<string>());

        using var agent = As(sim.Server, k, token);
        Assert.Equal(HttpStatusCode.OK, (await agent.Get("api/v1/namespaces")).Status);
        Assert.Equal(HttpStatusCode.Created, (await agent.Post("api/v1/namespaces/default/configmaps", Manifests.ConfigMap("default", "by-agent"))).Status);
    }

    [Fact]
    public async Task Token_IsRefusedByOtherClusters_AndOnceItsAccountIsDeletedOrReplaced()
    {
        using var k = sim.NewCluster("tok");
        using var other = sim.NewCluster("tok");
        await ServiceAccount(k, "fleet-system", "fleet-agent");
        var token = (await k.Post("api/v1/namespaces/fleet-system/serviceaccounts/fleet-agent/token", Request)).Str("status.token")!;
        using var agent = As(sim.Server, k, token);
        using var elsewhere = As(sim.Server, other, token);
        using var admin = sim.Raw(token);

        Assert.Equal(HttpStatusCode.OK, (await agent.Get("api/v1/namespaces")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await elsewhere.Get("api/v1/namespaces")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await admin.GetAsync("_sim/clusters")).StatusCode);
        var tampered = token[..^4] + (token[^4] == 'A' ? "BBBB" : "AAAA");
        using var forged = As(sim.Server, k, tampered);
        Assert.Equal(HttpStatusCode.Unauthorized, (await forged.Get("api/v1/namespaces")).Status);

        Assert.Equal(HttpStatusCode.OK, (await k.Delete("api/v1/namespaces/fleet-system/serviceaccounts/fleet-agent")).Status);
        var refused = await agent.Get("api/v1/namespaces");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
        Assert.Equal("Unauthorized", refused.Str("reason"));

        await ServiceAccount(k, "fleet-system", "fleet-agent");
        Assert.Equal(HttpStatusCode.Unauthorized, (await agent.Get("api/v1/namespaces")).Status);
    }

    [Fact]
    public async Task TokenRequest_RefusesWhatKubeApiserverRefuses()
    {
        using var k = sim.NewCluster("tok");
        await ServiceAccount(k, "fleet-system", "fleet-agent");
        const string Path = "api/v1/namespaces/fleet-system/serviceaccounts/fleet-agent/token";

        var missing = await k.Post("api/v1/namespaces/fleet-system/serviceaccounts/nobody/token", "{}");
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        Assert.Equal("serviceaccounts \"nobody\" not found", missing.Str("message"));

        var tooShort = await k.Post(Path, """{"spec":{"expirationSeconds":100}}""");
        Assert.Equal((HttpStatusCode)422, tooShort.Status);
        Assert.Equal("TokenRequest.authentication.k8s.io \"\" is invalid: spec.expirationSeconds: Invalid value: 100: may not specify a duration less than 10 minutes", tooShort.Str("message"));

        var defaulted = await k.Post(Path, "{}");
        Assert.Equal(HttpStatusCode.Created, defaulted.Status);
        Assert.Equal(3600, defaulted.Node("spec.expirationSeconds")!.GetValue<long>());

        Assert.Equal(HttpStatusCode.BadRequest, (await k.Post(Path, """{"apiVersion":"v1","kind":"ConfigMap"}""")).Status);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await k.Get(Path)).Status);

        using var readOnly = As(sim.Server, k, "read-only-token");
        var forbidden = await readOnly.Post(Path, "{}");
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.Status);
        Assert.Contains("cannot create resource \"serviceaccounts/token\" in API group \"\" in the namespace \"fleet-system\"", forbidden.Str("message"), StringComparison.Ordinal);

        var discovery = await k.Get("api/v1");
        var token = Assert.Single(discovery.Node("resources")!.AsArray(), r => r!["name"]!.GetValue<string>() == "serviceaccounts/token")!;
        Assert.Equal("TokenRequest", token["kind"]!.GetValue<string>());
        Assert.Equal("create", Assert.Single(token["verbs"]!.AsArray())!.GetValue<string>());
    }

    [Fact]
    public async Task Token_StopsWorkingWhenItExpires()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var server = await KubeSimServer.StartAsync(new KubeSimOptions { Clusters = 1, Token = "t", TimeProvider = clock });
        using var k = new KubeClient(server.ClusterUri("sim-0001"), "t", "sim-0001");
        await ServiceAccount(k, "fleet-system", "fleet-agent");
        var issued = await k.Post("api/v1/namespaces/fleet-system/serviceaccounts/fleet-agent/token", """{"spec":{"expirationSeconds":600}}""");
        Assert.Equal("2026-01-01T00:10:00Z", issued.Str("status.expirationTimestamp"));
        using var agent = As(server, k, issued.Str("status.token")!);

        clock.Advance(TimeSpan.FromSeconds(599));
        Assert.Equal(HttpStatusCode.OK, (await agent.Get("api/v1/namespaces")).Status);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.Unauthorized, (await agent.Get("api/v1/namespaces")).Status);
    }

    private static string Base64Url(string s)
    {
        var b = s.Replace('-', '+').Replace('_', '/');
        return Encoding.UTF8.GetString(Convert.FromBase64String(b.PadRight(b.Length + ((4 - (b.Length % 4)) % 4), '=')));
    }
}
