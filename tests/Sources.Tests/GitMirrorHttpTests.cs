using System.Text;
using Fleet.Sources.Tests.Support;

namespace Fleet.Sources.Tests;

/// <summary>Fetches over git's smart HTTP protocol from the real git http-backend, with credentials.</summary>
public sealed class GitMirrorHttpTests : IDisposable
{
    private const string Password = "pw-Zq8!never-show-me";
    private const string Token = "tok-Xy7-never-show-me";

    private readonly string _mirrors = TempDir.Create("fleet-mirrors-");
    private readonly GitTestRepo _repo = GitTestRepo.Create();

    public GitMirrorHttpTests()
    {
        _repo.Write("app.yaml", "kind: ConfigMap").Commit();
        _repo.Git("tag", "v1.0.0");
    }

    public void Dispose()
    {
        _repo.Dispose();
        TempDir.Delete(_mirrors);
    }

    private string ProjectRoot => Path.GetDirectoryName(_repo.Path)!;

    private readonly ListLogger _log = new();

    private GitMirror NewMirror()
    {
        return new GitMirror(_mirrors, logger: _log);
    }

    private static GitSourceSpec Spec(string url, GitCredentials? credentials, GitRef? gitRef = null, TimeSpan? timeout = null) =>
        new(url, gitRef ?? new GitRef(Branch: "main"), timeout ?? TimeSpan.FromSeconds(60), [], credentials);

    /// <summary>
    /// The fetch runs in this process (libgit2), so no git process and no argument list exists to leak into;
    /// what remains to check is everything the fetch wrote: log lines and every file of every mirror,
    /// config and refs included.
    /// </summary>
    private void AssertNeverInLogsOrMirror(params string[] secrets)
    {
        Assert.NotEmpty(_log.Lines);
        Assert.NotEmpty(Directory.EnumerateFiles(_mirrors, "config", SearchOption.AllDirectories));
        foreach (var line in _log.Lines)
        {
            foreach (var secret in secrets)
            {
                Assert.DoesNotContain(secret, line, StringComparison.Ordinal);
            }
        }

        foreach (var file in Directory.EnumerateFiles(_mirrors, "*", SearchOption.AllDirectories))
        {
            var content = File.ReadAllText(file, Encoding.Latin1);
            foreach (var secret in secrets)
            {
                Assert.DoesNotContain(secret, content, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task BasicAuth_FetchesWithoutThePasswordInArgumentsOrMirror()
    {
        using var server = GitHttpServer.Start(ProjectRoot, "alice", Password);
        var mirror = NewMirror();
        var spec = Spec(server.UrlFor(_repo), new GitCredentials("alice", Password));

        var resolved = await mirror.FetchAsync("ns/http", spec, CancellationToken.None);
        Assert.Equal(_repo.Head(), resolved.CommitSha);
        var semver = await mirror.FetchAsync("ns/http", spec with { Ref = new GitRef(SemVer: "1.x") }, CancellationToken.None);
        Assert.Equal($"v1.0.0@sha1:{_repo.Head()}", semver.Revision);
        Assert.NotEmpty(server.AuthorizationHeaders);
        AssertNeverInLogsOrMirror(Password, Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:" + Password)));
    }

    [Fact]
    public async Task BasicAuth_WrongPassword_IsAuthenticationFailedAndNeverShowsThePassword()
    {
        using var server = GitHttpServer.Start(ProjectRoot, "alice", "the-right-one");
        var mirror = NewMirror();
        var ex = await Assert.ThrowsAsync<GitSourceException>(() =>
            mirror.FetchAsync("ns/wrong", Spec(server.UrlFor(_repo), new GitCredentials("alice", Password)), CancellationToken.None));
        Assert.Equal(GitSourceReasons.AuthenticationFailed, ex.Reason);
        Assert.DoesNotContain(Password, ex.ToString(), StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{server.Port}", ex.Message);
        Assert.Contains(_log.Lines, l => l.Contains(GitSourceReasons.AuthenticationFailed, StringComparison.Ordinal));
        AssertNeverInLogsOrMirror(Password);
    }

    [Fact]
    public async Task UnreachableServer_IsGitOperationFailedNamingTheUrl()
    {
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }

        var ex = await Assert.ThrowsAsync<GitSourceException>(() =>
            NewMirror().FetchAsync("ns/closed", Spec($"http://127.0.0.1:{port}/repo.git", new GitCredentials("alice", Password)), CancellationToken.None));
        Assert.Equal(GitSourceReasons.GitOperationFailed, ex.Reason);
        Assert.Contains($"http://127.0.0.1:{port}/repo.git", ex.Message);
        AssertNeverInLogsOrMirror(Password);
    }

    [Fact]
    public async Task UrlUserinfo_IsMovedOutOfTheUrlAndScrubbedFromErrors()
    {
        using var server = GitHttpServer.Start(ProjectRoot, "bob", Password);
        var mirror = NewMirror();
        var url = server.UrlFor(_repo).Replace("http://", $"http://bob:{Uri.EscapeDataString(Password)}@", StringComparison.Ordinal);
        var resolved = await mirror.FetchAsync("ns/userinfo", Spec(url, null), CancellationToken.None);
        Assert.Equal(_repo.Head(), resolved.CommitSha);

        var wrong = url.Replace("/" + Path.GetFileName(_repo.Path), "/missing-repo", StringComparison.Ordinal);
        var ex = await Assert.ThrowsAsync<GitSourceException>(() => mirror.FetchAsync("ns/userinfo2", Spec(wrong, null), CancellationToken.None));
        Assert.DoesNotContain(Password, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Uri.EscapeDataString(Password), ex.Message, StringComparison.Ordinal);
        AssertNeverInLogsOrMirror(Password, Uri.EscapeDataString(Password));
    }

    [Fact]
    public async Task BearerToken_IsSentAsAHeader_AndAWrongTokenFails()
    {
        using var server = GitHttpServer.Start(ProjectRoot, bearerToken: Token);
        var mirror = NewMirror();
        var resolved = await mirror.FetchAsync("ns/bearer", Spec(server.UrlFor(_repo), new GitCredentials(BearerToken: Token)), CancellationToken.None);
        Assert.Equal(_repo.Head(), resolved.CommitSha);
        Assert.Contains("Bearer " + Token, server.AuthorizationHeaders);
        var semver = await mirror.FetchAsync("ns/bearer", Spec(server.UrlFor(_repo), new GitCredentials(BearerToken: Token), new GitRef(SemVer: "1.x")), CancellationToken.None);
        Assert.Equal($"v1.0.0@sha1:{_repo.Head()}", semver.Revision);

        var ex = await Assert.ThrowsAsync<GitSourceException>(() =>
            mirror.FetchAsync("ns/bearer2", Spec(server.UrlFor(_repo), new GitCredentials(BearerToken: "tok-wrong-" + Token)), CancellationToken.None));
        Assert.Equal(GitSourceReasons.AuthenticationFailed, ex.Reason);
        Assert.DoesNotContain(Token, ex.ToString(), StringComparison.Ordinal);
        AssertNeverInLogsOrMirror(Token);
    }

    [Fact]
    public async Task BearerToken_IsNeverSentToAHostARedirectNames_WhileOtherSourcesFollowTheFirstRedirect()
    {
        // "Elsewhere" is another host name (localhost rather than 127.0.0.1): a plain socket that records what comes.
        using var elsewhere = System.Net.Sockets.TcpListener.Create(0);
        elsewhere.Start();
        var requests = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var accepting = Task.Run(async () =>
        {
            while (true)
            {
                using var client = await elsewhere.AcceptTcpClientAsync();
                var buffer = new byte[8192];
                var read = await client.GetStream().ReadAsync(buffer);
                requests.Enqueue(Encoding.ASCII.GetString(buffer, 0, read));
            }
        });
        var target = $"http://localhost:{((System.Net.IPEndPoint)elsewhere.LocalEndpoint).Port}";

        using var server = GitHttpServer.Start(ProjectRoot, bearerToken: Token);
        server.RedirectTo = target;
        var mirror = NewMirror();
        var ex = await Assert.ThrowsAsync<GitSourceException>(() =>
            mirror.FetchAsync("ns/redirected", Spec(server.UrlFor(_repo), new GitCredentials(BearerToken: Token)), CancellationToken.None));
        Assert.Equal(GitSourceReasons.GitOperationFailed, ex.Reason);
        Assert.Contains("cannot redirect", ex.Message, StringComparison.Ordinal);
        Assert.Empty(requests);
        Assert.DoesNotContain(Token, ex.ToString(), StringComparison.Ordinal);

        // Without a token the first request may be redirected, as git and libgit2 do by default.
        using var open = GitHttpServer.Start(ProjectRoot);
        open.RedirectTo = target;
        await Assert.ThrowsAsync<GitSourceException>(() => mirror.FetchAsync("ns/redirected-open", Spec(open.UrlFor(_repo), null), CancellationToken.None));
        Assert.Contains(requests, r => r.StartsWith("GET /", StringComparison.Ordinal));
        Assert.DoesNotContain(requests, r => r.Contains("Authorization", StringComparison.OrdinalIgnoreCase));
        elsewhere.Stop();
        await Assert.ThrowsAnyAsync<Exception>(() => accepting);
    }

    [Fact]
    public async Task Timeout_ReportsTheTimeoutAtTheDeadline_TheSourceIsBusyUntilTheServerLetsGo_ThenFetchesAgain()
    {
        var server = GitHttpServer.Start(ProjectRoot);
        server.Hang = true;
        var mirror = NewMirror();
        var url = server.UrlFor(_repo);
        var ex = await Assert.ThrowsAsync<GitSourceException>(() =>
            mirror.FetchAsync("ns/slow", Spec(url, null, timeout: TimeSpan.FromSeconds(2)), CancellationToken.None));
        Assert.Equal(GitSourceReasons.GitOperationFailed, ex.Reason);
        Assert.Contains("timed out", ex.Message);
        Assert.Contains(url, ex.Message);
        Assert.True(server.Requests > 0);

        // The fetch runs in this process: no git process (and no git-remote-http helper) is left behind.
        Assert.Empty(ProcessTable.Find("git", $"127.0.0.1:{server.Port}"));

        // libgit2 keeps the source's lock until its read ends: meanwhile the source is busy (said within the
        // deadline, not after an unbounded wait); once the server drops the connection it fetches again.
        var busy = await Assert.ThrowsAsync<GitSourceException>(() =>
            mirror.FetchAsync("ns/slow", Spec(url, null, timeout: TimeSpan.FromSeconds(1)), CancellationToken.None));
        Assert.Equal(GitSourceReasons.GitOperationFailed, busy.Reason);
        Assert.Contains("busy", busy.Message);
        server.Dispose();
        using var again = GitHttpServer.Start(ProjectRoot);
        var resolved = await mirror.FetchAsync("ns/slow", Spec(again.UrlFor(_repo), null), CancellationToken.None);
        Assert.Equal(_repo.Head(), resolved.CommitSha);
    }

    [Fact]
    public async Task Fetch_FollowsTheBranch_AndChecksAPinnedCommitIsOnItsBranch()
    {
        var first = _repo.Head();
        for (var i = 0; i < 4; i++)
        {
            _repo.Write("f.txt", i.ToString(System.Globalization.CultureInfo.InvariantCulture)).Commit($"c{i}");
        }

        using var server = GitHttpServer.Start(ProjectRoot);
        var mirror = NewMirror();
        var spec = Spec(server.UrlFor(_repo), null);
        var resolved = await mirror.FetchAsync("ns/shallow", spec, CancellationToken.None);
        Assert.Equal(_repo.Head(), resolved.CommitSha);

        // A new commit arrives and packs.
        var next = _repo.Write("f.txt", "next").Commit("next");
        resolved = await mirror.FetchAsync("ns/shallow", spec, CancellationToken.None);
        Assert.Equal(next, resolved.CommitSha);
        var artifact = await mirror.PackAsync("ns/shallow", resolved, spec, CancellationToken.None);
        Assert.Equal(2, artifact.FileCount);

        // A commit pinned with its branch is checked against the branch's history.
        var pinned = await mirror.FetchAsync("ns/shallow", spec with { Ref = new GitRef(Branch: "main", Commit: first) }, CancellationToken.None);
        Assert.Equal($"main@sha1:{first}", pinned.Revision);
        Assert.False(File.Exists(Path.Combine(mirror.MirrorPath("ns/shallow"), "shallow")));
    }

    [Fact]
    public async Task Https_WithACertificateNoAuthorityVouchesFor_IsRefused()
    {
        // A TLS server with a self-signed certificate: libgit2 (OpenSSL) must refuse it, never fetch.
        using var key = System.Security.Cryptography.ECDsa.Create();
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=127.0.0.1", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        var san = new System.Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder();
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        var handshakes = 0;
        var serving = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync();
            using var tls = new System.Net.Security.SslStream(client.GetStream());
            try
            {
                await tls.AuthenticateAsServerAsync(certificate);
            }
            catch (Exception ex) when (ex is System.Security.Authentication.AuthenticationException or IOException)
            {
                // The client gave up on the certificate, as it must.
            }

            Interlocked.Increment(ref handshakes);
        });

        var ex = await Assert.ThrowsAsync<GitSourceException>(() =>
            NewMirror().FetchAsync("ns/tls", Spec($"https://127.0.0.1:{port}/repo.git", new GitCredentials("alice", Password)), CancellationToken.None));
        await serving;
        Assert.Equal(1, handshakes);
        Assert.Equal(GitSourceReasons.GitOperationFailed, ex.Reason);
        Assert.Contains("certificate", ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Password, ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CallerCancellation_StopsTheFetch()
    {
        using var server = GitHttpServer.Start(ProjectRoot);
        server.Hang = true;
        var mirror = NewMirror();
        using var cts = new CancellationTokenSource();
        var fetch = mirror.FetchAsync("ns/cancel", Spec(server.UrlFor(_repo), null), cts.Token);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (Volatile.Read(ref server.Requests) == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fetch);
    }
}
