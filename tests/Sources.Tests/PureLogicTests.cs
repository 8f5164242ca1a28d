using Microsoft.Extensions.Time.Testing;
using Fleet.Sources.Tests.Support;

namespace Fleet.Sources.Tests;

public sealed class IgnoreMatcherTests
{
    [Theory]
    [InlineData("*.txt", "a.txt", true)]
    [InlineData("*.txt", "dir/sub/a.txt", true)]
    [InlineData("*.txt", "a.txt.bak", false)]
    [InlineData("/root.txt", "root.txt", true)]
    [InlineData("/root.txt", "dir/root.txt", false)]
    [InlineData("docs/", "docs/readme.md", true)]
    [InlineData("docs/", "docs", false)]
    [InlineData("docs/", "a/docs/readme.md", true)]
    [InlineData("a/*.yaml", "a/x.yaml", true)]
    [InlineData("a/*.yaml", "a/b/x.yaml", false)]
    [InlineData("a/**/x.yaml", "a/x.yaml", true)]
    [InlineData("a/**/x.yaml", "a/b/c/x.yaml", true)]
    [InlineData("**/secret", "deep/down/secret", true)]
    [InlineData("build/**", "build/out/app", true)]
    [InlineData("file?.md", "file1.md", true)]
    [InlineData("file?.md", "file10.md", false)]
    [InlineData("[ab].md", "a.md", true)]
    [InlineData("[!ab].md", "a.md", false)]
    [InlineData("# comment", "# comment", false)]
    [InlineData("\\#hash", "#hash", true)]
    public void IsIgnored_FollowsGitignoreSyntax(string pattern, string path, bool expected)
    {
        var matcher = new IgnoreMatcher();
        matcher.Add(string.Empty, pattern);
        Assert.Equal(expected, matcher.IsIgnored(path));
    }

    [Fact]
    public void IsIgnored_LastMatchWinsAndNegationReincludes()
    {
        var matcher = new IgnoreMatcher();
        matcher.AddLines(string.Empty, "*.yaml\n!keep.yaml\n");
        Assert.True(matcher.IsIgnored("drop.yaml"));
        Assert.False(matcher.IsIgnored("keep.yaml"));
        Assert.False(matcher.IsIgnored("sub/keep.yaml"));
    }

    [Fact]
    public void IsIgnored_FileInIgnoredDirectoryCannotBeReincluded()
    {
        var matcher = new IgnoreMatcher();
        matcher.AddLines(string.Empty, "out/\n!out/keep.txt\n");
        Assert.True(matcher.IsIgnored("out/keep.txt"));
    }

    [Fact]
    public void IsIgnored_NestedIgnoreFileOnlyAppliesBelowItsDirectory()
    {
        var matcher = new IgnoreMatcher();
        matcher.AddLines("apps", "*.md\n/local.yaml\n");
        Assert.True(matcher.IsIgnored("apps/readme.md"));
        Assert.True(matcher.IsIgnored("apps/x/readme.md"));
        Assert.False(matcher.IsIgnored("readme.md"));
        Assert.True(matcher.IsIgnored("apps/local.yaml"));
        Assert.False(matcher.IsIgnored("apps/x/local.yaml"));
        Assert.False(matcher.IsIgnored("appsx/readme.md"));
    }

    [Fact]
    public void Defaults_ExcludeVcsFilesLikeFlux()
    {
        var matcher = IgnoreMatcher.WithDefaults();
        Assert.True(matcher.IsIgnored(".gitignore"));
        Assert.True(matcher.IsIgnored("sub/.gitattributes"));
        Assert.True(matcher.IsIgnored(".git/config"));
        Assert.False(matcher.IsIgnored(".sourceignore"));
        Assert.False(matcher.IsIgnored("deploy.yaml"));
    }
}

public sealed class SemVerRangeTests
{
    private static readonly string[] Tags = ["v0.9.0", "v1.0.0", "v1.2.3", "1.2.4", "v1.3.0-rc.1", "v2.0.0", "v2.1.0-beta.1", "not-a-version", "v3"];

    [Theory]
    [InlineData(">=1.0.0 <2.0.0", "1.2.4")]
    [InlineData(">=1.0.0, <2.0.0", "1.2.4")]
    [InlineData("~1.2", "1.2.4")]
    [InlineData("^1.0.0", "1.2.4")]
    [InlineData("1.2.x", "1.2.4")]
    [InlineData("1.x", "1.2.4")]
    [InlineData("*", "v3")]
    [InlineData("<1.0.0", "v0.9.0")]
    [InlineData("1.0.0", "v1.0.0")]
    [InlineData("=v1.2.3", "v1.2.3")]
    [InlineData(">=2.0.0-0", "v3")]
    [InlineData(">=1.3.0-0 <2.0.0", "v1.3.0-rc.1")]
    [InlineData(">=2.1.0-0 <3.0.0", "v2.1.0-beta.1")]
    [InlineData("1.0 - 1.2", "1.2.4")]
    [InlineData("<1.0.0 || >=2.0.0 <3.0.0", "v2.0.0")]
    [InlineData("[1.0.0,2.0.0)", "1.2.4")]
    [InlineData(">=4.0.0", null)]
    public void SelectHighest_PicksTheHighestMatchingTag(string range, string? expected)
    {
        Assert.Equal(expected, SemVerRange.Parse(range).SelectHighest(Tags));
    }

    [Fact]
    public void SelectHighest_SkipsPrereleasesUnlessTheRangeAsks()
    {
        string[] tags = ["v1.0.0", "v1.1.0-rc.1"];
        Assert.Equal("v1.0.0", SemVerRange.Parse(">=1.0.0").SelectHighest(tags));
        Assert.Equal("v1.1.0-rc.1", SemVerRange.Parse(">=1.0.0-0").SelectHighest(tags));
    }

    [Theory]
    [InlineData("")]
    [InlineData(">=banana")]
    [InlineData("[1.0")]
    public void Parse_RejectsBadRangesNamingTheField(string range)
    {
        var ex = Assert.Throws<GitSourceException>(() => SemVerRange.Parse(range));
        Assert.Equal(GitSourceReasons.InvalidSpec, ex.Reason);
        Assert.Contains("spec.ref.semver", ex.Message);
    }
}

public sealed class WebhooksTests
{
    private static readonly byte[] Body = "{\"ref\":\"refs/heads/main\"}"u8.ToArray();

    private static Func<string, string?> Headers(params (string Name, string Value)[] headers) =>
        name => headers.Where(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).FirstOrDefault();

    [Fact]
    public void HookId_IsSha256OfTokenNameAndNamespaceLikeFlux()
    {
        // printf '%s' 'tokenappsflux-system' | sha256sum
        var expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("tokenappsflux-system"u8));
        Assert.Equal(expected, Webhooks.HookId("token", "apps", "flux-system"));
        Assert.Equal("/hook/" + expected, Webhooks.HookPath("token", "apps", "flux-system"));
        Assert.NotEqual(Webhooks.HookId("token", "apps", "a"), Webhooks.HookId("token", "apps", "b"));
    }

    [Fact]
    public void GitHub_GoodSignatureIsAccepted()
    {
        var result = Webhooks.Verify("github", "s3cret", ["push"], Headers(("X-Hub-Signature-256", Webhooks.Sign("s3cret", Body)), ("X-GitHub-Event", "push")), Body);
        Assert.Equal(WebhookResult.Accept, result.Result);
    }

    [Fact]
    public void GitHub_BadSignatureIsUnauthorized()
    {
        var result = Webhooks.Verify("github", "s3cret", [], Headers(("X-Hub-Signature-256", Webhooks.Sign("wrong", Body)), ("X-GitHub-Event", "push")), Body);
        Assert.Equal(WebhookResult.Unauthorized, result.Result);
        Assert.DoesNotContain("s3cret", result.Reason);
    }

    [Fact]
    public void GitHub_TamperedBodyIsUnauthorized()
    {
        var signature = Webhooks.Sign("s3cret", Body);
        var tampered = "{\"ref\":\"refs/heads/evil\"}"u8.ToArray();
        Assert.Equal(WebhookResult.Unauthorized, Webhooks.Verify("github", "s3cret", [], Headers(("X-Hub-Signature-256", signature)), tampered).Result);
    }

    [Fact]
    public void GitHub_MissingSignatureIsUnauthorized()
    {
        Assert.Equal(WebhookResult.Unauthorized, Webhooks.Verify("github", "s3cret", [], Headers(("X-GitHub-Event", "push")), Body).Result);
    }

    [Fact]
    public void GitHub_PingIsAnsweredWithoutFetching()
    {
        var result = Webhooks.Verify("github", "s3cret", ["push"], Headers(("X-Hub-Signature-256", Webhooks.Sign("s3cret", Body)), ("X-GitHub-Event", "ping")), Body);
        Assert.Equal(WebhookResult.Ping, result.Result);
    }

    [Fact]
    public void GitHub_EventNotInListIsIgnored()
    {
        var result = Webhooks.Verify("github", "s3cret", ["push"], Headers(("X-Hub-Signature-256", Webhooks.Sign("s3cret", Body)), ("X-GitHub-Event", "issues")), Body);
        Assert.Equal(WebhookResult.EventIgnored, result.Result);
    }

    [Fact]
    public void GitHub_LegacySha1SignatureIsAccepted()
    {
        var result = Webhooks.Verify("github", "s3cret", [], Headers(("X-Hub-Signature", Webhooks.Sign("s3cret", Body, "sha1")), ("X-GitHub-Event", "push")), Body);
        Assert.Equal(WebhookResult.Accept, result.Result);
    }

    [Fact]
    public void GitLab_TokenMustMatch()
    {
        Assert.Equal(WebhookResult.Accept, Webhooks.Verify("gitlab", "tok", ["Push Hook"], Headers(("X-Gitlab-Token", "tok"), ("X-Gitlab-Event", "Push Hook")), Body).Result);
        Assert.Equal(WebhookResult.Unauthorized, Webhooks.Verify("gitlab", "tok", [], Headers(("X-Gitlab-Token", "nope")), Body).Result);
        Assert.Equal(WebhookResult.Unauthorized, Webhooks.Verify("gitlab", "tok", [], Headers(), Body).Result);
        Assert.Equal(WebhookResult.EventIgnored, Webhooks.Verify("gitlab", "tok", ["Push Hook"], Headers(("X-Gitlab-Token", "tok"), ("X-Gitlab-Event", "Tag Push Hook")), Body).Result);
    }

    [Theory]
    [InlineData("sha1")]
    [InlineData("sha256")]
    [InlineData("sha512")]
    public void GenericHmac_AcceptsEachAlgorithmFluxAccepts(string algorithm)
    {
        Assert.Equal(WebhookResult.Accept, Webhooks.Verify("generic-hmac", "k", [], Headers(("X-Signature", Webhooks.Sign("k", Body, algorithm))), Body).Result);
        Assert.Equal(WebhookResult.Unauthorized, Webhooks.Verify("generic-hmac", "k", [], Headers(("X-Signature", Webhooks.Sign("other", Body, algorithm))), Body).Result);
    }

    [Theory]
    [InlineData("sha256")]
    [InlineData("sha256=zz")]
    [InlineData("md5=00")]
    public void GenericHmac_MalformedSignatureIsUnauthorized(string signature)
    {
        Assert.Equal(WebhookResult.Unauthorized, Webhooks.Verify("generic-hmac", "k", [], Headers(("X-Signature", signature)), Body).Result);
    }

    [Fact]
    public void Generic_AcceptsWithoutCheck_AndUnknownTypeIsRefused()
    {
        Assert.Equal(WebhookResult.Accept, Webhooks.Verify("generic", "k", [], Headers(), Body).Result);
        var unknown = Webhooks.Verify("bitbucket", "k", [], Headers(), Body);
        Assert.Equal(WebhookResult.Unauthorized, unknown.Result);
        Assert.Contains("bitbucket", unknown.Reason);
    }
}

public sealed class ArtifactRetentionTests
{
    [Fact]
    public void SelectForDeletion_KeepsNewestAndCurrent()
    {
        var t0 = DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var artifacts = Enumerable.Range(0, 6).Select(i => new StoredArtifact($"sha256:{i}", t0.AddMinutes(i))).ToList();
        var drop = ArtifactRetention.SelectForDeletion(artifacts, "sha256:0", keep: 3);
        Assert.Equal(["sha256:3", "sha256:2", "sha256:1"], drop);
    }

    [Fact]
    public void SelectForDeletion_CountsADigestOnce()
    {
        var t0 = DateTimeOffset.UnixEpoch;
        var artifacts = new[] { new StoredArtifact("sha256:a", t0), new StoredArtifact("sha256:a", t0.AddMinutes(5)), new StoredArtifact("sha256:b", t0.AddMinutes(1)) };
        Assert.Empty(ArtifactRetention.SelectForDeletion(artifacts, "sha256:a", keep: 2));
    }
}

public sealed class SourceFetchCoordinatorTests
{
    [Fact]
    public async Task GetAsync_ManyConcurrentCallersShareOneFetchPerInterval()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var coordinator = new SourceFetchCoordinator<int>(clock);
        var release = new TaskCompletionSource();
        var runs = 0;
        async Task<int> Fetch(CancellationToken ct)
        {
            Interlocked.Increment(ref runs);
            await release.Task;
            return runs;
        }

        var callers = Enumerable.Range(0, 500).Select(_ => coordinator.GetAsync("ns/src", TimeSpan.FromMinutes(1), Fetch, CancellationToken.None)).ToList();
        release.SetResult();
        var results = await Task.WhenAll(callers);
        Assert.All(results, r => Assert.Equal(1, r));
        Assert.Equal(1, runs);

        clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(1, await coordinator.GetAsync("ns/src", TimeSpan.FromMinutes(1), Fetch, CancellationToken.None));
        clock.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(2, await coordinator.GetAsync("ns/src", TimeSpan.FromMinutes(1), Fetch, CancellationToken.None));
        Assert.Equal(2, coordinator.FetchCount);
    }

    [Fact]
    public async Task Invalidate_FetchesNowWithinTheInterval()
    {
        var coordinator = new SourceFetchCoordinator<int>(new FakeTimeProvider(DateTimeOffset.UnixEpoch));
        var runs = 0;
        Task<int> Fetch(CancellationToken ct) => Task.FromResult(Interlocked.Increment(ref runs));
        await coordinator.GetAsync("a", TimeSpan.FromHours(1), Fetch, CancellationToken.None);
        await coordinator.GetAsync("a", TimeSpan.FromHours(1), Fetch, CancellationToken.None);
        coordinator.Invalidate("a");
        Assert.Equal(2, await coordinator.GetAsync("a", TimeSpan.FromHours(1), Fetch, CancellationToken.None));
    }

    [Fact]
    public async Task GetAsync_FailureIsSharedWithinTheInterval()
    {
        var coordinator = new SourceFetchCoordinator<int>(new FakeTimeProvider(DateTimeOffset.UnixEpoch));
        var runs = 0;
        Task<int> Fetch(CancellationToken ct)
        {
            Interlocked.Increment(ref runs);
            throw new GitSourceException(GitSourceReasons.GitOperationFailed, "down");
        }

        await Assert.ThrowsAsync<GitSourceException>(() => coordinator.GetAsync("a", TimeSpan.FromHours(1), Fetch, CancellationToken.None));
        await Assert.ThrowsAsync<GitSourceException>(() => coordinator.GetAsync("a", TimeSpan.FromHours(1), Fetch, CancellationToken.None));
        Assert.Equal(1, runs);
    }

    [Fact]
    public async Task GetAsync_OneCallerCancellingDoesNotCancelTheSharedFetch()
    {
        var coordinator = new SourceFetchCoordinator<int>(new FakeTimeProvider(DateTimeOffset.UnixEpoch));
        var release = new TaskCompletionSource();
        async Task<int> Fetch(CancellationToken ct)
        {
            await release.Task;
            return 7;
        }

        using var cts = new CancellationTokenSource();
        var impatient = coordinator.GetAsync("a", TimeSpan.FromHours(1), Fetch, cts.Token);
        var patient = coordinator.GetAsync("a", TimeSpan.FromHours(1), Fetch, CancellationToken.None);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => impatient);
        release.SetResult();
        Assert.Equal(7, await patient);
    }
}

public sealed class GitCredentialsTests
{
    [Fact]
    public void ToString_NeverShowsSecrets()
    {
        var credentials = new GitCredentials("alice", "hunter2", "tok-123", "-----BEGIN OPENSSH PRIVATE KEY-----", "host ssh-ed25519 AAAA");
        var text = credentials.ToString();
        Assert.Contains("alice", text);
        Assert.DoesNotContain("hunter2", text);
        Assert.DoesNotContain("tok-123", text);
        Assert.DoesNotContain("PRIVATE KEY", text);
    }

    [Fact]
    public void GitUrl_SplitsUserinfoOutOfHttpUrls()
    {
        var url = GitUrl.Parse("https://bob:pa55@example.com/org/repo.git");
        Assert.Equal("https://example.com/org/repo.git", url.SafeUrl);
        Assert.Equal("bob", url.UserName);
        Assert.Equal("pa55", url.Password);
        Assert.Equal("see https://***@example.com/x", GitUrl.Scrub("see https://bob:pa55@example.com/x"));
    }

    [Theory]
    [InlineData("git@github.com:org/repo.git")]
    [InlineData("github.com:org/repo")]
    public void GitUrl_AcceptsScpLikeSshAddresses(string url)
    {
        var parsed = GitUrl.Parse(url);
        Assert.True(parsed.IsSsh);
        Assert.Equal(url, parsed.SafeUrl);
    }

    [Theory]
    [InlineData("not a url")]
    [InlineData("ext::sh -c touch% /tmp/pwned")]
    [InlineData("fd::7")]
    [InlineData("ftp://example.com/repo.git")]
    public void GitUrl_RejectsWhatIsNotAGitUrl(string url)
    {
        var ex = Assert.Throws<GitSourceException>(() => GitUrl.Parse(url));
        Assert.Equal(GitSourceReasons.InvalidSpec, ex.Reason);
        Assert.Contains("spec.url", ex.Message);
    }
}
