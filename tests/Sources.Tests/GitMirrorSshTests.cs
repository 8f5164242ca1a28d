using Fleet.Sources.Tests.Support;

namespace Fleet.Sources.Tests;

/// <summary>Fetches over ssh from Debian's sshd with a generated host key and user key.</summary>
public sealed class GitMirrorSshTests : IDisposable
{
    private readonly string _mirrors = TempDir.Create("fleet-mirrors-");
    private readonly GitTestRepo _repo = GitTestRepo.Create();

    public GitMirrorSshTests()
    {
        _repo.Write("app.yaml", "over ssh").Commit();
    }

    public void Dispose()
    {
        _repo.Dispose();
        TempDir.Delete(_mirrors);
    }

    [SshdFact]
    public async Task Ssh_FetchesWithIdentityAndStrictHostKeys_AndDeletesTheKeyFileAfter()
    {
        using var sshd = await SshTestServer.StartAsync();
        var log = new ListLogger();
        var mirror = new GitMirror(_mirrors, logger: log);
        var spec = new GitSourceSpec(sshd.UrlFor(_repo), new GitRef(Branch: "main"), TimeSpan.FromSeconds(60), [], new GitCredentials(SshIdentity: sshd.UserPrivateKey, KnownHosts: sshd.KnownHosts));

        var resolved = await mirror.FetchAsync("ns/ssh", spec, CancellationToken.None);
        Assert.Equal(_repo.Head(), resolved.CommitSha);

        // The key, known_hosts and ssh config lived in a private directory that is gone after the fetch, and
        // the mirror's config no longer names the launcher.
        var keyBody = sshd.UserPrivateKey.Split('\n')[1];
        Assert.Empty(TemporaryFilesHolding(keyBody));
        Assert.DoesNotContain("sshcommand", File.ReadAllText(Path.Combine(mirror.MirrorPath("ns/ssh"), "config")), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(log.Lines, l => l.Contains(keyBody, StringComparison.Ordinal));

        // A tag chosen by semver range lists the server's refs over ssh too.
        _repo.Git("tag", "v1.2.0");
        var tagged = await mirror.FetchAsync("ns/ssh", spec with { Ref = new GitRef(SemVer: "^1.0") }, CancellationToken.None);
        Assert.Equal($"v1.2.0@sha1:{_repo.Head()}", tagged.Revision);

        foreach (var file in Directory.EnumerateFiles(_mirrors, "*", SearchOption.AllDirectories))
        {
            var content = File.ReadAllText(file, System.Text.Encoding.Latin1);
            Assert.DoesNotContain("PRIVATE KEY", content, StringComparison.Ordinal);
            Assert.DoesNotContain(keyBody, content, StringComparison.Ordinal);
        }
    }

    /// <summary>Files of Fleet's ssh directories under the temporary directory that hold <paramref name="secret"/>.</summary>
    private static List<string> TemporaryFilesHolding(string secret) =>
        Directory.EnumerateDirectories(Path.GetTempPath(), "fleet-ssh-*")
            .SelectMany(d => Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories))
            .Where(f => File.ReadAllText(f).Contains(secret, StringComparison.Ordinal))
            .ToList();

    [SshdFact]
    public async Task Ssh_UnknownHostKey_IsRefusedNeverSilentlyAccepted()
    {
        using var sshd = await SshTestServer.StartAsync();
        var otherHost = "[127.0.0.1]:" + sshd.Port + " ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGQ3xJtsO3bXn1m0jZr6bqcYwjGcYqYbmtQ0xWbvmXcP\n";
        var spec = new GitSourceSpec(sshd.UrlFor(_repo), new GitRef(Branch: "main"), TimeSpan.FromSeconds(60), [], new GitCredentials(SshIdentity: sshd.UserPrivateKey, KnownHosts: otherHost));
        var ex = await Assert.ThrowsAsync<GitSourceException>(() => new GitMirror(_mirrors).FetchAsync("ns/ssh-bad-host", spec, CancellationToken.None));
        Assert.Equal(GitSourceReasons.AuthenticationFailed, ex.Reason);
        Assert.Contains("known_hosts", ex.Message);
        Assert.DoesNotContain("PRIVATE KEY", ex.ToString(), StringComparison.Ordinal);
    }

    [SshdFact]
    public async Task Ssh_RunsSshWithoutSecretsInItsArguments_AndKillsItAtTheDeadline()
    {
        // The server accepts the key, then never speaks git.
        using var sshd = await SshTestServer.StartAsync(forceCommand: "sleep 600");
        var spec = new GitSourceSpec(sshd.UrlFor(_repo), new GitRef(Branch: "main"), TimeSpan.FromSeconds(5), [], new GitCredentials(SshIdentity: sshd.UserPrivateKey, KnownHosts: sshd.KnownHosts));
        var mirror = new GitMirror(_mirrors);
        var port = sshd.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var fetch = mirror.FetchAsync("ns/ssh-slow", spec, CancellationToken.None);

        // While it hangs, ssh's own arguments can be read: the per-fetch config file, the port, the host and
        // the remote command, and no secret.
        var ssh = new List<(int Pid, string[] Arguments)>();
        var seen = DateTime.UtcNow.AddSeconds(15);
        while (ssh.Count == 0 && !fetch.IsCompleted && DateTime.UtcNow < seen)
        {
            ssh = ProcessTable.FindWithArguments("ssh", port);
            await Task.Delay(20);
        }

        var arguments = Assert.Single(ssh).Arguments;
        Assert.Equal("-F", arguments[1]);
        Assert.EndsWith("/ssh_config", arguments[2], StringComparison.Ordinal);
        Assert.Contains(arguments, a => a.StartsWith("git-upload-pack", StringComparison.Ordinal));
        var keyBody = sshd.UserPrivateKey.Split('\n')[1];
        Assert.DoesNotContain(arguments, a => a.Contains(keyBody, StringComparison.Ordinal) || a.Contains("PRIVATE KEY", StringComparison.Ordinal));

        var ex = await Assert.ThrowsAsync<GitSourceException>(() => fetch);
        Assert.Equal(GitSourceReasons.GitOperationFailed, ex.Reason);
        Assert.Contains("timed out", ex.Message);

        // ssh was killed at the deadline (it is gone well before sshd's keep-alives would end it), so libgit2
        // returns and the source's lock is free again: a second fetch fails on its own deadline, not as busy.
        var gone = DateTime.UtcNow.AddSeconds(15);
        while (ProcessTable.Find("ssh", port).Count > 0 && DateTime.UtcNow < gone)
        {
            await Task.Delay(20);
        }

        Assert.Empty(ProcessTable.Find("ssh", port));
        var again = await Assert.ThrowsAsync<GitSourceException>(() => mirror.FetchAsync("ns/ssh-slow", spec, CancellationToken.None));
        Assert.Contains("timed out", again.Message);
    }

    /// <summary>
    /// Why ssh mirrors are full: libgit2 1.8.6 (LibGit2Sharp 0.32's) sends its want lines a second time after the
    /// depth exchange on a stateful connection, and git upload-pack refuses them. If a later libgit2 fetches
    /// shallow over ssh, the first half fails and <see cref="GitMirror.ShallowOverSsh"/> can go.
    /// </summary>
    [SshdFact]
    public async Task Ssh_FetchesFullHistory_BecauseLibgit2_1_8_BreaksShallowFetchesOverSsh()
    {
        _repo.Write("app.yaml", "second").Commit();
        using var sshd = await SshTestServer.StartAsync();
        var spec = new GitSourceSpec(sshd.UrlFor(_repo), new GitRef(Branch: "main"), TimeSpan.FromSeconds(60), [], new GitCredentials(SshIdentity: sshd.UserPrivateKey, KnownHosts: sshd.KnownHosts));

        var shallow = new GitMirror(_mirrors) { ShallowOverSsh = true };
        var ex = await Assert.ThrowsAsync<GitSourceException>(() => shallow.FetchAsync("ns/ssh-shallow", spec, CancellationToken.None));
        Assert.Contains("expected SHA1 list, got 'want ", ex.Message, StringComparison.Ordinal);

        var mirror = new GitMirror(_mirrors);
        Assert.Equal(_repo.Head(), (await mirror.FetchAsync("ns/ssh-full", spec, CancellationToken.None)).CommitSha);
        Assert.False(File.Exists(Path.Combine(mirror.MirrorPath("ns/ssh-full"), "shallow")));
        using var repo = new LibGit2Sharp.Repository(mirror.MirrorPath("ns/ssh-full"));
        Assert.Equal(2, repo.ObjectDatabase.OfType<LibGit2Sharp.Commit>().Count());
    }

    [Fact]
    public async Task Ssh_WithoutKnownHosts_IsAnInvalidSpec()
    {
        var spec = new GitSourceSpec("ssh://git@127.0.0.1:1/repo.git", new GitRef(Branch: "main"), TimeSpan.FromSeconds(5), [], new GitCredentials(SshIdentity: "key"));
        var ex = await Assert.ThrowsAsync<GitSourceException>(() => new GitMirror(_mirrors).FetchAsync("ns/ssh-no-kh", spec, CancellationToken.None));
        Assert.Equal(GitSourceReasons.InvalidSpec, ex.Reason);
        Assert.Contains("known_hosts", ex.Message);
    }
}
