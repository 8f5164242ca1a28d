using System.Diagnostics;
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
        var mirror = new GitMirror(_mirrors);
        var started = new List<ProcessStartInfo>();
        mirror.Runner.StartInfoObserver = started.Add;
        var spec = new GitSourceSpec(sshd.UrlFor(_repo), new GitRef(Branch: "main"), TimeSpan.FromSeconds(60), [], new GitCredentials(SshIdentity: sshd.UserPrivateKey, KnownHosts: sshd.KnownHosts));

        var resolved = await mirror.FetchAsync("ns/ssh", spec, CancellationToken.None);
        Assert.Equal(_repo.Head(), resolved.CommitSha);

        var sshCommand = started.Select(p => p.Environment.TryGetValue("GIT_SSH_COMMAND", out var v) ? v : null).First(v => v is not null)!;
        Assert.Contains("StrictHostKeyChecking=yes", sshCommand);
        var keyPath = sshCommand.Split(' ').SkipWhile(p => p != "-i").Skip(1).First().Trim('\'');
        Assert.False(File.Exists(keyPath), "the identity file must be deleted after the fetch");
        foreach (var psi in started)
        {
            Assert.DoesNotContain(psi.ArgumentList, a => a.Contains("PRIVATE KEY", StringComparison.Ordinal));
        }

        foreach (var file in Directory.EnumerateFiles(_mirrors, "*", SearchOption.AllDirectories))
        {
            Assert.DoesNotContain("PRIVATE KEY", File.ReadAllText(file, System.Text.Encoding.Latin1), StringComparison.Ordinal);
        }
    }

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

    [Fact]
    public async Task Ssh_WithoutKnownHosts_IsAnInvalidSpec()
    {
        var spec = new GitSourceSpec("ssh://git@127.0.0.1:1/repo.git", new GitRef(Branch: "main"), TimeSpan.FromSeconds(5), [], new GitCredentials(SshIdentity: "key"));
        var ex = await Assert.ThrowsAsync<GitSourceException>(() => new GitMirror(_mirrors).FetchAsync("ns/ssh-no-kh", spec, CancellationToken.None));
        Assert.Equal(GitSourceReasons.InvalidSpec, ex.Reason);
        Assert.Contains("known_hosts", ex.Message);
    }
}
