using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Fleet.Gateway.Tests.Support;
using Fleet.TestSupport;

namespace Fleet.Gateway.Tests;

/// <summary>Webhook receivers: <c>POST /hook/{id}</c> makes the named sources fetch now, but only with a good signature or token.</summary>
public sealed class ReceiversTests : IAsyncLifetime
{
    private const string Ns = "hooks";
    private static readonly string Token = "hook-token-" + Guid.NewGuid().ToString("N");
    private SiloHost _silo = null!;
    private SourcesGitRepository _repo = null!;

    public async Task InitializeAsync()
    {
        _silo = await SiloHost.StartAsync();
        _repo = SourcesGitRepository.Create();
    }

    public async Task DisposeAsync()
    {
        await _silo.DisposeAsync();
        _repo.Dispose();
    }

    [Fact]
    public async Task Receiver_Status_CarriesTheUnguessableWebhookPath()
    {
        var path = await PutReceiverAsync("gh", "github");

        // Flux's form: /hook/ + sha256(token + name + namespace), computed here independently.
        var expected = "/hook/" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Token + "gh" + Ns)));
        Assert.Equal(expected, path);
        var receiver = await _silo.GetJsonAsync($"api/v1/namespaces/{Ns}/receivers/gh");
        Assert.Equal("True", SiloHost.Condition(receiver, "Ready"));
        Assert.DoesNotContain(Token, receiver.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GitHub_GoodSignature_FetchesTheNewCommitNow()
    {
        var old = await SourceAtFirstCommitAsync();
        var path = await PutReceiverAsync("gh", "github");
        var sha = _repo.Commit(new Dictionary<string, string?> { ["v"] = "2" });
        var body = """{"ref":"refs/heads/main","after":"x"}""";

        var response = await PostAsync(path, body, ("X-GitHub-Event", "push"), ("X-Hub-Signature-256", "sha256=" + Hmac(body)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await WaitForRevisionAsync($"main@sha1:{sha}");
        Assert.NotEqual(old, sha);
        var events = await ReceiverEventsAsync("gh");
        Assert.Contains(events, e => e["reason"]!.GetValue<string>() == "ReconciliationRequested");
    }

    [Fact]
    public async Task GitHub_BadSignature_Is401_TriggersNothing_AndWritesOneEventAMinute()
    {
        var old = await SourceAtFirstCommitAsync();
        var path = await PutReceiverAsync("gh", "github");
        _repo.Commit(new Dictionary<string, string?> { ["v"] = "2" });
        var body = """{"ref":"refs/heads/main"}""";
        var before = await _silo.GetJsonAsync($"api/v1/namespaces/{Ns}/gitrepositories/app");

        long unrecorded = 0;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "fleet_webhook_rejections_unrecorded")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            if (tags.ToArray().Any(t => t.Key == "namespace" && Ns.Equals(t.Value)) && tags.ToArray().Any(t => t.Key == "receiver" && "gh".Equals(t.Value)))
            {
                Interlocked.Add(ref unrecorded, value);
            }
        });
        listener.Start();

        var forged = await PostAsync(path, body, ("X-GitHub-Event", "push"), ("X-Hub-Signature-256", "sha256=" + new string('0', 64)));
        var unsigned = await PostAsync(path, body, ("X-GitHub-Event", "push"));
        var tampered = await PostAsync(path, body + " ", ("X-GitHub-Event", "push"), ("X-Hub-Signature-256", "sha256=" + Hmac(body)));

        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, tampered.StatusCode);
        Assert.DoesNotContain(Token, await forged.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var events = await ReceiverEventsAsync("gh");
        // Anyone who knows the path could flood the event log: one Warning per receiver per minute, the rest counted.
        Assert.Equal(1, events.Count(e => e["reason"]!.GetValue<string>() == "ValidationFailed"));
        Assert.Equal(2, Interlocked.Read(ref unrecorded));
        Assert.Equal("application/problem+json", forged.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain(events, e => e["reason"]!.GetValue<string>() == "ReconciliationRequested");
        var after = await _silo.GetJsonAsync($"api/v1/namespaces/{Ns}/gitrepositories/app");
        Assert.Equal($"main@sha1:{old}", after["status"]!["artifact"]!["revision"]!.GetValue<string>());
        Assert.Equal(before["status"]!["lastFetchTime"]!.GetValue<string>(), after["status"]!["lastFetchTime"]!.GetValue<string>());
    }

    [Fact]
    public async Task GitHub_PingIsAnswered_AndUnwantedEventsAreIgnored()
    {
        await SourceAtFirstCommitAsync();
        var path = await PutReceiverAsync("gh", "github", events: ["push"]);

        var ping = await PostAsync(path, "{}", ("X-GitHub-Event", "ping"), ("X-Hub-Signature-256", "sha256=" + Hmac("{}")));
        var issue = await PostAsync(path, "{}", ("X-GitHub-Event", "issues"), ("X-Hub-Signature-256", "sha256=" + Hmac("{}")));

        Assert.Equal(HttpStatusCode.OK, ping.StatusCode);
        Assert.Equal("pong", await ping.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, issue.StatusCode);
        Assert.DoesNotContain(await ReceiverEventsAsync("gh"), e => e["reason"]!.GetValue<string>() == "ReconciliationRequested");
    }

    [Fact]
    public async Task UnknownHookId_Is404()
    {
        await PutReceiverAsync("gh", "github");

        var response = await PostAsync("/hook/" + new string('a', 64), "{}", ("X-GitHub-Event", "push"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task GitLab_TokenHeader_IsChecked()
    {
        await SourceAtFirstCommitAsync();
        var path = await PutReceiverAsync("gl", "gitlab");
        var sha = _repo.Commit(new Dictionary<string, string?> { ["v"] = "2" });

        var wrong = await PostAsync(path, "{}", ("X-Gitlab-Event", "Push Hook"), ("X-Gitlab-Token", "nope"));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        var right = await PostAsync(path, "{}", ("X-Gitlab-Event", "Push Hook"), ("X-Gitlab-Token", Token));

        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        await WaitForRevisionAsync($"main@sha1:{sha}");
    }

    [Fact]
    public async Task GenericHmac_SignatureHeader_IsChecked()
    {
        await SourceAtFirstCommitAsync();
        var path = await PutReceiverAsync("gen", "generic-hmac");
        var sha = _repo.Commit(new Dictionary<string, string?> { ["v"] = "2" });
        const string body = """{"source":"ci"}""";

        var wrong = await PostAsync(path, body, ("X-Signature", "sha256=" + Hmac("other")));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        var right = await PostAsync(path, body, ("X-Signature", "sha256=" + Hmac(body)));

        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        await WaitForRevisionAsync($"main@sha1:{sha}");
    }

    [Fact]
    public async Task Generic_AnyRequestToThePath_FetchesNow()
    {
        await SourceAtFirstCommitAsync();
        var path = await PutReceiverAsync("plain", "generic");
        var sha = _repo.Commit(new Dictionary<string, string?> { ["v"] = "2" });

        var response = await PostAsync(path, "");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await WaitForRevisionAsync($"main@sha1:{sha}");
    }

    [Fact]
    public async Task Receiver_WithoutItsSecret_IsNotReady_AndHasNoPath()
    {
        var response = await _silo.PutYamlAsync($"api/v1/namespaces/{Ns}/receivers/orphan", """
            apiVersion: fleet.dev/v1
            kind: Receiver
            metadata: {name: orphan}
            spec:
              type: github
              resources: [{kind: GitRepository, name: app}]
              secretRef: {name: missing}
            """);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());

        await Eventually.WaitAsync(async () => SiloHost.Condition(await _silo.GetJsonAsync($"api/v1/namespaces/{Ns}/receivers/orphan"), "Ready") is not null, "the receiver's status");
        var receiver = await _silo.GetJsonAsync($"api/v1/namespaces/{Ns}/receivers/orphan");

        Assert.Equal("False", SiloHost.Condition(receiver, "Ready"));
        Assert.Contains("missing", SiloHost.Condition(receiver, "Ready", "message"), StringComparison.Ordinal);
        Assert.Null(receiver["status"]!["webhookPath"]);
    }

    /// <summary>A source on a long interval, so that only a webhook makes it fetch again; returns the first commit.</summary>
    private async Task<string> SourceAtFirstCommitAsync()
    {
        var sha = _repo.Commit(new Dictionary<string, string?> { ["v"] = "1" });
        var response = await _silo.PutYamlAsync($"api/v1/namespaces/{Ns}/gitrepositories/app", $"""
            apiVersion: fleet.dev/v1
            kind: GitRepository
            metadata: {"{"}name: app{"}"}
            spec:
              url: {_repo.FileUrl}
              interval: 2h
              ref: {"{"}branch: main{"}"}
            """);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        await WaitForRevisionAsync($"main@sha1:{sha}");
        return sha;
    }

    private async Task<string> PutReceiverAsync(string name, string type, string[]? events = null)
    {
        await _silo.PutSecretAsync(Ns, "hook-token", new Dictionary<string, string> { ["token"] = Token });
        var spec = new JsonObject
        {
            ["type"] = type,
            ["resources"] = new JsonArray(new JsonObject { ["kind"] = "GitRepository", ["name"] = "app" }),
            ["secretRef"] = new JsonObject { ["name"] = "hook-token" },
        };
        if (events is not null)
        {
            spec["events"] = new JsonArray(events.Select(e => (JsonNode?)JsonValue.Create(e)).ToArray());
        }
        var body = new JsonObject { ["apiVersion"] = "fleet.dev/v1", ["kind"] = "Receiver", ["metadata"] = new JsonObject { ["name"] = name }, ["spec"] = spec };
        var response = await _silo.Http.PutAsync($"api/v1/namespaces/{Ns}/receivers/{name}", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        // The receiver grain computes the path once the change dispatcher tells it about the new Receiver.
        string? path = null;
        await Eventually.WaitAsync(async () => (path = (await _silo.GetJsonAsync($"api/v1/namespaces/{Ns}/receivers/{name}"))["status"]?["webhookPath"]?.GetValue<string>()) is not null, "the receiver's webhook path");
        return path!;
    }

    private async Task<HttpResponseMessage> PostAsync(string path, string body, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path.TrimStart('/'))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        return await _silo.Http.SendAsync(request);
    }

    private static string Hmac(string body) => Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Token), Encoding.UTF8.GetBytes(body)));

    private async Task WaitForRevisionAsync(string revision) =>
        await Eventually.WaitAsync(async () =>
            (await _silo.GetJsonAsync($"api/v1/namespaces/{Ns}/gitrepositories/app"))["status"]?["artifact"]?["revision"]?.GetValue<string>() == revision,
            $"GitRepository app at {revision}", TimeSpan.FromSeconds(60));

    private async Task<List<JsonNode>> ReceiverEventsAsync(string name) =>
        (await _silo.GetJsonAsync($"api/v1/namespaces/{Ns}/events?kind=Receiver&name={name}"))["items"]!.AsArray().Select(e => e!).ToList();
}
