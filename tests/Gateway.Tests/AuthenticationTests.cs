using System.Net;
using System.Text.Json.Nodes;
using Fleet.Gateway.Security;
using Fleet.Gateway.Tests.Support;
using Fleet.Store;
using Microsoft.Extensions.DependencyInjection;
using static Fleet.Gateway.Tests.Support.Api;

namespace Fleet.Gateway.Tests;

/// <summary>API tokens: every API call needs one; missing, malformed, unknown, expired and revoked tokens get 401 saying which.</summary>
public sealed class AuthenticationTests : IAsyncLifetime
{
    private SiloHost _silo = null!;

    public async Task InitializeAsync() => _silo = await SiloHost.StartAsync();

    public async Task DisposeAsync() => await _silo.DisposeAsync();

    [Fact]
    public async Task Api_WithoutAToken_Is401ProblemSayingItIsMissing()
    {
        using var anonymous = _silo.Client(null);
        var response = await anonymous.GetAsync("api/v1/clusters");
        var problem = await ProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Contains("missing bearer token", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.StartsWith("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        await ProblemAsync(await anonymous.PutAsync("api/v1/namespaces/a/clusters/c", Json(Cluster("c"))), HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.NotFound, (await _silo.Http.GetAsync("api/v1/namespaces/a/clusters/c")).StatusCode);
    }

    [Fact]
    public async Task Api_WithAMalformedOrUnknownToken_Is401_WithoutEchoingTheToken()
    {
        foreach (var (token, says) in new[]
                 {
                     ("not-a-fleet-token-secret-value", "malformed"),
                     (TokenSecret.New(TokenSecret.ApiPrefix).Text, "unknown API token"),
                     // The right id with a wrong secret is unknown too.
                     (SiloHost.AdminToken[..23] + new string('0', 64), "unknown API token"),
                 })
        {
            using var client = _silo.Client(token);
            var response = await client.GetAsync("api/v1/clusters");
            var text = await response.Content.ReadAsStringAsync();
            var problem = await ProblemAsync(response, HttpStatusCode.Unauthorized);
            Assert.Contains(says, problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.DoesNotContain(token, text, StringComparison.Ordinal);
            Assert.DoesNotContain(token.Split('_')[^1], text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ExpiredToken_Is401SayingItExpired()
    {
        var secret = TokenSecret.New(TokenSecret.ApiPrefix);
        var past = DateTimeOffset.UtcNow.AddHours(-2);
        var store = _silo.Services.GetRequiredService<ITokenStore>();
        Assert.True(await store.CreateApiTokenAsync(new ApiTokenRecord(secret.Id, "old", "admin", null, secret.Hash(), past.AddHours(1), null, "test", past)));

        using var client = _silo.Client(secret.Text);
        var problem = await ProblemAsync(await client.GetAsync("api/v1/clusters"), HttpStatusCode.Unauthorized);

        Assert.Contains("API token \"old\" expired at", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RevokedToken_StopsWorkingAtOnce()
    {
        var token = await _silo.CreateTokenAsync("short-lived", "operator");
        using var client = _silo.Client(token);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("api/v1/clusters")).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await _silo.Http.DeleteAsync("api/v1/tokens/short-lived")).StatusCode);

        var problem = await ProblemAsync(await client.GetAsync("api/v1/clusters"), HttpStatusCode.Unauthorized);
        Assert.Contains("API token \"short-lived\" was revoked", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        await ProblemAsync(await _silo.Http.DeleteAsync("api/v1/tokens/short-lived"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task CreatedToken_ShowsItsSecretOnce_ListsNeverShowSecretsOrHashes()
    {
        var created = await JsonAsync(await _silo.Http.PostAsync("api/v1/tokens", Json(new JsonObject
        {
            ["name"] = "ci",
            ["role"] = "operator",
            ["namespaces"] = new JsonArray("team-b", "team-a"),
            ["expiresIn"] = "720h",
        })), HttpStatusCode.Created);
        var token = created["token"]!.GetValue<string>();
        Assert.Matches("^fleet_[0-9a-f]{16}_[0-9a-f]{64}$", token);
        Assert.Equal(["team-a", "team-b"], created["namespaces"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("operator", created["role"]!.GetValue<string>());
        Assert.True(DateTimeOffset.Parse(created["expiresAt"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) > DateTimeOffset.UtcNow.AddDays(29));

        var hash = (await _silo.Services.GetRequiredService<ITokenStore>().GetApiTokenAsync(created["id"]!.GetValue<string>()))!.SecretHash;
        var list = await _silo.Http.GetStringAsync("api/v1/tokens");
        var ci = JsonNode.Parse(list)!["items"]!.AsArray().Single(t => t!["name"]!.GetValue<string>() == "ci")!;
        Assert.Null(ci["token"]);
        Assert.True(ci["active"]!.GetValue<bool>());
        Assert.Equal("initial-admin", JsonNode.Parse(list)!["items"]!.AsArray().Select(t => t!["name"]!.GetValue<string>()).First(n => n.StartsWith("initial", StringComparison.Ordinal)));
        Assert.DoesNotContain(token.Split('_')[^1], list, StringComparison.Ordinal);
        Assert.DoesNotContain(hash, list, StringComparison.Ordinal);
        Assert.DoesNotContain(SiloHost.AdminToken.Split('_')[^1], list, StringComparison.Ordinal);

        await ProblemAsync(await _silo.Http.PostAsync("api/v1/tokens", Json(new JsonObject { ["name"] = "ci", ["role"] = "viewer" })), HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task TokenRequests_AreValidatedFieldByField()
    {
        var problem = await ProblemAsync(await _silo.Http.PostAsync("api/v1/tokens", Json(new JsonObject { ["name"] = "Bad_Name", ["role"] = "root", ["namespaces"] = new JsonArray() })), HttpStatusCode.UnprocessableEntity);
        var fields = problem["errors"]!.AsArray().Select(e => e!["field"]!.GetValue<string>()).ToList();
        Assert.Equal(["name", "role", "namespaces"], fields);

        var unknown = await ProblemAsync(await _silo.Http.PostAsync("api/v1/tokens", Json(new JsonObject { ["name"] = "x", ["role"] = "viewer", ["secret"] = "mine" })), HttpStatusCode.UnprocessableEntity);
        Assert.Equal("secret", unknown["errors"]![0]!["field"]!.GetValue<string>());
        await ProblemAsync(await _silo.Http.PostAsync("api/v1/tokens", Json(new JsonObject { ["name"] = "x", ["role"] = "viewer", ["expiresIn"] = "soon" })), HttpStatusCode.UnprocessableEntity);
        var reserved = await ProblemAsync(await _silo.Http.PostAsync("api/v1/tokens", Json(new JsonObject { ["name"] = "initial-admin", ["role"] = "viewer" })), HttpStatusCode.UnprocessableEntity);
        Assert.Contains("reserved", reserved["errors"]![0]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OnlyAdmins_ManageTokens_AndANamespaceAdminGrantsOnlyItsOwnNamespaces()
    {
        using var operatorClient = _silo.Client(await _silo.CreateTokenAsync("op", "operator"));
        await ProblemAsync(await operatorClient.PostAsync("api/v1/tokens", Json(new JsonObject { ["name"] = "mine", ["role"] = "admin" })), HttpStatusCode.Forbidden);
        await ProblemAsync(await operatorClient.GetAsync("api/v1/tokens"), HttpStatusCode.Forbidden);

        using var teamAdmin = _silo.Client(await _silo.CreateTokenAsync("team-a-admin", "admin", "team-a"));
        await ProblemAsync(await teamAdmin.PostAsync("api/v1/tokens", Json(new JsonObject { ["name"] = "everything", ["role"] = "viewer" })), HttpStatusCode.Forbidden);
        var beyond = await ProblemAsync(await teamAdmin.PostAsync("api/v1/tokens", Json(new JsonObject { ["name"] = "both", ["role"] = "viewer", ["namespaces"] = new JsonArray("team-a", "team-b") })), HttpStatusCode.Forbidden);
        Assert.Contains("team-b", beyond["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        await JsonAsync(await teamAdmin.PostAsync("api/v1/tokens", Json(new JsonObject { ["name"] = "team-a-viewer", ["role"] = "viewer", ["namespaces"] = new JsonArray("team-a") })), HttpStatusCode.Created);

        // It sees (and may revoke) only tokens within its namespaces.
        var names = JsonNode.Parse(await teamAdmin.GetStringAsync("api/v1/tokens"))!["items"]!.AsArray().Select(t => t!["name"]!.GetValue<string>()).ToList();
        Assert.Equal(["team-a-admin", "team-a-viewer"], names);
        await ProblemAsync(await teamAdmin.DeleteAsync("api/v1/tokens/op"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task ProbesMetricsAndWebhooks_NeedNoApiToken()
    {
        using var anonymous = _silo.Client(null);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("readyz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("metrics")).StatusCode);
        // A webhook is judged by its own signature: an unknown hook path is 404, not 401.
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.PostAsync("hook/nothing", Json("{}"))).StatusCode);
    }

    [Fact]
    public async Task RegistrationToken_IsNoApiToken()
    {
        var created = await JsonAsync(await _silo.Http.PostAsync("api/v1/namespaces/edge/registrationtokens", Json(new JsonObject { ["name"] = "site" })), HttpStatusCode.Created);
        using var client = _silo.Client(created["token"]!.GetValue<string>());

        var problem = await ProblemAsync(await client.GetAsync("api/v1/clusters"), HttpStatusCode.Unauthorized);

        Assert.Contains("registration token only serves POST /api/v1/registrations", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task FirstStart_CreatesAnAdminToken_InAnOwnerOnlyFile_ThatWorks()
    {
        // Without Fleet:Gateway:BootstrapAdminToken, as a user starts Fleet.
        await using var fresh = await SiloHost.StartAsync(null, "--Fleet:Gateway:BootstrapAdminToken=");
        var file = Path.Combine(fresh.DataDirectory, AdminTokenBootstrap.FileName);

        Assert.True(File.Exists(file), $"{file} exists");
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }
        var token = (await File.ReadAllTextAsync(file)).Trim();
        using var client = fresh.Client(token);
        var tokens = JsonNode.Parse(await client.GetStringAsync("api/v1/tokens"))!["items"]!.AsArray();
        var admin = Assert.Single(tokens)!;
        Assert.Equal(("initial-admin", "admin"), (admin["name"]!.GetValue<string>(), admin["role"]!.GetValue<string>()));
        Assert.Null(admin["namespaces"]);
        // The tests' usual admin token was not created on this silo.
        Assert.Equal(HttpStatusCode.Unauthorized, (await fresh.Http.GetAsync("api/v1/clusters")).StatusCode);
    }

    [Fact]
    public async Task Restart_KeepsTokens_AndCreatesNoSecondInitialAdmin()
    {
        var dir = Path.Combine(Path.GetTempPath(), "fleet-silo-" + Guid.NewGuid().ToString("N"));
        string token;
        await using (var first = await SiloHost.StartAsync(dir, "--Fleet:Gateway:BootstrapAdminToken="))
        {
            first.KeepDataDirectory = true;
            token = (await File.ReadAllTextAsync(Path.Combine(dir, AdminTokenBootstrap.FileName))).Trim();
        }
        await using var second = await SiloHost.StartAsync(dir, "--Fleet:Gateway:BootstrapAdminToken=");
        using var client = second.Client(token);
        Assert.Single(JsonNode.Parse(await client.GetStringAsync("api/v1/tokens"))!["items"]!.AsArray());
        Assert.Equal(token, (await File.ReadAllTextAsync(Path.Combine(dir, AdminTokenBootstrap.FileName))).Trim());
    }
}
