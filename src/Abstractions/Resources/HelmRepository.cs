namespace Fleet.Abstractions.Resources;

/// <summary>
/// A Helm chart repository: the fields of Flux's <c>source.toolkit.fluxcd.io/v1</c> HelmRepository. An HTTP
/// repository (<c>type: default</c>) is read through its <c>index.yaml</c>, whose digest is the source's artifact;
/// an OCI registry (<c>type: oci</c>, <c>url: oci://host/path</c>) has no index, and each application lists the tags
/// of its chart there.
/// </summary>
public sealed record HelmRepositorySpec
{
    /// <summary><c>https://charts.example.com</c>, or <c>oci://registry.example.com/charts</c> with <see cref="Type"/> <c>oci</c>.</summary>
    public string Url { get; init; } = "";

    /// <summary><c>default</c> (HTTP index.yaml) or <c>oci</c>.</summary>
    public string? Type { get; init; }

    /// <summary>How often the index is fetched (Go duration, default 10m).</summary>
    public string? Interval { get; init; }

    /// <summary>Time-out of one fetch (Go duration, default 60s).</summary>
    public string? Timeout { get; init; }

    /// <summary>A Secret with <c>username</c>/<c>password</c> (basic auth) or <c>bearerToken</c>.</summary>
    public LocalObjectReference? SecretRef { get; init; }

    /// <summary>A Secret with a CA bundle (Flux); not supported by Fleet, refused with a clear message.</summary>
    public LocalObjectReference? CertSecretRef { get; init; }

    /// <summary>Send the credentials to chart URLs on other hosts than the repository's (Flux's <c>passCredentials</c>).</summary>
    public bool PassCredentials { get; init; }

    /// <summary>For <c>oci</c>: talk plain HTTP to the registry (Flux's <c>insecure</c>).</summary>
    public bool Insecure { get; init; }

    /// <summary>Flux's cloud provider login (<c>generic</c> only here).</summary>
    public string? Provider { get; init; }
    public bool Suspend { get; init; }

    /// <summary>Whether this is an OCI registry.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsOci => Type == "oci";
}

public sealed record HelmRepositoryStatus
{
    public long ObservedGeneration { get; init; }
    public List<Condition>? Conditions { get; init; }

    /// <summary>The stored index.yaml of an HTTP repository (revision and digest <c>sha256:&lt;hex&gt;</c> of its bytes); none for OCI.</summary>
    public ArtifactStatus? Artifact { get; init; }

    /// <summary>The repository URL the artifact came from.</summary>
    public string? Url { get; init; }
    public DateTimeOffset? LastFetchTime { get; init; }
}
