using System.Text.Json.Nodes;
using Fleet.Abstractions.Grains;
using Fleet.Gateway.Tests.Support;
using Fleet.Store;
using Fleet.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Gateway.Tests;

/// <summary>GitRepository objects reconciled by their grains in a real silo, against real repositories made with git.</summary>
public sealed class SourcesTests : IAsyncLifetime
{
    private const string Ns = "sources";
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
    public async Task GitRepository_OverFileUrl_IsReady_WithItsArtifactInTheBlobStore()
    {
        var sha = _repo.Commit(new Dictionary<string, string?> { ["deploy/app.yaml"] = "kind: ConfigMap\n", ["README.md"] = "hello" });
        await PutSourceAsync("app", _repo.FileUrl);

        var source = await WaitForRevisionAsync("app", $"main@sha1:{sha}");

        Assert.Equal("True", SiloHost.Condition(source, "Ready"));
        Assert.Equal("Succeeded", SiloHost.Condition(source, "Ready", "reason"));
        Assert.Equal("True", SiloHost.Condition(source, "ArtifactInStorage"));
        var artifact = source["status"]!["artifact"]!;
        var digest = artifact["digest"]!.GetValue<string>();
        Assert.StartsWith("sha256:", digest, StringComparison.Ordinal);
        var blob = await Blobs.GetAsync(digest);
        Assert.NotNull(blob);
        Assert.Equal(artifact["size"]!.GetValue<long>(), blob.Length);
        Assert.NotNull(source["status"]!["lastFetchTime"]);
        Assert.Equal(1, source["status"]!["observedGeneration"]!.GetValue<long>());
    }

    [Fact]
    public async Task GitRepository_SameTreeInTwoRepositories_GivesTheSameDigest()
    {
        using var other = SourcesGitRepository.Create();
        other.Commit(new Dictionary<string, string?> { ["old.txt"] = "history differs" });
        var files = new Dictionary<string, string?> { ["a/b.yaml"] = "x: 1\n", ["c.txt"] = "same" };
        var sha1 = _repo.Commit(files);
        var sha2 = other.Commit(new Dictionary<string, string?>(files) { ["old.txt"] = null });
        await PutSourceAsync("one", _repo.FileUrl);
        await PutSourceAsync("two", other.FileUrl);

        var one = await WaitForRevisionAsync("one", $"main@sha1:{sha1}");
        var two = await WaitForRevisionAsync("two", $"main@sha1:{sha2}");

        Assert.Equal(one["status"]!["artifact"]!["digest"]!.GetValue<string>(), two["status"]!["artifact"]!["digest"]!.GetValue<string>());
    }

    [Fact]
    public async Task GitRepository_IgnorePatterns_LeaveFilesOutOfTheArtifact()
    {
        _repo.Commit(new Dictionary<string, string?> { ["deploy/app.yaml"] = "a: 1\n", ["docs/guide.md"] = "docs" });
        await PutSourceAsync("plain", _repo.FileUrl);
        await PutSourceAsync("ignoring", _repo.FileUrl, extra: "  ignore: |\n    /docs/\n");

        var plain = await WaitForRevisionAsync("plain", $"main@sha1:{_repo.Head()}");
        var ignoring = await WaitForRevisionAsync("ignoring", $"main@sha1:{_repo.Head()}");

        Assert.NotEqual(plain["status"]!["artifact"]!["digest"]!.GetValue<string>(), ignoring["status"]!["artifact"]!["digest"]!.GetValue<string>());
        Assert.True(ignoring["status"]!["artifact"]!["size"]!.GetValue<long>() < plain["status"]!["artifact"]!["size"]!.GetValue<long>());
    }

    [Fact]
    public async Task GitRepository_DeletedBranch_IsNotReady_AndKeepsTheLastArtifact()
    {
        _repo.Commit(new Dictionary<string, string?> { ["a.txt"] = "main" });
        _repo.Checkout("feature", create: true);
        var sha = _repo.Commit(new Dictionary<string, string?> { ["a.txt"] = "feature" });
        _repo.Checkout("main");
        await PutSourceAsync("feature", _repo.FileUrl, branch: "feature");
        var ready = await WaitForRevisionAsync("feature", $"feature@sha1:{sha}");
        var digest = ready["status"]!["artifact"]!["digest"]!.GetValue<string>();

        _repo.DeleteBranch("feature");
        await Grains.GetGrain<IGitRepositoryGrain>($"{Ns}/feature").HintFetchNow();
        var failed = await WaitForAsync("feature", s => SiloHost.Condition(s, "Ready") == "False", "Ready=False");

        Assert.Equal("GitOperationFailed", SiloHost.Condition(failed, "Ready", "reason"));
        Assert.Contains("feature", SiloHost.Condition(failed, "Ready", "message"), StringComparison.Ordinal);
        Assert.Equal("True", SiloHost.Condition(failed, "ArtifactInStorage"));
        Assert.Equal($"feature@sha1:{sha}", failed["status"]!["artifact"]!["revision"]!.GetValue<string>());
        Assert.Equal(digest, failed["status"]!["artifact"]!["digest"]!.GetValue<string>());
        Assert.NotNull(await Blobs.GetAsync(digest));
    }

    [Fact]
    public async Task GitRepository_UnreachableUrl_IsNotReady_WithoutAnArtifact()
    {
        await PutSourceAsync("nowhere", new Uri(Path.Combine(Path.GetTempPath(), "fleet-nonexistent-" + Guid.NewGuid().ToString("N"))).AbsoluteUri);

        var failed = await WaitForAsync("nowhere", s => SiloHost.Condition(s, "Ready") == "False", "Ready=False");

        Assert.Equal("GitOperationFailed", SiloHost.Condition(failed, "Ready", "reason"));
        Assert.Equal("False", SiloHost.Condition(failed, "ArtifactInStorage"));
        Assert.Null(failed["status"]!["artifact"]);
    }

    [Fact]
    public async Task GitRepository_SmartHttpWithBasicAuth_IsReady_AndAWrongPasswordNeverShows()
    {
        var password = "s3cret-" + Guid.NewGuid().ToString("N");
        var wrong = "wrong-" + Guid.NewGuid().ToString("N");
        var sha = _repo.Commit(new Dictionary<string, string?> { ["x.yaml"] = "x: 1\n" });
        await using var server = await SourcesGitHttpServer.StartAsync(Path.GetDirectoryName(_repo.Path)!, "fleet", password);
        var url = new Uri(server.BaseUri, Path.GetFileName(_repo.Path)).ToString();
        await PutSecretAsync("good", "fleet", password);
        await PutSecretAsync("bad", "fleet", wrong);
        await PutSourceAsync("good", url, secret: "good");
        await PutSourceAsync("bad", url, secret: "bad");

        await WaitForRevisionAsync("good", $"main@sha1:{sha}");
        var failed = await WaitForAsync("bad", s => SiloHost.Condition(s, "Ready") == "False", "Ready=False");

        Assert.Equal("AuthenticationFailed", SiloHost.Condition(failed, "Ready", "reason"));
        var everything = failed.ToJsonString() + await _silo.Http.GetStringAsync($"api/v1/namespaces/{Ns}/events")
            + await _silo.Http.GetStringAsync($"api/v1/namespaces/{Ns}/gitrepositories");
        Assert.DoesNotContain(wrong, everything, StringComparison.Ordinal);
        Assert.DoesNotContain(password, everything, StringComparison.Ordinal);
        foreach (var config in Directory.GetFiles(Path.Combine(_silo.DataDirectory, "mirrors"), "config", SearchOption.AllDirectories))
        {
            Assert.DoesNotContain(password, await File.ReadAllTextAsync(config), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task GitRepository_100SpecChangingPuts_CoalesceIntoFarFewerFetches()
    {
        var password = "s3cret-" + Guid.NewGuid().ToString("N");
        var sha = _repo.Commit(new Dictionary<string, string?> { ["x.yaml"] = "x: 1\n" });
        await using var server = await SourcesGitHttpServer.StartAsync(Path.GetDirectoryName(_repo.Path)!, "fleet", password);
        var url = new Uri(server.BaseUri, Path.GetFileName(_repo.Path)).ToString();
        await PutSecretAsync("busy-auth", "fleet", password);
        await PutSourceAsync("busy", url, secret: "busy-auth");
        await WaitForRevisionAsync("busy", $"main@sha1:{sha}");
        var before = server.GitRequests;

        for (var i = 1; i <= 100; i++)
        {
            await PutSourceAsync("busy", url, interval: $"{60 + i}m", secret: "busy-auth");
        }
        await WaitForAsync("busy", s => s["status"]?["observedGeneration"]?.GetValue<long>() == 101, "the last of 100 changes to be observed");

        // Each fetch takes at least one git request: hints merged while a fetch runs keep the count far below one per write.
        var requests = server.GitRequests - before;
        Assert.True(requests < 50, $"100 spec changes caused {requests} git requests");
    }

    [Fact]
    public async Task GitRepository_MissingSecret_SaysWhichSecret()
    {
        _repo.Commit(new Dictionary<string, string?> { ["x"] = "1" });
        await PutSourceAsync("needs-secret", _repo.FileUrl, secret: "absent");

        var failed = await WaitForAsync("needs-secret", s => SiloHost.Condition(s, "Ready") == "False", "Ready=False");

        Assert.Equal("CredentialsNotFound", SiloHost.Condition(failed, "Ready", "reason"));
        Assert.Contains("absent", SiloHost.Condition(failed, "Ready", "message"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GitRepository_Suspended_DoesNotFetch()
    {
        var first = _repo.Commit(new Dictionary<string, string?> { ["v"] = "1" });
        await PutSourceAsync("paused", _repo.FileUrl);
        await WaitForRevisionAsync("paused", $"main@sha1:{first}");

        await PutSourceAsync("paused", _repo.FileUrl, suspend: true);
        // As Flux: the status stays as it was (artifact, Ready), and observedGeneration shows the suspension was seen.
        var suspended = await WaitForAsync("paused", s => s["status"]?["observedGeneration"]?.GetValue<long>() == 2, "the suspension to be observed");
        Assert.Equal("True", SiloHost.Condition(suspended, "Ready"));
        _repo.Commit(new Dictionary<string, string?> { ["v"] = "2" });
        await Grains.GetGrain<IGitRepositoryGrain>($"{Ns}/paused").HintFetchNow();
        // Turns run one at a time, in order: once a later spec change is observed, the fetch request was handled.
        await PutSourceAsync("paused", _repo.FileUrl, suspend: true, interval: "2h");
        var after = await WaitForAsync("paused", s => s["status"]?["observedGeneration"]?.GetValue<long>() == 3, "the interval change to be observed");

        Assert.Equal($"main@sha1:{first}", after["status"]!["artifact"]!["revision"]!.GetValue<string>());
        Assert.Equal(suspended["status"]!["lastFetchTime"]!.GetValue<string>(), after["status"]!["lastFetchTime"]!.GetValue<string>());

        await PutSourceAsync("paused", _repo.FileUrl, interval: "2h");
        await WaitForRevisionAsync("paused", $"main@sha1:{_repo.Head()}");
    }

    [Fact]
    public async Task GitRepository_Events_OnNewRevisionFailureAndRecovery_NotOnEveryFetch()
    {
        var first = _repo.Commit(new Dictionary<string, string?> { ["v"] = "1" });
        await PutSourceAsync("ticking", _repo.FileUrl, interval: "1s");
        await WaitForRevisionAsync("ticking", $"main@sha1:{first}");
        await WaitForFetchesAsync("ticking", 3);

        var second = _repo.Commit(new Dictionary<string, string?> { ["v"] = "2" });
        await WaitForRevisionAsync("ticking", $"main@sha1:{second}");
        await WaitForFetchesAsync("ticking", 2);

        _repo.Git("branch", "--quiet", "-m", "main", "moved");
        await WaitForAsync("ticking", s => SiloHost.Condition(s, "Ready") == "False", "Ready=False");
        await WaitForFetchesAsync("ticking", 3);

        _repo.Git("branch", "--quiet", "-m", "moved", "main");
        await WaitForAsync("ticking", s => SiloHost.Condition(s, "Ready") == "True", "Ready=True again");
        await WaitForFetchesAsync("ticking", 2);

        var events = await _silo.GetJsonAsync($"api/v1/namespaces/{Ns}/events?kind=GitRepository&name=ticking");
        var reasons = events["items"]!.AsArray().Select(e => $"{e!["type"]}/{e["reason"]}").ToList();
        Assert.Equal(["Normal/NewArtifact", "Normal/NewArtifact", "Warning/GitOperationFailed", "Normal/Succeeded"], reasons);
    }

    [Fact]
    public async Task GitRepository_OldArtifacts_AreCollected_KeepingTheLastThree()
    {
        var digests = new List<string>();
        await PutSourceAsync("gc", _repo.FileUrl, interval: "2h");
        for (var i = 0; i < 5; i++)
        {
            var sha = _repo.Commit(new Dictionary<string, string?> { ["n.txt"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            await Grains.GetGrain<IGitRepositoryGrain>($"{Ns}/gc").HintFetchNow();
            var source = await WaitForRevisionAsync("gc", $"main@sha1:{sha}");
            digests.Add(source["status"]!["artifact"]!["digest"]!.GetValue<string>());
        }

        Assert.Equal(5, digests.Distinct().Count());
        Assert.False(await Blobs.ExistsAsync(digests[0]));
        Assert.False(await Blobs.ExistsAsync(digests[1]));
        foreach (var kept in digests.Skip(2))
        {
            Assert.True(await Blobs.ExistsAsync(kept));
        }
    }

    [Fact]
    public async Task GitRepository_Deleted_RemovesItsArtifacts()
    {
        var sha = _repo.Commit(new Dictionary<string, string?> { ["only-here.txt"] = Guid.NewGuid().ToString() });
        await PutSourceAsync("doomed", _repo.FileUrl);
        var source = await WaitForRevisionAsync("doomed", $"main@sha1:{sha}");
        var digest = source["status"]!["artifact"]!["digest"]!.GetValue<string>();

        Assert.True((await _silo.Http.DeleteAsync($"api/v1/namespaces/{Ns}/gitrepositories/doomed")).IsSuccessStatusCode);

        await Eventually.WaitAsync(async () => !await Blobs.ExistsAsync(digest), "the deleted source's artifact to be collected");
    }

    private IGrainFactory Grains => _silo.Services.GetRequiredService<IGrainFactory>();

    private IBlobStore Blobs => _silo.Services.GetRequiredService<IBlobStore>();

    private async Task PutSourceAsync(string name, string url, string branch = "main", string interval = "1h", string? secret = null, bool suspend = false, string extra = "")
    {
        var yaml = $"""
            apiVersion: fleet.dev/v1
            kind: GitRepository
            metadata: {"{"}name: {name}{"}"}
            spec:
              url: {url}
              interval: {interval}
              ref: {"{"}branch: {branch}{"}"}
              suspend: {(suspend ? "true" : "false")}

            """;
        if (secret is not null)
        {
            yaml += $"  secretRef: {{name: {secret}}}\n";
        }
        var response = await _silo.PutYamlAsync($"api/v1/namespaces/{Ns}/gitrepositories/{name}", yaml + extra);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private Task PutSecretAsync(string name, string username, string password) =>
        _silo.PutSecretAsync(Ns, name, new Dictionary<string, string> { ["username"] = username, ["password"] = password });

    internal Task<JsonObject> WaitForRevisionAsync(string name, string revision) =>
        WaitForAsync(name, s => s["status"]?["artifact"]?["revision"]?.GetValue<string>() == revision && SiloHost.Condition(s, "Ready") == "True", $"revision {revision}");

    private async Task<JsonObject> WaitForAsync(string name, Func<JsonObject, bool> condition, string what)
    {
        JsonObject? last = null;
        try
        {
            await Eventually.WaitAsync(async () =>
            {
                last = await _silo.GetJsonAsync($"api/v1/namespaces/{Ns}/gitrepositories/{name}");
                return condition(last);
            }, $"GitRepository {name}: {what}", TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}; last status: {last?["status"]?.ToJsonString()}", ex);
        }
        return last!;
    }

    /// <summary>Waits until the source has been fetched <paramref name="count"/> more times (its lastFetchTime moved).</summary>
    private async Task WaitForFetchesAsync(string name, int count)
    {
        var seen = new HashSet<string>();
        await Eventually.WaitAsync(async () =>
        {
            var source = await _silo.GetJsonAsync($"api/v1/namespaces/{Ns}/gitrepositories/{name}");
            if (source["status"]?["lastFetchTime"]?.GetValue<string>() is { } t)
            {
                seen.Add(t);
            }
            return seen.Count > count;
        }, $"{count} more fetches of {name}", TimeSpan.FromSeconds(60));
    }
}
