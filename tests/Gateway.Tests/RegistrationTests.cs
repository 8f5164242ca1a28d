using System.Net;
using System.Text.Json.Nodes;
using Fleet.Gateway.Security;
using Fleet.Gateway.Tests.Support;
using Fleet.Store;
using Fleet.Store.Secrets;
using Microsoft.Extensions.DependencyInjection;
using static Fleet.Gateway.Tests.Support.Api;

namespace Fleet.Gateway.Tests;

/// <summary>Cluster self-registration with a registration token: Cluster and credentials Secret in one step, or nothing.</summary>
public sealed class RegistrationTests : IAsyncLifetime
{
    private const string Ca = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUVGVzdA==\n-----END CERTIFICATE-----\n";
    private SiloHost _silo = null!;

    public async Task InitializeAsync() => _silo = await SiloHost.StartAsync();

    public async Task DisposeAsync() => await _silo.DisposeAsync();

    private async Task<string> RegistrationTokenAsync(string ns, string name, int maxUses = 1, JsonObject? labels = null)
    {
        var body = new JsonObject { ["name"] = name, ["maxUses"] = maxUses, ["expiresIn"] = "1h" };
        if (labels is not null)
        {
            body["clusterLabels"] = labels;
        }
        var created = await JsonAsync(await _silo.Http.PostAsync($"api/v1/namespaces/{ns}/registrationtokens", Json(body)), HttpStatusCode.Created);
        return created["token"]!.GetValue<string>();
    }

    private async Task<HttpResponseMessage> RegisterAsync(string? token, string name, string server = "https://10.20.30.40:6443")
    {
        using var client = _silo.Client(token);
        return await client.PostAsync("api/v1/registrations", Json(new JsonObject
        {
            ["name"] = name,
            ["server"] = server,
            ["caData"] = Ca,
            ["token"] = "sa-token-" + name,
        }));
    }

    [Fact]
    public async Task Register_CreatesTheClusterWithTheTokensLabels_AndItsCredentialsSecret()
    {
        var token = await RegistrationTokenAsync("edge", "berlin", labels: new JsonObject { ["site"] = "berlin", ["env"] = "prod" });

        var answer = await JsonAsync(await RegisterAsync(token, "store-0001"), HttpStatusCode.Created);

        Assert.Equal("store-0001-credentials", answer["secret"]!.GetValue<string>());
        var cluster = await _silo.GetJsonAsync("api/v1/namespaces/edge/clusters/store-0001");
        Assert.Equal("berlin", cluster["metadata"]!["labels"]!["site"]!.GetValue<string>());
        Assert.Equal("prod", cluster["metadata"]!["labels"]!["env"]!.GetValue<string>());
        Assert.Equal("https://10.20.30.40:6443", cluster["spec"]!["server"]!.GetValue<string>());
        Assert.Equal("store-0001-credentials", cluster["spec"]!["credentialsRef"]!["name"]!.GetValue<string>());
        Assert.Contains("BEGIN CERTIFICATE", cluster["spec"]!["caData"]!.GetValue<string>(), StringComparison.Ordinal);
        var secret = await _silo.Services.GetRequiredService<SecretReader>().GetAsync("edge", "store-0001-credentials");
        Assert.Equal("sa-token-store-0001", secret!["token"]);
        Assert.DoesNotContain("sa-token-store-0001", await _silo.Http.GetStringAsync("api/v1/namespaces/edge/secrets/store-0001-credentials"), StringComparison.Ordinal);

        // Used up: a second registration gets 401 and creates nothing.
        var again = await ProblemAsync(await RegisterAsync(token, "store-0002"), HttpStatusCode.Unauthorized);
        Assert.Contains("used up", again["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await _silo.Http.GetAsync("api/v1/namespaces/edge/clusters/store-0002")).StatusCode);

        var listed = JsonNode.Parse(await _silo.Http.GetStringAsync("api/v1/namespaces/edge/registrationtokens"))!["items"]![0]!;
        Assert.Equal((1, 1, false), (listed["uses"]!.GetValue<int>(), listed["maxUses"]!.GetValue<int>(), listed["usable"]!.GetValue<bool>()));
        Assert.Null(listed["token"]);

        var audit = JsonNode.Parse(await _silo.Http.GetStringAsync("api/v1/audit?limit=1000"))!["items"]!.AsArray();
        Assert.Contains(audit, e => e!["subject"]!.GetValue<string>() == "registration:edge/berlin" && e["verb"]!.GetValue<string>() == "register"
            && e["name"]!.GetValue<string>() == "store-0001" && e["status"]!.GetValue<int>() == 201);
    }

    [Fact]
    public async Task TwoConcurrentRegistrations_WithAOneUseToken_ExactlyOneSucceeds()
    {
        var token = await RegistrationTokenAsync("race", "once");

        var answers = await Task.WhenAll(RegisterAsync(token, "first"), RegisterAsync(token, "second"));

        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.Created);
        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.Unauthorized);
        var clusters = JsonNode.Parse(await _silo.Http.GetStringAsync("api/v1/namespaces/race/clusters"))!["items"]!.AsArray();
        Assert.Single(clusters);
        Assert.Single(JsonNode.Parse(await _silo.Http.GetStringAsync("api/v1/namespaces/race/secrets"))!["items"]!.AsArray());
    }

    [Fact]
    public async Task WrongMissingExpiredAndRevokedTokens_Get401_AndCreateNothing()
    {
        var store = _silo.Services.GetRequiredService<ITokenStore>();
        var expired = TokenSecret.New(TokenSecret.RegistrationPrefix);
        var past = DateTimeOffset.UtcNow.AddHours(-2);
        Assert.True(await store.CreateRegistrationTokenAsync(new RegistrationTokenRecord(expired.Id, "deny", "old", expired.Hash(), past.AddHours(1), 5, 0, new Dictionary<string, string>(), null, "test", past)));
        var revoked = await RegistrationTokenAsync("deny", "revoked", maxUses: 5);
        Assert.Equal(HttpStatusCode.OK, (await _silo.Http.DeleteAsync("api/v1/namespaces/deny/registrationtokens/revoked")).StatusCode);

        foreach (var (token, says) in new (string?, string)[]
                 {
                     (null, "missing bearer token"),
                     ("fleetreg_nope", "malformed registration token"),
                     (SiloHost.AdminToken, "malformed registration token"),
                     (TokenSecret.New(TokenSecret.RegistrationPrefix).Text, "unknown registration token"),
                     (expired.Text, "has expired"),
                     (revoked, "was revoked"),
                 })
        {
            var problem = await ProblemAsync(await RegisterAsync(token, "intruder"), HttpStatusCode.Unauthorized);
            Assert.Contains(says, problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        }
        Assert.Empty(JsonNode.Parse(await _silo.Http.GetStringAsync("api/v1/namespaces/deny/clusters"))!["items"]!.AsArray());
        Assert.Empty(JsonNode.Parse(await _silo.Http.GetStringAsync("api/v1/namespaces/deny/secrets"))!["items"]!.AsArray());
    }

    [Fact]
    public async Task LinkLocalServers_AndBadBodies_AreRefused_WithoutTakingAUse()
    {
        var token = await RegistrationTokenAsync("meta", "site");

        await ProblemAsync(await RegisterAsync(token, "imds", "http://169.254.169.254"), HttpStatusCode.UnprocessableEntity);
        var missing = await ProblemAsync(await RegisterAsync(token, "Not_A_Name", ""), HttpStatusCode.UnprocessableEntity);
        Assert.Equal(["name", "server"], missing["errors"]!.AsArray().Select(e => e!["field"]!.GetValue<string>()));

        Assert.Empty(JsonNode.Parse(await _silo.Http.GetStringAsync("api/v1/namespaces/meta/clusters"))!["items"]!.AsArray());
        await JsonAsync(await RegisterAsync(token, "fine"), HttpStatusCode.Created);
    }

    [Fact]
    public async Task ExistingCluster_IsAConflict_AndTheUseIsNotTaken()
    {
        await JsonAsync(await _silo.Http.PutAsync("api/v1/namespaces/dup/clusters/taken", Json(Cluster("taken"))), HttpStatusCode.Created);
        var token = await RegistrationTokenAsync("dup", "site");

        await ProblemAsync(await RegisterAsync(token, "taken"), HttpStatusCode.Conflict);

        Assert.Equal(HttpStatusCode.NotFound, (await _silo.Http.GetAsync("api/v1/namespaces/dup/secrets/taken-credentials")).StatusCode);
        await JsonAsync(await RegisterAsync(token, "other"), HttpStatusCode.Created);
    }

    [Fact]
    public async Task RegistrationTokens_AreManagedByAdminsOfTheirNamespace()
    {
        using var teamAdmin = _silo.Client(await _silo.CreateTokenAsync("edge-admin", "admin", "edge-a"));
        using var op = _silo.Client(await _silo.CreateTokenAsync("edge-op", "operator", "edge-a"));

        await JsonAsync(await teamAdmin.PostAsync("api/v1/namespaces/edge-a/registrationtokens", Json(new JsonObject { ["name"] = "mine" })), HttpStatusCode.Created);
        await ProblemAsync(await teamAdmin.PostAsync("api/v1/namespaces/edge-b/registrationtokens", Json(new JsonObject { ["name"] = "theirs" })), HttpStatusCode.NotFound);
        await ProblemAsync(await op.PostAsync("api/v1/namespaces/edge-a/registrationtokens", Json(new JsonObject { ["name"] = "op" })), HttpStatusCode.Forbidden);
        await ProblemAsync(await op.GetAsync("api/v1/namespaces/edge-a/registrationtokens"), HttpStatusCode.Forbidden);
        var invalid = await ProblemAsync(await teamAdmin.PostAsync("api/v1/namespaces/edge-a/registrationtokens", Json(new JsonObject { ["name"] = "bad", ["maxUses"] = 0 })), HttpStatusCode.UnprocessableEntity);
        Assert.Equal("maxUses", invalid["errors"]![0]!["field"]!.GetValue<string>());
    }
}
