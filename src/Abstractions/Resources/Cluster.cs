namespace Fleet.Abstractions.Resources;

/// <summary>A registered Kubernetes cluster. Targeting uses its <c>metadata.labels</c>.</summary>
public sealed record ClusterSpec
{
    /// <summary>The API server URL, e.g. <c>https://10.0.0.1:6443</c>.</summary>
    public string? Server { get; init; }

    /// <summary>PEM (or base64 of PEM) CA bundle trusted for the server's certificate.</summary>
    public string? CaData { get; init; }
    public bool InsecureSkipTLSVerify { get; init; }

    /// <summary>A Secret with <c>token</c>, or <c>clientCertificate</c>/<c>clientKey</c>, or <c>kubeconfig</c>.</summary>
    public LocalObjectReference? CredentialsRef { get; init; }
    public bool Paused { get; init; }

    /// <summary>How often the cluster is probed (Go duration, default 1m).</summary>
    public string? ProbeInterval { get; init; }
}

public sealed record ClusterStatus
{
    public long ObservedGeneration { get; init; }
    public List<Condition>? Conditions { get; init; }
    public string? KubernetesVersion { get; init; }
    public DateTimeOffset? LastProbeTime { get; init; }
    public string? LastError { get; init; }
}
