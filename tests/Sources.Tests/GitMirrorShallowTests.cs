using System.Globalization;
using Fleet.Sources.Tests.Support;
using LibGit2Sharp;

namespace Fleet.Sources.Tests;

/// <summary>
/// Shallow fetches over smart HTTP (the real git http-backend): what the mirror holds afterwards is counted with
/// LibGit2Sharp and checked with the git CLI, which reads the mirror's shallow list.
/// </summary>
public sealed class GitMirrorShallowTests : IDisposable
{
    private const int History = 30;

    private readonly string _mirrors = TempDir.Create("fleet-mirrors-");
    private readonly GitTestRepo _repo = GitTestRepo.Create();
    private readonly List<string> _commits = [];
    private readonly GitHttpServer _server;

    public GitMirrorShallowTests()
    {
        for (var i = 0; i < History; i++)
        {
            // Each commit replaces content that does not compress away, so that history has a size.
            var noise = new Random(i);
            var text = string.Concat(Enumerable.Range(0, 1000).Select(_ => noise.Next(256).ToString("x2", CultureInfo.InvariantCulture)));
            _commits.Add(_repo.Write("app.yaml", $"revision: {i}\n").Write("data.txt", text).Commit($"c{i}"));
        }

        _server = GitHttpServer.Start(ProjectRoot);
    }

    public void Dispose()
    {
        _server.Dispose();
        _repo.Dispose();
        TempDir.Delete(_mirrors);
    }

    private string ProjectRoot => Path.GetDirectoryName(_repo.Path)!;

    private static GitSourceSpec Spec(string url, GitRef gitRef) => new(url, gitRef, TimeSpan.FromSeconds(60), [], null);

    private static int CommitsIn(string mirror)
    {
        using var repo = new Repository(mirror);
        return repo.ObjectDatabase.OfType<Commit>().Count();
    }

    private static string ShallowCommits(string mirror)
    {
        var path = Path.Combine(mirror, "shallow");
        return File.Exists(path) ? File.ReadAllText(path).Trim() : string.Empty;
    }

    /// <summary>The git CLI's view of the mirror: it honours the shallow list, and fsck finds nothing missing.</summary>
    private static int RevListCount(string mirror)
    {
        var git = GitTestRepo.Existing(mirror);
        git.Git("fsck", "--connectivity-only", "--no-dangling");
        return int.Parse(git.Git("rev-list", "--count", "refs/fleet/target").Trim(), CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Http_FirstFetchOfABranch_HoldsOnlyItsCommit_NewCommitsComeIncrementally_AndTheMirrorStaysShallow()
    {
        var mirror = new GitMirror(_mirrors);
        var spec = Spec(_server.UrlFor(_repo), new GitRef(Branch: "main"));
        var path = mirror.MirrorPath("ns/shallow");

        var first = await mirror.FetchAsync("ns/shallow", spec, CancellationToken.None);
        Assert.Equal(_repo.Head(), first.CommitSha);
        Assert.Equal(1, CommitsIn(path));
        Assert.Equal(first.CommitSha, ShallowCommits(path));
        Assert.Equal(1, RevListCount(path));
        var shallowBytes = Interlocked.Read(ref _server.BytesSent);

        // The artifact is the one a full fetch of the same commit gives.
        var artifact = await mirror.PackAsync("ns/shallow", first, spec, CancellationToken.None);
        var full = new GitMirror(TempDir.Create("fleet-mirrors-full-"));
        var fullSpec = Spec(_repo.FileUrl, new GitRef(Branch: "main"));
        var fullResolved = await full.FetchAsync("ns/full", fullSpec, CancellationToken.None);
        Assert.Equal(History, CommitsIn(full.MirrorPath("ns/full")));
        Assert.Equal(artifact.Digest, (await full.PackAsync("ns/full", fullResolved, fullSpec, CancellationToken.None)).Digest);
        TempDir.Delete(Path.GetDirectoryName(full.MirrorPath("ns/full"))!);

        // Nothing changed: one request (the ref advertisement), nothing fetched.
        var requests = Volatile.Read(ref _server.Requests);
        Assert.Equal(first.Revision, (await mirror.FetchAsync("ns/shallow", spec, CancellationToken.None)).Revision);
        Assert.Equal(requests + 1, Volatile.Read(ref _server.Requests));

        // Two new commits come incrementally; the mirror stays shallow at the first commit it fetched.
        _repo.Write("app.yaml", "revision: next\n").Commit("next");
        var tip = _repo.Write("app.yaml", "revision: tip\n").Commit("tip");
        var before = Interlocked.Read(ref _server.BytesSent);
        var second = await mirror.FetchAsync("ns/shallow", spec, CancellationToken.None);
        Assert.Equal(tip, second.CommitSha);
        Assert.Equal(3, CommitsIn(path));
        Assert.Equal(first.CommitSha, ShallowCommits(path));
        Assert.Equal(3, RevListCount(path));
        Assert.True(Interlocked.Read(ref _server.BytesSent) - before < shallowBytes, "an incremental fetch brings less than the first");
        Assert.Equal("revision: tip\n", await FileOf(await mirror.PackAsync("ns/shallow", second, spec, CancellationToken.None), "app.yaml"));
    }

    [Fact]
    public async Task Http_ShallowFetch_BringsAFractionOfTheFullHistory()
    {
        var mirror = new GitMirror(_mirrors);
        await mirror.FetchAsync("ns/http", Spec(_server.UrlFor(_repo), new GitRef(Branch: "main")), CancellationToken.None);
        var shallowBytes = Interlocked.Read(ref _server.BytesSent);

        // The same history through LibGit2Sharp's own fetch, which passes no depth (see LibGit2Sharp_FetchIgnoresDepth).
        var deep = TempDir.Create("fleet-deep-");
        try
        {
            Repository.Init(deep, isBare: true);
            using var repo = new Repository(deep);
            repo.Network.Remotes.Add("origin", _server.UrlFor(_repo), "+refs/heads/*:refs/remotes/origin/*");
            var before = Interlocked.Read(ref _server.BytesSent);
            Commands.Fetch(repo, "origin", [], new FetchOptions(), null);
            Assert.True(Interlocked.Read(ref _server.BytesSent) - before > 3 * shallowBytes, "the full history is several times the shallow fetch");
        }
        finally
        {
            TempDir.Delete(deep);
        }
    }

    [Fact]
    public async Task Http_PinnedCommitBelowTheTip_DeepensTheShallowMirror()
    {
        var mirror = new GitMirror(_mirrors);
        var path = mirror.MirrorPath("ns/pin");
        var spec = Spec(_server.UrlFor(_repo), new GitRef(Branch: "main"));
        await mirror.FetchAsync("ns/pin", spec, CancellationToken.None);
        Assert.Equal(1, CommitsIn(path));

        var old = _commits[5];
        var pinned = await mirror.FetchAsync("ns/pin", spec with { Ref = new GitRef(Branch: "main", Commit: old) }, CancellationToken.None);
        Assert.Equal($"main@sha1:{old}", pinned.Revision);
        Assert.Equal(string.Empty, ShallowCommits(path));
        Assert.Equal(History, CommitsIn(path));
        Assert.Equal("revision: 5\n", await FileOf(await mirror.PackAsync("ns/pin", pinned, spec, CancellationToken.None), "app.yaml"));

        // A commit that is on no branch is still refused once the mirror is deep.
        var elsewhere = await Assert.ThrowsAsync<GitSourceException>(() =>
            mirror.FetchAsync("ns/pin", spec with { Ref = new GitRef(Branch: "main", Commit: new string('a', 40)) }, CancellationToken.None));
        Assert.Equal(GitSourceReasons.RefNotFound, elsewhere.Reason);
    }

    [Fact]
    public async Task Http_CommitAlone_IsFetchedByIdAtDepthOne_WhereTheServerAllows_ElseFromTheFullHistory()
    {
        var mirror = new GitMirror(_mirrors);
        var url = _server.UrlFor(_repo);

        // git http-backend does not serve objects by id by default: every branch's history is fetched.
        var refused = await mirror.FetchAsync("ns/commit", Spec(url, new GitRef(Commit: _commits[3])), CancellationToken.None);
        Assert.Equal($"sha1:{_commits[3]}", refused.Revision);
        Assert.Equal(History, CommitsIn(mirror.MirrorPath("ns/commit")));

        // Where it does, the commit alone is fetched, even into a shallow mirror below its shallow commit.
        _repo.Git("config", "uploadpack.allowReachableSHA1InWant", "true");
        await mirror.FetchAsync("ns/by-id", Spec(url, new GitRef(Branch: "main")), CancellationToken.None);
        var byId = await mirror.FetchAsync("ns/by-id", Spec(url, new GitRef(Commit: _commits[3])), CancellationToken.None);
        Assert.Equal($"sha1:{_commits[3]}", byId.Revision);
        var path = mirror.MirrorPath("ns/by-id");
        Assert.Equal(2, CommitsIn(path));
        Assert.Equal(new[] { _commits[3], _repo.Head() }.Order(StringComparer.Ordinal), ShallowCommits(path).Split('\n').Order(StringComparer.Ordinal));
        Assert.Equal("revision: 3\n", await FileOf(await mirror.PackAsync("ns/by-id", byId, Spec(url, new GitRef(Commit: _commits[3])), CancellationToken.None), "app.yaml"));
    }

    [Fact]
    public async Task Http_TagsAndSemver_AreFetchedShallow_EachNewTagAtDepthOne()
    {
        _repo.Git("tag", "v1.0.0", _commits[10]);
        _repo.Git("tag", "-a", "-m", "release", "v1.1.0", _commits[20]);
        var mirror = new GitMirror(_mirrors);
        var url = _server.UrlFor(_repo);
        var path = mirror.MirrorPath("ns/tags");

        var tag = await mirror.FetchAsync("ns/tags", Spec(url, new GitRef(Tag: "v1.0.0")), CancellationToken.None);
        Assert.Equal($"v1.0.0@sha1:{_commits[10]}", tag.Revision);
        Assert.Equal(1, CommitsIn(path));

        var semver = await mirror.FetchAsync("ns/tags", Spec(url, new GitRef(SemVer: ">=1.0.0 <2.0.0")), CancellationToken.None);
        Assert.Equal($"v1.1.0@sha1:{_commits[20]}", semver.Revision);
        Assert.Equal(2, CommitsIn(path));
        Assert.Equal(2, ShallowCommits(path).Split('\n').Length);
        Assert.Equal(1, RevListCount(path));
        Assert.Equal("revision: 20\n", await FileOf(await mirror.PackAsync("ns/tags", semver, Spec(url, new GitRef(SemVer: ">=1.0.0 <2.0.0")), CancellationToken.None), "app.yaml"));
    }

    [Fact]
    public async Task Http_AShallowMirrorWithManyCommits_StillFetchesIncrementally_AndANewTagShallow()
    {
        var mirror = new GitMirror(_mirrors);
        var url = _server.UrlFor(_repo);
        var path = mirror.MirrorPath("ns/many");
        var spec = Spec(url, new GitRef(Branch: "main"));
        await mirror.FetchAsync("ns/many", spec, CancellationToken.None);

        // More than 20 commits in the mirror: libgit2 offers them to the server in more than one round.
        for (var i = 0; i < 25; i++)
        {
            _repo.Write("app.yaml", $"later: {i}\n").Commit($"later {i}");
        }

        await mirror.FetchAsync("ns/many", spec, CancellationToken.None);
        var tip = _repo.Write("app.yaml", "later: tip\n").Commit("tip");
        Assert.Equal(tip, (await mirror.FetchAsync("ns/many", spec, CancellationToken.None)).CommitSha);
        Assert.Equal(27, CommitsIn(path));
        Assert.Equal(27, RevListCount(path));

        _repo.Git("tag", "v2.0.0", _commits[12]);
        var tag = await mirror.FetchAsync("ns/many", Spec(url, new GitRef(Tag: "v2.0.0")), CancellationToken.None);
        Assert.Equal($"v2.0.0@sha1:{_commits[12]}", tag.Revision);
        Assert.Equal(28, CommitsIn(path));
        Assert.Equal(1, RevListCount(path));
        Assert.Equal("revision: 12\n", await FileOf(await mirror.PackAsync("ns/many", tag, Spec(url, new GitRef(Tag: "v2.0.0")), CancellationToken.None), "app.yaml"));
    }

    [Fact]
    public async Task Compaction_KeepsOnlyTheTargetsHistory_AndTheShallowCommitsStillThere()
    {
        _repo.Git("tag", "v1.0.0", _commits[10]);
        var mirror = new GitMirror(_mirrors) { MaxPackFiles = 1 };
        var url = _server.UrlFor(_repo);
        var path = mirror.MirrorPath("ns/compact");
        await mirror.FetchAsync("ns/compact", Spec(url, new GitRef(Tag: "v1.0.0")), CancellationToken.None);
        var spec = Spec(url, new GitRef(Branch: "main"));
        await mirror.FetchAsync("ns/compact", spec, CancellationToken.None);
        var tip = _repo.Write("app.yaml", "revision: tip\n").Commit("tip");
        var resolved = await mirror.FetchAsync("ns/compact", spec, CancellationToken.None);
        Assert.Equal(3, CommitsIn(path));
        Assert.Equal(2, ShallowCommits(path).Split('\n').Length);

        await mirror.PackAsync("ns/compact", resolved, spec, CancellationToken.None);
        Assert.Equal(2, CommitsIn(path));
        Assert.Equal(_commits[^1], ShallowCommits(path));
        Assert.Equal(2, RevListCount(path));
        Assert.Equal(tip, (await mirror.FetchAsync("ns/compact", spec, CancellationToken.None)).CommitSha);
    }

    [Fact]
    public async Task AMirrorLeftMidwayThroughPuttingItsShallowListRight_IsMadeAgain()
    {
        var mirror = new GitMirror(_mirrors);
        var spec = Spec(_server.UrlFor(_repo), new GitRef(Branch: "main"));
        var path = mirror.MirrorPath("ns/marker");
        await mirror.FetchAsync("ns/marker", spec, CancellationToken.None);

        // As a process stopped between moving the list aside and writing it back leaves the mirror.
        File.WriteAllText(Path.Combine(path, ShallowList.RepairMarker), ShallowCommits(path) + "\n");
        File.Delete(Path.Combine(path, "shallow"));
        var tip = _repo.Write("app.yaml", "revision: after\n").Commit("after");

        Assert.Equal(tip, (await mirror.FetchAsync("ns/marker", spec, CancellationToken.None)).CommitSha);
        Assert.False(File.Exists(Path.Combine(path, ShallowList.RepairMarker)));
        Assert.Equal(tip, ShallowCommits(path));
        Assert.Equal(1, RevListCount(path));
    }

    [Fact]
    public async Task File_StaysFull_BecauseLibgit2sLocalTransportRefusesDepths()
    {
        var mirror = new GitMirror(_mirrors);
        await mirror.FetchAsync("ns/file", Spec(_repo.FileUrl, new GitRef(Branch: "main")), CancellationToken.None);
        Assert.Equal(History, CommitsIn(mirror.MirrorPath("ns/file")));
        Assert.Equal(string.Empty, ShallowCommits(mirror.MirrorPath("ns/file")));

        var bare = TempDir.Create("fleet-local-");
        try
        {
            Repository.Init(bare, isBare: true);
            using (var repo = new Repository(bare))
            {
                repo.Network.Remotes.Add("fleet", _repo.FileUrl);
            }

            var ex = Assert.Throws<LibGit2SharpException>(() => LibGit2Fetch.Fetch(new LibGit2Fetch.Request(
                bare, "fleet", ["+refs/heads/main:refs/fleet/incoming"], 1, [], true, _ => null, () => false)));
            Assert.Contains("shallow fetch is not supported by the local transport", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            TempDir.Delete(bare);
        }
    }

    /// <summary>
    /// Why <see cref="LibGit2Fetch"/> exists: LibGit2Sharp 0.32's fetch into an existing repository takes
    /// <see cref="FetchOptions.Depth"/> and ignores it (only <c>Repository.Clone</c> passes it to libgit2). If a
    /// later LibGit2Sharp passes it, this fails, and the mirror can use <c>Commands.Fetch</c> again.
    /// </summary>
    [Fact]
    public void LibGit2Sharp_FetchIgnoresDepth()
    {
        var bare = TempDir.Create("fleet-depth-");
        try
        {
            Repository.Init(bare, isBare: true);
            using var repo = new Repository(bare);
            repo.Network.Remotes.Add("origin", _server.UrlFor(_repo), "+refs/heads/*:refs/remotes/origin/*");
            Commands.Fetch(repo, "origin", [], new FetchOptions { Depth = 1 }, null);
            Assert.Equal(History, repo.ObjectDatabase.OfType<Commit>().Count());
            Assert.False(File.Exists(Path.Combine(bare, "shallow")));
        }
        finally
        {
            TempDir.Delete(bare);
        }
    }

    private static async Task<string> FileOf(Artifact artifact, string name)
    {
        var dir = TempDir.Create("fleet-extract-");
        try
        {
            await ArtifactReader.ExtractAsync(artifact.Content, dir, CancellationToken.None);
            return await File.ReadAllTextAsync(Path.Combine(dir, name));
        }
        finally
        {
            TempDir.Delete(dir);
        }
    }
}
