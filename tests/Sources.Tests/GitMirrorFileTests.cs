using System.Formats.Tar;
using System.IO.Compression;
using Fleet.Sources.Tests.Support;

namespace Fleet.Sources.Tests;

/// <summary>Fetch and pack against real repositories served over file://.</summary>
public sealed class GitMirrorFileTests : IDisposable
{
    private readonly string _mirrors = TempDir.Create("fleet-mirrors-");
    private readonly List<IDisposable> _cleanup = [];

    public void Dispose()
    {
        foreach (var item in _cleanup)
        {
            item.Dispose();
        }

        TempDir.Delete(_mirrors);
    }

    private GitTestRepo NewRepo(string branch = "main")
    {
        var repo = GitTestRepo.Create(branch);
        _cleanup.Add(repo);
        return repo;
    }

    private static GitSourceSpec Spec(string url, GitRef gitRef, IReadOnlyList<string>? ignore = null, long max = GitSourceSpec.DefaultMaxArtifactBytes) =>
        new(url, gitRef, TimeSpan.FromSeconds(60), ignore ?? [], null, max);

    private static async Task<Dictionary<string, string>> FilesOf(Artifact artifact)
    {
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        using var gz = new GZipStream(new MemoryStream(artifact.Content), CompressionMode.Decompress);
        using var tar = new TarReader(gz);
        while (await tar.GetNextEntryAsync(copyData: true) is { } entry)
        {
            using var reader = new StreamReader(entry.DataStream!);
            files[entry.Name] = await reader.ReadToEndAsync();
        }

        return files;
    }

    [Fact]
    public async Task Fetch_Branch_FollowsTheBranchAsItMoves()
    {
        var repo = NewRepo();
        repo.Write("app.yaml", "v: 1").Commit("one");
        var first = repo.Head();
        var mirror = new GitMirror(_mirrors);
        var spec = Spec(repo.FileUrl, new GitRef(Branch: "main"));

        var r1 = await mirror.FetchAsync("ns/app", spec, CancellationToken.None);
        Assert.Equal($"main@sha1:{first}", r1.Revision);
        Assert.Equal("main", r1.RefName);

        var second = repo.Write("app.yaml", "v: 2").Commit("two");
        var r2 = await mirror.FetchAsync("ns/app", spec, CancellationToken.None);
        Assert.Equal(second, r2.CommitSha);
        var files = await FilesOf(await mirror.PackAsync("ns/app", r2, spec, CancellationToken.None));
        Assert.Equal("v: 2", files["app.yaml"]);
    }

    [Fact]
    public async Task Fetch_MirrorIsComplete_BecauseLibGit2SharpFetchesWithoutDepth()
    {
        var repo = NewRepo();
        for (var i = 0; i < 3; i++)
        {
            repo.Write("f.txt", i.ToString(System.Globalization.CultureInfo.InvariantCulture)).Commit($"c{i}");
        }

        var mirror = new GitMirror(_mirrors);
        var resolved = await mirror.FetchAsync("ns/local", Spec(repo.FileUrl, new GitRef(Branch: "main")), CancellationToken.None);
        Assert.Equal(repo.Head(), resolved.CommitSha);
        Assert.False(File.Exists(Path.Combine(mirror.MirrorPath("ns/local"), "shallow")));
    }

    [Fact]
    public async Task Fetch_ShallowMirrorLeftByTheGitCli_IsMadeAgainWithHistory()
    {
        var repo = NewRepo();
        var pinned = repo.Write("a", "1").Commit();
        repo.Write("a", "2").Commit();
        var mirror = new GitMirror(_mirrors);
        var path = mirror.MirrorPath("ns/old-shallow");
        repo.Git("init", "--bare", "--quiet", path);
        repo.Git("-C", path, "fetch", "--quiet", "--depth=1", repo.FileUrl, "+refs/heads/main:refs/fleet/target");
        Assert.True(File.Exists(Path.Combine(path, "shallow")));

        // The first fetch makes the mirror again, complete.
        var next = repo.Write("a", "3").Commit();
        var branch = await mirror.FetchAsync("ns/old-shallow", Spec(repo.FileUrl, new GitRef(Branch: "main")), CancellationToken.None);
        Assert.Equal(next, branch.CommitSha);
        Assert.Equal("3", (await FilesOf(await mirror.PackAsync("ns/old-shallow", branch, Spec(repo.FileUrl, new GitRef(Branch: "main")), CancellationToken.None)))["a"]);
        Assert.False(File.Exists(Path.Combine(path, "shallow")));

        var resolved = await mirror.FetchAsync("ns/old-shallow", Spec(repo.FileUrl, new GitRef(Branch: "main", Commit: pinned)), CancellationToken.None);
        Assert.Equal($"main@sha1:{pinned}", resolved.Revision);
        Assert.False(File.Exists(Path.Combine(path, "shallow")));
    }

    [Fact]
    public async Task Fetch_IntoABrokenMirror_IsGitOperationFailedNamingTheSource()
    {
        var repo = NewRepo();
        repo.Write("a", "1").Commit();
        var mirror = new GitMirror(_mirrors);
        var path = mirror.MirrorPath("ns/broken");
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, "HEAD"), "not a ref\n");
        var ex = await Assert.ThrowsAsync<GitSourceException>(() => mirror.FetchAsync("ns/broken", Spec(repo.FileUrl, new GitRef(Branch: "main")), CancellationToken.None));
        Assert.Equal(GitSourceReasons.GitOperationFailed, ex.Reason);
        Assert.Contains(repo.FileUrl, ex.Message);
    }

    [Fact]
    public async Task Pack_CompactsAMirrorWithManyPackFilesIntoOne_AndKeepsFetchingAndPacking()
    {
        var repo = NewRepo();
        var mirror = new GitMirror(_mirrors) { MaxPackFiles = 3 };
        var spec = Spec(repo.FileUrl, new GitRef(Branch: "main"));
        var packDir = Path.Combine(mirror.MirrorPath("ns/compact"), "objects", "pack");
        ResolvedRevision? resolved = null;
        var packCounts = new List<int>();
        for (var i = 0; i < 6; i++)
        {
            repo.Write($"f{i}.yaml", $"v: {i}").Commit($"c{i}");
            resolved = await mirror.FetchAsync("ns/compact", spec, CancellationToken.None);
            var fetched = Directory.GetFiles(packDir, "*.pack").Length;
            await mirror.PackAsync("ns/compact", resolved, spec, CancellationToken.None);
            packCounts.Add(fetched * 100 + Directory.GetFiles(packDir, "*.pack").Length);
        }

        // Packs pile up with each fetch (one per fetch that brings objects), and are folded into one by the
        // pack after which there are more than three.
        Assert.Equal([101, 202, 303, 401, 202, 303], packCounts);
        Assert.Empty(Directory.GetDirectories(packDir));

        var again = await mirror.PackAsync("ns/compact", resolved!, spec, CancellationToken.None);
        Assert.Equal(6, again.FileCount);
        var last = repo.Write("f0.yaml", "v: changed").Commit("after compaction");
        var after = await mirror.FetchAsync("ns/compact", spec, CancellationToken.None);
        Assert.Equal(last, after.CommitSha);
        Assert.Equal("v: changed", (await FilesOf(await mirror.PackAsync("ns/compact", after, spec, CancellationToken.None)))["f0.yaml"]);

        // The history stays whole: a pinned commit on the branch is still found on it.
        var pinned = await mirror.FetchAsync("ns/compact", Spec(repo.FileUrl, new GitRef(Branch: "main", Commit: resolved!.CommitSha)), CancellationToken.None);
        Assert.Equal(resolved.CommitSha, pinned.CommitSha);
    }

    [Fact]
    public async Task Fetch_ForcePushedBranch_ResolvesTheNewCommit()
    {
        var repo = NewRepo();
        repo.Write("a.txt", "base").Commit("base");
        var old = repo.Write("a.txt", "old").Commit("old");
        var mirror = new GitMirror(_mirrors);
        var spec = Spec(repo.FileUrl, new GitRef(Branch: "main"));
        Assert.Equal(old, (await mirror.FetchAsync("ns/force", spec, CancellationToken.None)).CommitSha);

        repo.Git("reset", "--hard", "--quiet", "HEAD~1");
        var rewritten = repo.Write("a.txt", "rewritten").Commit("rewritten");
        var resolved = await mirror.FetchAsync("ns/force", spec, CancellationToken.None);
        Assert.Equal(rewritten, resolved.CommitSha);
        Assert.Equal("rewritten", (await FilesOf(await mirror.PackAsync("ns/force", resolved, spec, CancellationToken.None)))["a.txt"]);
    }

    [Fact]
    public async Task Fetch_Tag_ResolvesLightweightAndAnnotatedTagsToTheirCommit()
    {
        var repo = NewRepo();
        var c1 = repo.Write("a", "1").Commit();
        repo.Git("tag", "light");
        var c2 = repo.Write("a", "2").Commit();
        repo.Git("tag", "-a", "-m", "release", "v2.0.0");
        repo.Write("a", "3").Commit();
        var mirror = new GitMirror(_mirrors);

        var light = await mirror.FetchAsync("ns/tag", Spec(repo.FileUrl, new GitRef(Tag: "light")), CancellationToken.None);
        Assert.Equal($"light@sha1:{c1}", light.Revision);
        var annotated = await mirror.FetchAsync("ns/tag", Spec(repo.FileUrl, new GitRef(Tag: "v2.0.0")), CancellationToken.None);
        Assert.Equal($"v2.0.0@sha1:{c2}", annotated.Revision);
    }

    [Fact]
    public async Task Fetch_SemVer_SelectsTheHighestMatchingTagAndPrereleasesOnlyWhenAsked()
    {
        var repo = NewRepo();
        var shas = new Dictionary<string, string>();
        foreach (var tag in new[] { "v1.0.0", "v1.1.0", "1.2.0", "v1.3.0-rc.1", "v2.0.0" })
        {
            shas[tag] = repo.Write("version", tag).Commit(tag);
            repo.Git("tag", "-a", "-m", tag, tag);
        }

        var mirror = new GitMirror(_mirrors);
        var stable = await mirror.FetchAsync("ns/semver", Spec(repo.FileUrl, new GitRef(SemVer: ">=1.0.0 <2.0.0")), CancellationToken.None);
        Assert.Equal($"1.2.0@sha1:{shas["1.2.0"]}", stable.Revision);

        var pre = await mirror.FetchAsync("ns/semver", Spec(repo.FileUrl, new GitRef(SemVer: ">=1.0.0-0 <2.0.0")), CancellationToken.None);
        Assert.Equal($"v1.3.0-rc.1@sha1:{shas["v1.3.0-rc.1"]}", pre.Revision);

        var none = await Assert.ThrowsAsync<GitSourceException>(() => mirror.FetchAsync("ns/semver", Spec(repo.FileUrl, new GitRef(SemVer: ">=3.0.0")), CancellationToken.None));
        Assert.Equal(GitSourceReasons.RefNotFound, none.Reason);
    }

    [Fact]
    public async Task Fetch_PinnedCommit_ResolvesThatCommitAlone_AndWithItsBranch()
    {
        var repo = NewRepo();
        var pinned = repo.Write("a", "pinned").Commit();
        repo.Write("a", "later").Commit();
        var mirror = new GitMirror(_mirrors);

        var alone = await mirror.FetchAsync("ns/pin", Spec(repo.FileUrl, new GitRef(Commit: pinned)), CancellationToken.None);
        Assert.Equal($"sha1:{pinned}", alone.Revision);
        Assert.Null(alone.RefName);
        Assert.Equal("pinned", (await FilesOf(await mirror.PackAsync("ns/pin", alone, Spec(repo.FileUrl, new GitRef(Commit: pinned)), CancellationToken.None)))["a"]);

        var withBranch = await mirror.FetchAsync("ns/pin2", Spec(repo.FileUrl, new GitRef(Branch: "main", Commit: pinned)), CancellationToken.None);
        Assert.Equal($"main@sha1:{pinned}", withBranch.Revision);
    }

    [Fact]
    public async Task Fetch_PinnedCommitNotOnBranch_IsRefNotFound()
    {
        var repo = NewRepo();
        repo.Write("a", "1").Commit();
        repo.Git("checkout", "--quiet", "-b", "other");
        var elsewhere = repo.Write("a", "other").Commit();
        repo.Git("checkout", "--quiet", "main");
        var mirror = new GitMirror(_mirrors);
        var ex = await Assert.ThrowsAsync<GitSourceException>(() => mirror.FetchAsync("ns/pin3", Spec(repo.FileUrl, new GitRef(Branch: "main", Commit: elsewhere)), CancellationToken.None));
        Assert.Equal(GitSourceReasons.RefNotFound, ex.Reason);
    }

    [Fact]
    public async Task Fetch_NameRef_FetchesPullRequestRefs()
    {
        var repo = NewRepo();
        repo.Write("a", "main").Commit();
        repo.Git("checkout", "--quiet", "-b", "feature");
        var pr = repo.Write("a", "pr").Commit();
        repo.Git("update-ref", "refs/pull/1/head", pr);
        repo.Git("checkout", "--quiet", "main");
        repo.Git("branch", "-D", "feature");
        var mirror = new GitMirror(_mirrors);

        var resolved = await mirror.FetchAsync("ns/pr", Spec(repo.FileUrl, new GitRef(Name: "refs/pull/1/head")), CancellationToken.None);
        Assert.Equal($"refs/pull/1/head@sha1:{pr}", resolved.Revision);
    }

    [Fact]
    public async Task Fetch_DeletedBranch_IsRefNotFound_AndTheLastArtifactStaysUsable()
    {
        var repo = NewRepo();
        repo.Write("a", "main").Commit();
        repo.Git("checkout", "--quiet", "-b", "doomed");
        repo.Write("a", "doomed").Commit();
        var mirror = new GitMirror(_mirrors);
        var spec = Spec(repo.FileUrl, new GitRef(Branch: "doomed"));
        var last = await mirror.FetchAsync("ns/doomed", spec, CancellationToken.None);
        var artifact = await mirror.PackAsync("ns/doomed", last, spec, CancellationToken.None);

        repo.Git("checkout", "--quiet", "main");
        repo.Git("branch", "-D", "doomed");
        var ex = await Assert.ThrowsAsync<GitSourceException>(() => mirror.FetchAsync("ns/doomed", spec, CancellationToken.None));
        Assert.Equal(GitSourceReasons.RefNotFound, ex.Reason);
        Assert.Contains("branch 'doomed'", ex.Message);

        // The caller keeps serving its last artifact; the mirror can still pack that revision.
        var again = await mirror.PackAsync("ns/doomed", last, spec, CancellationToken.None);
        Assert.Equal(artifact.Digest, again.Digest);
    }

    [Fact]
    public async Task Fetch_DefaultsToTheMasterBranchLikeFlux()
    {
        var repo = NewRepo("master");
        var head = repo.Write("a", "1").Commit();
        var resolved = await new GitMirror(_mirrors).FetchAsync("ns/default", Spec(repo.FileUrl, new GitRef()), CancellationToken.None);
        Assert.Equal($"master@sha1:{head}", resolved.Revision);
    }

    [Fact]
    public async Task Fetch_UnreachableUrl_IsGitOperationFailedNamingTheUrl()
    {
        var missing = Path.Combine(_mirrors, "no-such-repo");
        var ex = await Assert.ThrowsAsync<GitSourceException>(() =>
            new GitMirror(_mirrors).FetchAsync("ns/missing", Spec(new Uri(missing).AbsoluteUri, new GitRef(Branch: "main")), CancellationToken.None));
        Assert.Equal(GitSourceReasons.GitOperationFailed, ex.Reason);
        Assert.Contains("no-such-repo", ex.Message);
    }

    [Fact]
    public async Task Pack_LeavesOutIgnorePatternsSourceignoreFilesAndFluxDefaults()
    {
        var repo = NewRepo();
        repo.Write("deploy/app.yaml", "app")
            .Write("deploy/notes.md", "notes")
            .Write("docs/guide.md", "guide")
            .Write("deploy/.sourceignore", "*.md\n")
            .Write(".sourceignore", "/docs/\n")
            .Write(".gitignore", "bin/\n")
            .Write("tmp/scratch.txt", "x")
            .Write("keep.md", "root md stays")
            .Commit();
        var mirror = new GitMirror(_mirrors);
        var spec = Spec(repo.FileUrl, new GitRef(Branch: "main"), ignore: ["tmp/"]);
        var resolved = await mirror.FetchAsync("ns/ignore", spec, CancellationToken.None);
        var artifact = await mirror.PackAsync("ns/ignore", resolved, spec, CancellationToken.None);
        var files = await FilesOf(artifact);
        Assert.Equal([".sourceignore", "deploy/.sourceignore", "deploy/app.yaml", "keep.md"], files.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(4, artifact.FileCount);
    }

    [Fact]
    public async Task Pack_IdenticalTreesInDifferentReposGiveIdenticalDigests()
    {
        var a = NewRepo();
        var b = NewRepo();
        a.Write("x/one.yaml", "1").Write("two.yaml", "2").Commit("from a");
        b.Write("other.txt", "history differs").Commit("first in b");
        b.Delete("other.txt");
        b.Write("two.yaml", "2").Write("x/one.yaml", "1").Commit("second in b");
        Assert.NotEqual(a.Head(), b.Head());

        var mirror = new GitMirror(_mirrors);
        var specA = Spec(a.FileUrl, new GitRef(Branch: "main"));
        var specB = Spec(b.FileUrl, new GitRef(Branch: "main"));
        var artifactA = await mirror.PackAsync("ns/a", await mirror.FetchAsync("ns/a", specA, CancellationToken.None), specA, CancellationToken.None);
        var artifactB = await mirror.PackAsync("ns/b", await mirror.FetchAsync("ns/b", specB, CancellationToken.None), specB, CancellationToken.None);
        Assert.Equal(artifactA.Digest, artifactB.Digest);
        Assert.StartsWith("sha256:", artifactA.Digest);
        Assert.Equal(artifactA.Content.Length, artifactA.Size);
    }

    [Fact]
    public async Task Pack_EntriesAreNormalized_SortedWithFixedTimesModesAndOwners()
    {
        var repo = NewRepo();
        repo.Write("z.sh", "#!/bin/sh\n").Write("a/b.yaml", "b").Write("m.yaml", "m");
        File.SetUnixFileMode(Path.Combine(repo.Path, "z.sh"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        repo.Commit();
        var mirror = new GitMirror(_mirrors);
        var spec = Spec(repo.FileUrl, new GitRef(Branch: "main"));
        var artifact = await mirror.PackAsync("ns/norm", await mirror.FetchAsync("ns/norm", spec, CancellationToken.None), spec, CancellationToken.None);

        var names = new List<string>();
        using var gz = new GZipStream(new MemoryStream(artifact.Content), CompressionMode.Decompress);
        using var tar = new TarReader(gz);
        while (await tar.GetNextEntryAsync() is { } entry)
        {
            names.Add(entry.Name);
            Assert.Equal(DateTimeOffset.UnixEpoch, entry.ModificationTime);
            Assert.Equal(0, entry.Uid);
            Assert.Equal(0, entry.Gid);
            Assert.Equal(string.Empty, ((PosixTarEntry)entry).UserName);
            var expected = entry.Name == "z.sh" ? Convert.ToInt32("755", 8) : Convert.ToInt32("644", 8);
            Assert.Equal(expected, (int)entry.Mode);
        }

        Assert.Equal(["a/b.yaml", "m.yaml", "z.sh"], names);

        // The gzip header carries no time stamp.
        Assert.Equal([0x1f, 0x8b], artifact.Content[..2]);
        Assert.Equal([0, 0, 0, 0], artifact.Content[4..8]);
    }

    [Fact]
    public async Task Pack_OverTheSizeLimit_IsArtifactTooLargeWithAClearMessage()
    {
        var repo = NewRepo();
        var noise = new byte[256 * 1024];
        new Random(42).NextBytes(noise);
        repo.WriteBytes("blob.bin", noise).Commit();
        var mirror = new GitMirror(_mirrors);
        var spec = Spec(repo.FileUrl, new GitRef(Branch: "main"), max: 64 * 1024);
        var resolved = await mirror.FetchAsync("ns/big", spec, CancellationToken.None);
        var ex = await Assert.ThrowsAsync<GitSourceException>(() => mirror.PackAsync("ns/big", resolved, spec, CancellationToken.None));
        Assert.Equal(GitSourceReasons.ArtifactTooLarge, ex.Reason);
        Assert.Contains("65536 bytes", ex.Message);
    }

    [Fact]
    public async Task Pack_LongPathsRoundTripThroughTheReader()
    {
        var repo = NewRepo();
        var longPath = string.Join('/', Enumerable.Repeat("very-long-directory-name", 12)) + "/file.yaml";
        repo.Write(longPath, "deep").Write("top.yaml", "top").Commit();
        var mirror = new GitMirror(_mirrors);
        var spec = Spec(repo.FileUrl, new GitRef(Branch: "main"));
        var artifact = await mirror.PackAsync("ns/long", await mirror.FetchAsync("ns/long", spec, CancellationToken.None), spec, CancellationToken.None);

        var target = TempDir.Create("fleet-extract-");
        try
        {
            Assert.Equal(2, await ArtifactReader.ExtractAsync(artifact.Content, target, CancellationToken.None));
            Assert.Equal("deep", File.ReadAllText(Path.Combine(target, longPath)));
            Assert.Equal("top", File.ReadAllText(Path.Combine(target, "top.yaml")));
        }
        finally
        {
            TempDir.Delete(target);
        }
    }

    [Fact]
    public async Task Pack_LeavesOutSymlinks()
    {
        var repo = NewRepo();
        repo.Write("real.yaml", "r");
        File.CreateSymbolicLink(Path.Combine(repo.Path, "link.yaml"), "/etc/passwd");
        repo.Commit();
        var mirror = new GitMirror(_mirrors);
        var spec = Spec(repo.FileUrl, new GitRef(Branch: "main"));
        var files = await FilesOf(await mirror.PackAsync("ns/link", await mirror.FetchAsync("ns/link", spec, CancellationToken.None), spec, CancellationToken.None));
        Assert.Equal(["real.yaml"], files.Keys);
    }

    [Fact]
    public async Task Fetch_InvalidRefs_AreInvalidSpecErrorsNamingTheField()
    {
        var repo = NewRepo();
        repo.Write("a", "1").Commit();
        var mirror = new GitMirror(_mirrors);
        var shortSha = await Assert.ThrowsAsync<GitSourceException>(() => mirror.FetchAsync("ns/bad", Spec(repo.FileUrl, new GitRef(Commit: "abc123")), CancellationToken.None));
        Assert.Equal(GitSourceReasons.InvalidSpec, shortSha.Reason);
        Assert.Contains("spec.ref.commit", shortSha.Message);
        var name = await Assert.ThrowsAsync<GitSourceException>(() => mirror.FetchAsync("ns/bad", Spec(repo.FileUrl, new GitRef(Name: "pull/1/head")), CancellationToken.None));
        Assert.Contains("spec.ref.name", name.Message);
        var refspec = await Assert.ThrowsAsync<GitSourceException>(() => mirror.FetchAsync("ns/bad", Spec(repo.FileUrl, new GitRef(Branch: "main:refs/heads/x")), CancellationToken.None));
        Assert.Equal(GitSourceReasons.InvalidSpec, refspec.Reason);
        Assert.Contains("spec.ref.branch", refspec.Message);
        var option = await Assert.ThrowsAsync<GitSourceException>(() => mirror.FetchAsync("ns/bad", Spec(repo.FileUrl, new GitRef(Tag: "--upload-pack=evil")), CancellationToken.None));
        Assert.Contains("spec.ref.tag", option.Message);
    }

    [Fact]
    public async Task FetchAsync_BoundsConcurrentNetworkOperationsByTheLimiter()
    {
        var repo = NewRepo();
        repo.Write("a", "1").Commit();
        using var limiter = new SemaphoreSlim(2, 2);
        var mirror = new GitMirror(_mirrors, limiter);
        var fetches = 0;
        var unlimited = 0;
        mirror.NetworkObserver = _ =>
        {
            Interlocked.Increment(ref fetches);
            if (limiter.CurrentCount >= 2)
            {
                Interlocked.Increment(ref unlimited);
            }
        };
        var spec = Spec(repo.FileUrl, new GitRef(Branch: "main"));
        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => mirror.FetchAsync($"ns/limited-{i}", spec, CancellationToken.None)));
        Assert.Equal(8, fetches);
        Assert.Equal(0, unlimited);
        Assert.Equal(2, limiter.CurrentCount);
    }
}
