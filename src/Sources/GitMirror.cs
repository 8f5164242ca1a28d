using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fleet.Sources;

/// <summary>
/// One bare git mirror per source under <c>mirrorsRoot</c>, driven by the git CLI.
/// <see cref="FetchAsync"/> fetches only the ref the spec asks for (shallow where the ref allows) into the
/// single ref <c>refs/fleet/target</c> and resolves it to a commit; <see cref="PackAsync"/> packs the tree
/// at that commit into a deterministic tar.gz. Calls for one source are serialized; network operations of
/// all sources share the optional fetch limiter. No credential is ever written under the mirror.
/// </summary>
public sealed partial class GitMirror
{
    private const string TargetRef = "refs/fleet/target";

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
    }

    /// <summary>The process runner; tests observe the start infos it builds.</summary>
    internal GitProcessRunner Runner { get; } = new();

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
        var gate = _locks.GetOrAdd(path, _ => new SemaphoreSlim(1, 1));
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
        var path = MirrorPath(sourceKey);
        var gate = _locks.GetOrAdd(path, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var auth = GitAuth.Create(url, spec.Credentials);
            var op = new Operation(this, path, url, auth, spec.Timeout <= TimeSpan.Zero ? GitSourceSpec.DefaultTimeout : spec.Timeout);
            await op.EnsureMirrorAsync(ct);
            var resolved = await ResolveAsync(op, spec.Ref, ct);
            LogFetched(_logger, sourceKey, resolved.Revision, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return resolved;
        }
        catch (GitSourceException ex)
        {
            LogFetchFailed(_logger, sourceKey, ex.Reason, ex.Message);
            throw;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Packs the tree at <paramref name="revision"/> (minus ignored paths) into a deterministic tar.gz.</summary>
    /// <exception cref="GitSourceException">With reason ArtifactTooLarge, or GitOperationFailed when the commit is not in the mirror.</exception>
    public async Task<Artifact> PackAsync(string sourceKey, ResolvedRevision revision, GitSourceSpec spec, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(revision);
        ArgumentNullException.ThrowIfNull(spec);
        var path = MirrorPath(sourceKey);
        var gate = _locks.GetOrAdd(path, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        var started = Stopwatch.GetTimestamp();
        try
        {
            if (!Directory.Exists(path))
            {
                throw new GitSourceException(GitSourceReasons.GitOperationFailed, $"source '{sourceKey}' has no mirror yet: fetch it first");
            }

            var timeout = spec.Timeout <= TimeSpan.Zero ? GitSourceSpec.DefaultTimeout : spec.Timeout;
            var packer = new ArtifactPacker(Runner, path, timeout);
            var (content, files) = await packer.PackAsync(revision.CommitSha, spec.Ignore, spec.MaxArtifactBytes, revision.Revision, ct);
            var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));

            // Fetches skip git's automatic maintenance (it would detach background processes); a new
            // revision is the moment to let git decide whether the mirror needs repacking.
            await Runner.RunAsync(path, ["-c", "gc.autoDetach=false", "-c", "gc.pruneExpire=1.hour.ago", "gc", "--auto", "--quiet"], null, timeout, ct);
            LogPacked(_logger, sourceKey, revision.Revision, digest, content.Length, files, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return new Artifact(revision.Revision, digest, content.Length, content, _time.GetUtcNow(), files);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Refuses ref names git would reject or that could change the meaning of a refspec
    /// (a ':' would name another destination), before any process is started.
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

    private static async Task<ResolvedRevision> ResolveAsync(Operation op, GitRef gitRef, CancellationToken ct)
    {
        if (!string.IsNullOrWhiteSpace(gitRef.Commit))
        {
            return await op.ResolveCommitAsync(gitRef.Commit.Trim().ToLowerInvariant(), string.IsNullOrWhiteSpace(gitRef.Branch) ? null : CheckRefName("spec.ref.branch", gitRef.Branch), ct);
        }

        if (!string.IsNullOrWhiteSpace(gitRef.Name))
        {
            var name = CheckRefName("spec.ref.name", gitRef.Name);
            if (!name.StartsWith("refs/", StringComparison.Ordinal))
            {
                throw new GitSourceException(GitSourceReasons.InvalidSpec, $"spec.ref.name '{name}' must be a full ref name starting with refs/");
            }

            var sha = await op.FetchRefAsync(name, shallow: true, $"ref '{name}'", ct);
            return new ResolvedRevision($"{name}@sha1:{sha}", sha, name);
        }

        if (!string.IsNullOrWhiteSpace(gitRef.SemVer))
        {
            var range = SemVerRange.Parse(gitRef.SemVer);
            var tags = await op.ListTagsAsync(ct);
            var tag = range.SelectHighest(tags)
                ?? throw new GitSourceException(GitSourceReasons.RefNotFound, $"no tag in {op.Url.SafeUrl} matches semver range '{gitRef.SemVer}'");
            var sha = await op.FetchRefAsync("refs/tags/" + tag, shallow: true, $"tag '{tag}'", ct);
            return new ResolvedRevision($"{tag}@sha1:{sha}", sha, tag);
        }

        if (!string.IsNullOrWhiteSpace(gitRef.Tag))
        {
            var tag = CheckRefName("spec.ref.tag", gitRef.Tag);
            var sha = await op.FetchRefAsync("refs/tags/" + tag, shallow: true, $"tag '{tag}'", ct);
            return new ResolvedRevision($"{tag}@sha1:{sha}", sha, tag);
        }

        var branch = string.IsNullOrWhiteSpace(gitRef.Branch) ? GitRef.DefaultBranch : CheckRefName("spec.ref.branch", gitRef.Branch);
        var head = await op.FetchRefAsync("refs/heads/" + branch, shallow: true, $"branch '{branch}'", ct);
        return new ResolvedRevision($"{branch}@sha1:{head}", head, branch);
    }

    /// <summary>One fetch of one source: the mirror, the URL, the credentials' environment and the deadline.</summary>
    private sealed class Operation(GitMirror owner, string mirror, GitUrl url, GitAuth auth, TimeSpan timeout)
    {
        public GitUrl Url => url;

        public async Task EnsureMirrorAsync(CancellationToken ct)
        {
            if (File.Exists(Path.Combine(mirror, "HEAD")))
            {
                return;
            }

            var result = await owner.Runner.RunAsync(null, ["init", "--bare", "--quiet", mirror], null, timeout, ct);
            Check(result, "init");
        }

        public async Task<string> FetchRefAsync(string remoteRef, bool shallow, string what, CancellationToken ct)
        {
            var args = new List<string>(FetchPrefix());
            if (shallow)
            {
                args.Add("--depth=1");
            }

            args.AddRange(["--", url.SafeUrl, $"+{remoteRef}:{TargetRef}"]);
            var result = await NetworkAsync(args, ct);
            if (result.ExitCode != 0)
            {
                throw Fail(result, "fetch", what);
            }

            return await RevParseAsync(TargetRef + "^{commit}", ct)
                ?? throw new GitSourceException(GitSourceReasons.RefNotFound, $"{what} in {url.SafeUrl} does not point to a commit");
        }

        public async Task<IReadOnlyList<string>> ListTagsAsync(CancellationToken ct)
        {
            var result = await NetworkAsync(["ls-remote", "--tags", "--refs", "--", url.SafeUrl], ct);
            if (result.ExitCode != 0)
            {
                throw Fail(result, "ls-remote", "tags");
            }

            var tags = new List<string>();
            foreach (var line in result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var tab = line.IndexOf('\t', StringComparison.Ordinal);
                if (tab > 0 && line.AsSpan(tab + 1).StartsWith("refs/tags/"))
                {
                    tags.Add(line[(tab + 1 + "refs/tags/".Length)..]);
                }
            }

            return tags;
        }

        public async Task<ResolvedRevision> ResolveCommitAsync(string commit, string? branch, CancellationToken ct)
        {
            if (!Regex.IsMatch(commit, "^[0-9a-f]{40}$"))
            {
                throw new GitSourceException(GitSourceReasons.InvalidSpec, $"spec.ref.commit '{commit}' must be a full 40-character commit id");
            }

            var revision = branch is null ? $"sha1:{commit}" : $"{branch}@sha1:{commit}";
            if (branch is not null)
            {
                // The commit must be on the branch: fetch the branch's whole history and check.
                var args = new List<string>(FetchPrefix());
                if (File.Exists(Path.Combine(mirror, "shallow")))
                {
                    args.Add("--unshallow");
                }

                args.AddRange(["--", url.SafeUrl, $"+refs/heads/{branch}:{TargetRef}"]);
                var result = await NetworkAsync(args, ct);
                if (result.ExitCode != 0)
                {
                    throw Fail(result, "fetch", $"branch '{branch}'");
                }

                var ancestor = await owner.Runner.RunAsync(mirror, ["merge-base", "--is-ancestor", commit, TargetRef], null, timeout, ct);
                if (ancestor.ExitCode != 0)
                {
                    throw new GitSourceException(GitSourceReasons.RefNotFound, $"commit {commit} is not on branch '{branch}' of {url.SafeUrl}");
                }

                await UpdateTargetAsync(commit, ct);
                return new ResolvedRevision(revision, commit, branch);
            }

            if (await RevParseAsync(commit + "^{commit}", ct) is null)
            {
                // Servers speaking protocol v2 (git 2.18+) serve any commit they have by id.
                var args = new List<string>(FetchPrefix()) { "--depth=1", "--", url.SafeUrl, commit };
                var result = await NetworkAsync(args, ct);
                if (result.ExitCode != 0)
                {
                    throw Fail(result, "fetch", $"commit {commit}");
                }

                if (await RevParseAsync(commit + "^{commit}", ct) is null)
                {
                    throw new GitSourceException(GitSourceReasons.RefNotFound, $"commit {commit} not found in {url.SafeUrl}");
                }
            }

            await UpdateTargetAsync(commit, ct);
            return new ResolvedRevision(revision, commit, null);
        }

        private static IEnumerable<string> FetchPrefix() =>
            ["-c", "protocol.version=2", "-c", "core.logAllRefUpdates=false", "fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--no-auto-maintenance", "--no-recurse-submodules"];

        private async Task UpdateTargetAsync(string commit, CancellationToken ct)
        {
            var result = await owner.Runner.RunAsync(mirror, ["update-ref", TargetRef, commit], null, timeout, ct);
            Check(result, "update-ref");
        }

        private async Task<string?> RevParseAsync(string expression, CancellationToken ct)
        {
            var result = await owner.Runner.RunAsync(mirror, ["rev-parse", "--verify", "--quiet", expression], null, timeout, ct);
            return result.ExitCode == 0 ? result.Output.Trim() : null;
        }

        private async Task<GitProcessResult> NetworkAsync(IReadOnlyList<string> args, CancellationToken ct)
        {
            if (owner._fetchLimiter is not null)
            {
                await owner._fetchLimiter.WaitAsync(ct);
            }

            try
            {
                return await owner.Runner.RunAsync(mirror, args, auth.Environment, timeout, ct);
            }
            catch (GitSourceException ex)
            {
                throw new GitSourceException(ex.Reason, $"{Scrub(ex.Message)} ({url.SafeUrl})");
            }
            finally
            {
                owner._fetchLimiter?.Release();
            }
        }

        private void Check(GitProcessResult result, string command)
        {
            if (result.ExitCode != 0)
            {
                throw new GitSourceException(GitSourceReasons.GitOperationFailed, $"git {command} in the mirror failed: {Scrub(result.StandardError.Trim())}");
            }
        }

        private GitSourceException Fail(GitProcessResult result, string command, string what)
        {
            var stderr = Scrub(result.StandardError.Trim());
            var lower = stderr.ToLowerInvariant();
            if (lower.Contains("couldn't find remote ref", StringComparison.Ordinal)
                || lower.Contains("not our ref", StringComparison.Ordinal)
                || lower.Contains("no such remote ref", StringComparison.Ordinal)
                || lower.Contains("remote branch", StringComparison.Ordinal) && lower.Contains("not found", StringComparison.Ordinal))
            {
                return new GitSourceException(GitSourceReasons.RefNotFound, $"{what} not found in {url.SafeUrl}");
            }

            if (lower.Contains("host key verification failed", StringComparison.Ordinal))
            {
                return new GitSourceException(
                    GitSourceReasons.AuthenticationFailed,
                    $"git {command} from {url.SafeUrl} failed: the server's host key is not in the secret's known_hosts");
            }

            if (lower.Contains("authentication failed", StringComparison.Ordinal)
                || lower.Contains("could not read username", StringComparison.Ordinal)
                || lower.Contains("could not read password", StringComparison.Ordinal)
                || lower.Contains("permission denied", StringComparison.Ordinal)
                || lower.Contains("the requested url returned error: 401", StringComparison.Ordinal)
                || lower.Contains("the requested url returned error: 403", StringComparison.Ordinal))
            {
                return new GitSourceException(
                    GitSourceReasons.AuthenticationFailed,
                    $"git {command} from {url.SafeUrl} failed: authentication was refused (check the source's secret)");
            }

            var detail = string.Join(" ", stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(3));
            return new GitSourceException(
                GitSourceReasons.GitOperationFailed,
                $"git {command} of {what} from {url.SafeUrl} failed (exit {result.ExitCode}): {detail}");
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
