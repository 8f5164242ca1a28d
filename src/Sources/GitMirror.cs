using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using LibGit2Sharp;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fleet.Sources;

/// <summary>
/// One bare git mirror per source under <c>mirrorsRoot</c>, driven in process by libgit2 (LibGit2Sharp).
/// <see cref="FetchAsync"/> fetches only the ref the spec asks for (shallow where the ref and transport allow)
/// and records the commit it resolves to in the single ref <c>refs/fleet/target</c>; <see cref="PackAsync"/>
/// packs the tree at that commit, read from the object database, into a deterministic tar.gz. Calls for one
/// source are serialized; network operations of all sources share the optional fetch limiter. No credential
/// is ever written under the mirror.
/// </summary>
public sealed partial class GitMirror
{
    private const string TargetRef = "refs/fleet/target";
    private const string IncomingRef = "refs/fleet/incoming";
    private const string AllHeadsPrefix = "refs/fleet/heads/";
    private const string FetchedRefKey = "fleet.fetchedRef";

    private readonly string _root;
    private readonly SemaphoreSlim? _fetchLimiter;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);

    public GitMirror(string mirrorsRoot, SemaphoreSlim? fetchLimiter = null, ILogger? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(mirrorsRoot);
        _root = Path.GetFullPath(mirrorsRoot);
        _fetchLimiter = fetchLimiter;
        _logger = logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        Directory.CreateDirectory(_root);
        LibGit2Settings.EnsureApplied();
    }

    /// <summary>Called with what is fetched each time a network operation starts, while it holds the fetch limiter; tests observe it.</summary>
    internal Action<string>? NetworkObserver { get; set; }

    /// <summary>
    /// Shallow fetches over ssh: off, because libgit2 1.8.6 breaks them (on a stateful connection it sends its
    /// want lines again after the depth exchange, and git upload-pack stops with "expected SHA1 list"; fixed in
    /// libgit2 1.9.0, commits eb84531 and bef4b73). Only the test that shows this turns it on.
    /// </summary>
    internal bool ShallowOverSsh { get; set; }

    /// <summary>A mirror with more pack files than this is rewritten into one pack after a pack (see <see cref="Maintain"/>).</summary>
    internal int MaxPackFiles { get; set; } = 16;

    /// <summary>The bare repository that holds <paramref name="sourceKey"/>'s objects.</summary>
    public string MirrorPath(string sourceKey)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sourceKey);
        var readable = Regex.Replace(sourceKey.ToLowerInvariant(), "[^a-z0-9._-]+", "-").Trim('-', '.');
        if (readable.Length > 60)
        {
            readable = readable[..60];
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sourceKey)))[..12];
        return Path.Combine(_root, $"{readable}-{hash}.git");
    }

    /// <summary>Removes a source's mirror, for when the source is deleted.</summary>
    public async Task DeleteAsync(string sourceKey, CancellationToken ct)
    {
        var path = MirrorPath(sourceKey);
        var gate = Gate(path);
        await gate.WaitAsync(ct);
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Fetches the ref of <paramref name="spec"/> into the source's mirror and resolves it.</summary>
    /// <exception cref="GitSourceException">With reason RefNotFound, AuthenticationFailed, GitOperationFailed or InvalidSpec.</exception>
    public async Task<ResolvedRevision> FetchAsync(string sourceKey, GitSourceSpec spec, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var url = GitUrl.Parse(spec.Url);
        var timeout = spec.Timeout <= TimeSpan.Zero ? GitSourceSpec.DefaultTimeout : spec.Timeout;
        var path = MirrorPath(sourceKey);
        var gate = await EnterAsync(sourceKey, path, timeout, ct);
        var started = Stopwatch.GetTimestamp();
        Operation op;
        try
        {
            op = new Operation(this, path, url, GitAuth.Create(url, spec.Credentials, timeout));
        }
        catch (GitSourceException ex)
        {
            gate.Release();
            LogFetchFailed(_logger, sourceKey, ex.Reason, ex.Message);
            throw;
        }

        try
        {
            var resolved = await RunAsync(op, gate, () => op.Resolve(spec.Ref), timeout, ct);
            LogFetched(_logger, sourceKey, resolved.Revision, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return resolved;
        }
        catch (GitSourceException ex)
        {
            LogFetchFailed(_logger, sourceKey, ex.Reason, ex.Message);
            throw;
        }
    }

    /// <summary>Packs the tree at <paramref name="revision"/> (minus ignored paths) into a deterministic tar.gz.</summary>
    /// <exception cref="GitSourceException">With reason ArtifactTooLarge, or GitOperationFailed when the commit is not in the mirror.</exception>
    public async Task<Artifact> PackAsync(string sourceKey, ResolvedRevision revision, GitSourceSpec spec, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(revision);
        ArgumentNullException.ThrowIfNull(spec);
        var path = MirrorPath(sourceKey);
        var timeout = spec.Timeout <= TimeSpan.Zero ? GitSourceSpec.DefaultTimeout : spec.Timeout;
        var gate = await EnterAsync(sourceKey, path, timeout, ct);
        var started = Stopwatch.GetTimestamp();
        try
        {
            if (!File.Exists(Path.Combine(path, "HEAD")))
            {
                throw new GitSourceException(GitSourceReasons.GitOperationFailed, $"source '{sourceKey}' has no mirror yet: fetch it first");
            }

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(timeout);
            var (content, files) = await Task.Run(
                () =>
                {
                    using var repo = new Repository(path);
                    var packed = ArtifactPacker.Pack(repo, revision.CommitSha, spec.Ignore, spec.MaxArtifactBytes, revision.Revision, deadline.Token);
                    try
                    {
                        Maintain(repo, path);
                    }
                    catch (Exception ex) when (ex is LibGit2SharpException or IOException or UnauthorizedAccessException)
                    {
                        // The artifact is made; a mirror that could not be compacted is tried again after the next pack.
                        LogCompactionFailed(_logger, sourceKey, ex);
                    }

                    return packed;
                },
                CancellationToken.None);
            var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));
            LogPacked(_logger, sourceKey, revision.Revision, digest, content.Length, files, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return new Artifact(revision.Revision, digest, content.Length, content, _time.GetUtcNow(), files);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new GitSourceException(GitSourceReasons.GitOperationFailed, $"packing {revision.Revision} of source '{sourceKey}' timed out");
        }
        catch (Exception ex) when (ex is LibGit2SharpException or IOException or UnauthorizedAccessException)
        {
            throw new GitSourceException(GitSourceReasons.GitOperationFailed, $"packing {revision.Revision} of source '{sourceKey}' failed: {ex.Message}", ex);
        }
        finally
        {
            gate.Release();
        }
    }

    private SemaphoreSlim Gate(string path) => _locks.GetOrAdd(path, _ => new SemaphoreSlim(1, 1));

    /// <summary>
    /// Takes the source's lock, waiting at most <paramref name="timeout"/>: an operation that outlived its own
    /// deadline (libgit2 still waiting on a server) keeps the lock until libgit2 returns, and a caller must not
    /// wait for that without bound.
    /// </summary>
    private async Task<SemaphoreSlim> EnterAsync(string sourceKey, string path, TimeSpan timeout, CancellationToken ct)
    {
        var gate = Gate(path);
        if (!await gate.WaitAsync(timeout, ct))
        {
            var ex = new GitSourceException(
                GitSourceReasons.GitOperationFailed,
                $"source '{sourceKey}' is busy: an earlier operation on its mirror has not ended within {timeout.TotalSeconds:0.###}s");
            LogFetchFailed(_logger, sourceKey, ex.Reason, ex.Message);
            throw ex;
        }

        return gate;
    }

    /// <summary>
    /// Runs <paramref name="work"/> (blocking libgit2 calls) on its own thread and waits for it until the deadline
    /// or the caller's cancellation. The caller is answered at once; the operation is told to stop (its callbacks
    /// return false, its ssh process is killed) and keeps the source's lock until libgit2 has returned, so that the
    /// mirror is never used by two operations at a time.
    /// </summary>
    private static async Task<T> RunAsync<T>(Operation op, SemaphoreSlim gate, Func<T> work, TimeSpan timeout, CancellationToken ct)
    {
        var task = Task.Factory.StartNew(
            () =>
            {
                try
                {
                    return work();
                }
                catch (Exception ex) when (ex is LibGit2SharpException or IOException or UnauthorizedAccessException)
                {
                    // The mirror itself failed (network errors are already GitSourceExceptions): libgit2's and the
                    // file system's messages name paths and objects, never a credential.
                    throw new GitSourceException(GitSourceReasons.GitOperationFailed, $"the mirror for {op.Url.SafeUrl} could not be used: {GitUrl.Scrub(ex.Message)}", ex);
                }
                finally
                {
                    op.Dispose();
                    gate.Release();
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            return await task.WaitAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            if (task.IsCompleted)
            {
                // It finished as the deadline passed: its own outcome stands.
                return await task;
            }

            op.Abort();
            _ = task.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            ct.ThrowIfCancellationRequested();
            throw new GitSourceException(
                GitSourceReasons.GitOperationFailed,
                $"git fetch from {op.Url.SafeUrl} timed out after {timeout.TotalSeconds:0.###}s");
        }
    }

    /// <summary>
    /// Refuses ref names git would reject or that could change the meaning of a refspec
    /// (a ':' would name another destination), before anything is fetched.
    /// </summary>
    private static string CheckRefName(string field, string value)
    {
        var name = value.Trim();
        if (name.Length == 0 || name.StartsWith('-') || name.EndsWith('/') || name.EndsWith(".lock", StringComparison.Ordinal)
            || name.Contains("..", StringComparison.Ordinal) || name.Contains("@{", StringComparison.Ordinal) || name.Contains("//", StringComparison.Ordinal)
            || name.Any(c => char.IsControl(c) || char.IsWhiteSpace(c) || c is ':' or '~' or '^' or '?' or '*' or '[' or '\\'))
        {
            throw new GitSourceException(GitSourceReasons.InvalidSpec, $"{field} '{name}' is not a valid git ref name");
        }

        return name;
    }

    /// <summary>
    /// git has no garbage collection in libgit2, so the mirror is kept compact here: each fetch that brings
    /// objects adds a pack file, and once there are more than <see cref="MaxPackFiles"/>, the commits reachable
    /// from <c>refs/fleet/target</c> (all of them the mirror has: one for a shallow mirror) and their trees are
    /// written into one new pack, and every other pack and loose object is removed. The shallow list keeps only
    /// the commits that are still there.
    /// </summary>
    private void Maintain(Repository repo, string mirror)
    {
        var objects = Path.Combine(mirror, "objects");
        var packDir = Path.Combine(objects, "pack");
        var packs = Directory.Exists(packDir) ? Directory.GetFiles(packDir, "*.pack") : [];
        var looseDirs = Directory.GetDirectories(objects).Where(d => Path.GetFileName(d).Length == 2).ToList();
        if (packs.Length + (looseDirs.Count > 0 ? 1 : 0) <= MaxPackFiles || repo.Refs[TargetRef]?.ResolveToDirectReference()?.Target is not Commit target)
        {
            return;
        }

        var staging = Path.Combine(objects, "fleet-repack");
        if (Directory.Exists(staging))
        {
            Directory.Delete(staging, recursive: true);
        }

        Directory.CreateDirectory(staging);
        var kept = new HashSet<string>(StringComparer.Ordinal);
        repo.ObjectDatabase.Pack(new PackBuilderOptions(staging), builder =>
        {
            foreach (var commit in repo.Commits.QueryBy(new CommitFilter { IncludeReachableFrom = target }))
            {
                builder.AddRecursively(commit);
                kept.Add(commit.Sha);
            }
        });

        var written = Directory.GetFiles(staging);
        foreach (var file in written.OrderBy(f => f.EndsWith(".idx", StringComparison.Ordinal) ? 1 : 0))
        {
            File.Move(file, Path.Combine(packDir, Path.GetFileName(file)), overwrite: true);
        }

        Directory.Delete(staging);
        var fresh = written.Select(Path.GetFileNameWithoutExtension).ToHashSet(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(packDir).Where(f => !fresh.Contains(Path.GetFileNameWithoutExtension(f))))
        {
            File.Delete(file);
        }

        foreach (var dir in looseDirs)
        {
            Directory.Delete(dir, recursive: true);
        }

        ShallowList.Retain(mirror, kept);
        LogCompacted(_logger, mirror, packs.Length, kept.Count);
    }

    /// <summary>One fetch of one source: the mirror, the URL, the credentials and the means to stop it.</summary>
    private sealed class Operation(GitMirror owner, string mirror, GitUrl url, GitAuth auth) : IDisposable
    {
        private readonly CancellationTokenSource _abort = new();
        private volatile bool _aborted;

        public GitUrl Url => url;

        public void Abort()
        {
            _aborted = true;
            _abort.Cancel();
            auth.StopSsh();
        }

        public void Dispose() => auth.Dispose();

        public ResolvedRevision Resolve(GitRef gitRef)
        {
            // libgit2's local transport cannot keep a shallow mirror: it fetches no shallow commits and writes
            // an empty shallow list, which would leave the mirror claiming history it lacks. A shallow mirror
            // (made over http or ssh before its URL became file://, or by Fleet's earlier git CLI engine) is
            // made again from scratch before a file:// fetch.
            // A mirror whose shallow list was being put right when its process stopped may claim history it
            // lacks: it is made again too.
            if (url.IsFile && IsShallow || File.Exists(Path.Combine(mirror, ShallowList.RepairMarker)))
            {
                Directory.Delete(mirror, recursive: true);
            }

            if (!File.Exists(Path.Combine(mirror, "HEAD")))
            {
                Repository.Init(mirror, isBare: true);
            }

            using var repo = new Repository(mirror);
            if (!string.IsNullOrWhiteSpace(gitRef.Commit))
            {
                var branchOfCommit = string.IsNullOrWhiteSpace(gitRef.Branch) ? null : CheckRefName("spec.ref.branch", gitRef.Branch);
                return ResolveCommit(repo, gitRef.Commit.Trim().ToLowerInvariant(), branchOfCommit);
            }

            if (!string.IsNullOrWhiteSpace(gitRef.Name))
            {
                var name = CheckRefName("spec.ref.name", gitRef.Name);
                if (!name.StartsWith("refs/", StringComparison.Ordinal))
                {
                    throw new GitSourceException(GitSourceReasons.InvalidSpec, $"spec.ref.name '{name}' must be a full ref name starting with refs/");
                }

                var sha = FetchRef(repo, name, $"ref '{name}'");
                return new ResolvedRevision($"{name}@sha1:{sha}", sha, name);
            }

            if (!string.IsNullOrWhiteSpace(gitRef.SemVer))
            {
                var range = SemVerRange.Parse(gitRef.SemVer);
                var tag = range.SelectHighest(ListTags(repo))
                    ?? throw new GitSourceException(GitSourceReasons.RefNotFound, $"no tag in {url.SafeUrl} matches semver range '{gitRef.SemVer}'");
                var sha = FetchRef(repo, "refs/tags/" + tag, $"tag '{tag}'");
                return new ResolvedRevision($"{tag}@sha1:{sha}", sha, tag);
            }

            if (!string.IsNullOrWhiteSpace(gitRef.Tag))
            {
                var tag = CheckRefName("spec.ref.tag", gitRef.Tag);
                var sha = FetchRef(repo, "refs/tags/" + tag, $"tag '{tag}'");
                return new ResolvedRevision($"{tag}@sha1:{sha}", sha, tag);
            }

            var branch = string.IsNullOrWhiteSpace(gitRef.Branch) ? GitRef.DefaultBranch : CheckRefName("spec.ref.branch", gitRef.Branch);
            var head = FetchRef(repo, "refs/heads/" + branch, $"branch '{branch}'");
            return new ResolvedRevision($"{branch}@sha1:{head}", head, branch);
        }

        /// <summary>Fetches one ref, shallow where the transport allows, and makes its commit the target.</summary>
        private string FetchRef(Repository repo, string remoteRef, string what)
        {
            var commit = FetchIncoming(repo, remoteRef, what, DepthFor(repo, remoteRef));
            SetTarget(repo, commit);
            return commit.Sha;
        }

        /// <summary>True when the mirror lacks history below some commits (libgit2 keeps them in <c>shallow</c>).</summary>
        private bool IsShallow => File.Exists(Path.Combine(mirror, "shallow"));

        /// <summary>
        /// Whether fetches may have a depth: over http(s) only. libgit2's local transport refuses depths, and
        /// libgit2 1.8.6 breaks them over ssh (see <see cref="ShallowOverSsh"/>), so file:// and ssh mirrors are full.
        /// </summary>
        private bool CanShallow => url.IsHttp || url.IsSsh && owner.ShallowOverSsh;

        /// <summary>
        /// How deep to fetch <paramref name="remoteRef"/>. Where <see cref="CanShallow"/>, a new mirror starts
        /// shallow: the ref's commit alone (depth 1), since an artifact needs only its tree. A shallow mirror fetches
        /// a ref it fetched last time without a depth: libgit2 tells the server its shallow commits and brings only
        /// the commits above what it has, so later fetches stay incremental and shallow (and cost one request when
        /// nothing changed, where a depth would make libgit2 ask for the tip again). A ref it has not fetched before
        /// starts again at depth 1. A full mirror (file://, ssh, one made before shallow fetches, or one deepened
        /// for a pinned commit) stays full.
        /// </summary>
        private int DepthFor(Repository repo, string remoteRef)
        {
            if (!CanShallow)
            {
                return LibGit2Fetch.FullDepth;
            }

            if (repo.Refs[TargetRef] is null)
            {
                return 1;
            }

            return IsShallow && repo.Config.Get<string>(FetchedRefKey)?.Value != remoteRef ? 1 : LibGit2Fetch.FullDepth;
        }

        /// <summary>
        /// Fetches <paramref name="remoteRef"/> into <c>refs/fleet/incoming</c>, which is deleted first: libgit2
        /// quietly skips a refspec the server has no ref for, so only a ref that is there afterwards was found.
        /// The last target stays, so that negotiation tells the server what the mirror already has.
        /// </summary>
        private Commit FetchIncoming(Repository repo, string remoteRef, string what, int depth)
        {
            repo.Refs.Remove(IncomingRef);
            Fetch(repo, [$"+{remoteRef}:{IncomingRef}"], what, depth);
            var incoming = repo.Refs[IncomingRef]
                ?? throw new GitSourceException(GitSourceReasons.RefNotFound, $"{what} not found in {url.SafeUrl}");
            var commit = PeelToCommit(incoming.ResolveToDirectReference()?.Target)
                ?? throw new GitSourceException(GitSourceReasons.RefNotFound, $"{what} in {url.SafeUrl} does not point to a commit");
            repo.Refs.Remove(IncomingRef);
            if (repo.Config.Get<string>(FetchedRefKey)?.Value != remoteRef)
            {
                repo.Config.Set(FetchedRefKey, remoteRef, ConfigurationLevel.Local);
            }

            return commit;
        }

        /// <summary>The commit an object is or (through annotated tags) points to; null for trees and blobs.</summary>
        private static Commit? PeelToCommit(GitObject? target)
        {
            try
            {
                return target switch
                {
                    Commit commit => commit,
                    TagAnnotation tag => tag.Target.Peel<Commit>(),
                    _ => null,
                };
            }
            catch (PeelException)
            {
                return null;
            }
        }

        private ResolvedRevision ResolveCommit(Repository repo, string commit, string? branch)
        {
            if (!Regex.IsMatch(commit, "^[0-9a-f]{40}$"))
            {
                throw new GitSourceException(GitSourceReasons.InvalidSpec, $"spec.ref.commit '{commit}' must be a full 40-character commit id");
            }

            if (branch is not null)
            {
                // The commit must be on the branch: fetch the branch and check. A shallow mirror may lack the
                // history between the two; it is then deepened to the branch's full history (libgit2's unshallow
                // fetch, after which the mirror is full) and checked again.
                var remoteRef = "refs/heads/" + branch;
                var tip = FetchIncoming(repo, remoteRef, $"branch '{branch}'", DepthFor(repo, remoteRef));
                var pinned = OnBranch(repo, commit, tip);
                if (pinned is null && IsShallow)
                {
                    FetchIncoming(repo, remoteRef, $"branch '{branch}'", LibGit2Fetch.Unshallow);

                    // libgit2 caches commits parsed while they were shallow (without parents): read them afresh.
                    using var deepened = new Repository(mirror);
                    var deep = OnBranch(deepened, commit, deepened.Lookup<Commit>(tip.Id));
                    if (deep is not null)
                    {
                        SetTarget(deepened, deep);
                        return new ResolvedRevision($"{branch}@sha1:{commit}", commit, branch);
                    }
                }

                if (pinned is null)
                {
                    throw new GitSourceException(GitSourceReasons.RefNotFound, $"commit {commit} is not on branch '{branch}' of {url.SafeUrl}");
                }

                SetTarget(repo, pinned);
                return new ResolvedRevision($"{branch}@sha1:{commit}", commit, branch);
            }

            var found = repo.Lookup<Commit>(commit);
            if (found is null)
            {
                found = FetchCommit(repo, commit)
                    ?? throw new GitSourceException(GitSourceReasons.RefNotFound, $"commit {commit} not found in {url.SafeUrl}");
            }

            SetTarget(repo, found);
            return new ResolvedRevision($"sha1:{commit}", commit, null);
        }

        /// <summary>The pinned commit when it is the tip or one of its ancestors in the mirror, else null.</summary>
        private static Commit? OnBranch(Repository repo, string commit, Commit? tip)
        {
            var pinned = repo.Lookup<Commit>(commit);
            return pinned is not null && tip is not null && (pinned.Id == tip.Id || repo.ObjectDatabase.FindMergeBase(pinned, tip)?.Id == pinned.Id)
                ? pinned
                : null;
        }

        /// <summary>
        /// Fetches one commit by id where the server allows it (a capability libgit2 checks; its local transport
        /// and many servers lack it), shallow where the transport allows; else every branch's full history (a
        /// shallow mirror is deepened to it), in which the commit is then looked for.
        /// </summary>
        private Commit? FetchCommit(Repository repo, string commit)
        {
            try
            {
                // A commit by id is new to the mirror: shallow unless the mirror is full already (or cannot be shallow).
                var full = !CanShallow || repo.Refs[TargetRef] is not null && !IsShallow;
                repo.Refs.Remove(IncomingRef);
                Fetch(repo, [$"{commit}:{IncomingRef}"], $"commit {commit}", full ? LibGit2Fetch.FullDepth : 1);
                repo.Refs.Remove(IncomingRef);
                return repo.Lookup<Commit>(commit);
            }
            catch (GitSourceException ex) when (ex.InnerException is LibGit2SharpException inner
                && inner.Message.Contains("cannot fetch a specific object", StringComparison.Ordinal))
            {
                // The server cannot serve an object by id: fall back to fetching all branches.
            }

            Fetch(repo, [$"+refs/heads/*:{AllHeadsPrefix}*"], $"commit {commit}", IsShallow ? LibGit2Fetch.Unshallow : LibGit2Fetch.FullDepth);
            var found = repo.Lookup<Commit>(commit);
            foreach (var reference in repo.Refs.FromGlob(AllHeadsPrefix + "*").ToList())
            {
                repo.Refs.Remove(reference);
            }

            return found;
        }

        private static void SetTarget(Repository repo, Commit commit) => repo.Refs.Add(TargetRef, commit.Id, allowOverwrite: true);

        /// <summary>
        /// Fetches <paramref name="refspecs"/> from the source at <paramref name="depth"/> (see <see cref="DepthFor"/>),
        /// no tags followed, nothing pruned, through <see cref="LibGit2Fetch"/> (LibGit2Sharp's fetch takes no depth).
        /// A source with a bearer token follows no redirect to another host: libgit2 sends its header with every request.
        /// Over http(s) and ssh the shallow list is put right afterwards (see <see cref="ShallowList"/>); file://
        /// mirrors are never shallow.
        /// </summary>
        private void Fetch(Repository repo, IReadOnlyList<string> refspecs, string what, int depth)
        {
            var remote = EnsureRemote(repo);
            var request = new LibGit2Fetch.Request(
                mirror,
                remote,
                refspecs,
                depth,
                auth.Headers,
                FollowRedirects: auth.BearerToken is null,
                auth.CredentialsFor,
                () => _aborted);
            if (url.IsFile)
            {
                Network(repo, what, "fetch", () => LibGit2Fetch.Fetch(request));
                return;
            }

            // libgit2 1.8.6 misreads a depth fetch that negotiates in more than one round over http (20 or more
            // commits to offer): the server puts shallow lines before each answer and libgit2 then reads the
            // answers of earlier requests (fixed in libgit2 1.9.0, commit bed00cd). So a fetch with a depth offers
            // the server nothing: the target, the one ref the mirror keeps, is set aside meanwhile, and the ref's
            // tree comes whole, as in a new shallow clone.
            var target = depth > 0 ? repo.Refs[TargetRef]?.ResolveToDirectReference()?.TargetIdentifier : null;
            if (target is not null)
            {
                repo.Refs.Remove(TargetRef);
            }

            var shallow = ShallowList.Read(mirror);
            try
            {
                Network(repo, what, "fetch", () => LibGit2Fetch.Fetch(request));
            }
            finally
            {
                ShallowList.Repair(mirror, shallow);
                if (target is not null && repo.Refs[TargetRef] is null)
                {
                    repo.Refs.Add(TargetRef, new ObjectId(target), allowOverwrite: true);
                }
            }
        }

        /// <summary>
        /// The mirror's one remote, <c>fleet</c>, with the source's URL as shown (never with credentials) and no
        /// fetch refspec of its own: <see cref="LibGit2Fetch"/> looks the remote up by name, and every fetch names
        /// the refspec it wants.
        /// </summary>
        private string EnsureRemote(Repository repo)
        {
            const string name = "fleet";
            var remote = repo.Network.Remotes[name];
            if (remote is null)
            {
                repo.Network.Remotes.Add(name, url.SafeUrl, "+refs/fleet/unused:refs/fleet/unused");
            }
            else if (remote.Url == url.SafeUrl && !remote.FetchRefSpecs.Any())
            {
                return name;
            }

            repo.Network.Remotes.Update(name, r =>
            {
                r.Url = url.SafeUrl;
                r.FetchRefSpecs.Clear();
            });
            return name;
        }

        private List<string> ListTags(Repository repo)
        {
            IEnumerable<string> names = auth.BearerToken is not null
                ? Network(repo, "tags", "ls-remote", () => SmartHttpRefs.List(url.SafeUrl, auth.Headers, LibGit2Settings.StallTimeout, _abort.Token))
                : Network(repo, "tags", "ls-remote", () => repo.Network.ListReferences(url.SafeUrl, auth.CredentialsHandler).Select(r => r.CanonicalName).ToList());
            return names
                .Where(n => n.StartsWith("refs/tags/", StringComparison.Ordinal) && !n.EndsWith("^{}", StringComparison.Ordinal))
                .Select(n => n["refs/tags/".Length..])
                .Distinct(StringComparer.Ordinal)
                .ToList();
        }

        private void Network(Repository repo, string what, string command, Action action) =>
            Network(repo, what, command, () =>
            {
                action();
                return true;
            });

        /// <summary>
        /// One network operation: under the fetch limiter, with the mirror's transport settings for its
        /// duration (the ssh launcher), libgit2's errors turned into scrubbed <see cref="GitSourceException"/>s.
        /// </summary>
        private T Network<T>(Repository repo, string what, string command, Func<T> action)
        {
            if (owner._fetchLimiter is not null)
            {
                try
                {
                    owner._fetchLimiter.Wait(_abort.Token);
                }
                catch (OperationCanceledException)
                {
                    throw Stopped();
                }
            }

            var ssh = auth.SshLauncher is not null;
            try
            {
                owner.NetworkObserver?.Invoke(what);
                if (_aborted)
                {
                    throw Stopped();
                }

                if (ssh)
                {
                    repo.Config.Set("core.sshCommand", auth.SshLauncher, ConfigurationLevel.Local);
                }

                return action();
            }
            catch (LibGit2SharpException ex)
            {
                throw Fail(ex, command, what);
            }
            catch (HttpRequestException ex) when (ex.StatusCode is System.Net.HttpStatusCode.Unauthorized or System.Net.HttpStatusCode.Forbidden)
            {
                throw new GitSourceException(
                    GitSourceReasons.AuthenticationFailed,
                    $"git {command} from {url.SafeUrl} failed: authentication was refused (check the source's secret)",
                    ex);
            }
            catch (HttpRequestException ex)
            {
                throw new GitSourceException(GitSourceReasons.GitOperationFailed, $"git {command} of {what} from {url.SafeUrl} failed: {Scrub(ex.Message)}");
            }
            finally
            {
                if (ssh)
                {
                    repo.Config.Unset("core.sshCommand", ConfigurationLevel.Local);
                }

                owner._fetchLimiter?.Release();
            }
        }

        private GitSourceException Stopped() =>
            new(GitSourceReasons.GitOperationFailed, $"git fetch from {url.SafeUrl} was stopped (timed out or cancelled)");

        private GitSourceException Fail(LibGit2SharpException ex, string command, string what)
        {
            if (_aborted)
            {
                return Stopped();
            }

            var message = Scrub(ex.Message);
            var sshErrors = Scrub(auth.SshErrors().Trim());
            var lower = (message + "\n" + sshErrors).ToLowerInvariant();
            if (lower.Contains("host key verification failed", StringComparison.Ordinal)
                || lower.Contains("remote host identification has changed", StringComparison.Ordinal))
            {
                return new GitSourceException(
                    GitSourceReasons.AuthenticationFailed,
                    $"git {command} from {url.SafeUrl} failed: the server's host key is not in the secret's known_hosts",
                    ex);
            }

            if (auth.Denied
                || lower.Contains("permission denied", StringComparison.Ordinal)
                || lower.Contains("requires authentication", StringComparison.Ordinal)
                || lower.Contains("status code: 401", StringComparison.Ordinal)
                || lower.Contains("status code: 403", StringComparison.Ordinal)
                || lower.Contains("authentication replays", StringComparison.Ordinal))
            {
                return new GitSourceException(
                    GitSourceReasons.AuthenticationFailed,
                    $"git {command} from {url.SafeUrl} failed: authentication was refused (check the source's secret)",
                    ex);
            }

            if (lower.Contains("not our ref", StringComparison.Ordinal) || lower.Contains("want ", StringComparison.Ordinal) && lower.Contains("not valid", StringComparison.Ordinal))
            {
                return new GitSourceException(GitSourceReasons.RefNotFound, $"{what} not found in {url.SafeUrl}", ex);
            }

            var detail = string.Join(" ", (message + "\n" + sshErrors).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(3));
            return new GitSourceException(GitSourceReasons.GitOperationFailed, $"git {command} of {what} from {url.SafeUrl} failed: {detail}", ex);
        }

        private string Scrub(string text)
        {
            text = GitUrl.Scrub(text);
            foreach (var secret in auth.Secrets)
            {
                text = text.Replace(secret, "***", StringComparison.Ordinal);
            }

            return text;
        }
    }
}
