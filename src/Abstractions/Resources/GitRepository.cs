namespace Fleet.Abstractions.Resources;

/// <summary>A Git source: the fields of Flux's <c>source.toolkit.fluxcd.io/v1</c> GitRepository.</summary>
public sealed record GitRepositorySpec
{
    public string Url { get; init; } = "";
    public GitRepositoryRef? Ref { get; init; }

    /// <summary>Fetch interval (Go duration, e.g. <c>1m</c>).</summary>
    public string Interval { get; init; } = "1m";

    /// <summary>Time-out of git operations (Go duration, default 60s).</summary>
    public string? Timeout { get; init; }

    /// <summary>A Secret with https <c>username</c>/<c>password</c> or <c>bearerToken</c>, or ssh <c>identity</c>/<c>known_hosts</c>.</summary>
    public LocalObjectReference? SecretRef { get; init; }

    /// <summary>Extra ignore patterns (gitignore syntax, one per line).</summary>
    public string? Ignore { get; init; }
    public bool Suspend { get; init; }
}

public sealed record GitRepositoryRef
{
    public string? Branch { get; init; }
    public string? Tag { get; init; }
    public string? Semver { get; init; }
    public string? Name { get; init; }
    public string? Commit { get; init; }
}

public sealed record GitRepositoryStatus
{
    public long ObservedGeneration { get; init; }
    public List<Condition>? Conditions { get; init; }
    public ArtifactStatus? Artifact { get; init; }
    public DateTimeOffset? LastFetchTime { get; init; }
}

/// <summary>A packed source revision, stored once by digest.</summary>
[GenerateSerializer, Alias("fleet.ArtifactStatus")]
public sealed record ArtifactStatus
{
    /// <summary>Flux's form: <c>main@sha1:&lt;sha&gt;</c>, <c>v1.2.3@sha1:&lt;sha&gt;</c>, <c>sha1:&lt;sha&gt;</c>.</summary>
    [Id(0)]
    public string Revision { get; init; } = "";

    /// <summary><c>sha256:&lt;hex&gt;</c> of the packed tree.</summary>
    [Id(1)]
    public string Digest { get; init; } = "";

    [Id(2)]
    public long Size { get; init; }

    [Id(3)]
    public DateTimeOffset LastUpdateTime { get; init; }
}
