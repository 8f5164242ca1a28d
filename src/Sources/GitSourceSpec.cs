using System.Text;

namespace Fleet.Sources;

/// <summary>What to fetch: the fields of Flux's GitRepository spec that the engine needs.</summary>
public sealed record GitSourceSpec(
    string Url,
    GitRef Ref,
    TimeSpan Timeout,
    IReadOnlyList<string> Ignore,
    GitCredentials? Credentials,
    long MaxArtifactBytes = GitSourceSpec.DefaultMaxArtifactBytes)
{
    public const long DefaultMaxArtifactBytes = 100L * 1024 * 1024;

    /// <summary>Flux's default timeout for git operations.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);
}

/// <summary>
/// A git reference as Flux resolves it. Precedence: commit, then name, then semver, then tag, then branch;
/// with none set the branch <c>master</c> is used, as Flux does.
/// </summary>
public sealed record GitRef(string? Branch = null, string? Tag = null, string? SemVer = null, string? Name = null, string? Commit = null)
{
    public const string DefaultBranch = "master";
}

/// <summary>
/// Credentials from a Secret. The generated record printer is replaced so that a logged or
/// interpolated <see cref="GitCredentials"/> never shows a secret value.
/// </summary>
public sealed record GitCredentials(
    string? Username = null,
    string? Password = null,
    string? BearerToken = null,
    string? SshIdentity = null,
    string? KnownHosts = null)
{
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Username = ").Append(Username ?? "null");
        builder.Append(", Password = ").Append(Password is null ? "null" : "***");
        builder.Append(", BearerToken = ").Append(BearerToken is null ? "null" : "***");
        builder.Append(", SshIdentity = ").Append(SshIdentity is null ? "null" : "***");
        builder.Append(", KnownHosts = ").Append(KnownHosts is null ? "null" : "(set)");
        return true;
    }
}

/// <summary>The commit a fetch resolved to, with the revision string Flux would write.</summary>
/// <param name="Revision">Flux form: <c>main@sha1:&lt;sha&gt;</c>, <c>v1.2.3@sha1:&lt;sha&gt;</c>, <c>sha1:&lt;sha&gt;</c>.</param>
/// <param name="CommitSha">The full commit id.</param>
/// <param name="RefName">The branch, tag or ref name the commit came from; null for a bare pinned commit.</param>
public sealed record ResolvedRevision(string Revision, string CommitSha, string? RefName);

/// <summary>A packed, deterministic tar.gz of the tree at a revision.</summary>
/// <param name="Digest"><c>sha256:&lt;hex&gt;</c> of <paramref name="Content"/>.</param>
public sealed record Artifact(string Revision, string Digest, long Size, byte[] Content, DateTimeOffset CreatedAt, int FileCount);
