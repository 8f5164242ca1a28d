namespace Fleet.Kubernetes;

/// <summary>Per-cluster client settings. Defaults follow Flux's controllers (50 QPS, burst 300).</summary>
public sealed record KubeClientOptions
{
    /// <summary>Time-out of one request attempt (not of a watch).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Sustained requests per second to this cluster (client-go's QPS); 0 or less disables the limit.</summary>
    public double Qps { get; init; } = 50;

    /// <summary>Requests allowed at once above the sustained rate (client-go's burst).</summary>
    public int Burst { get; init; } = 300;

    /// <summary>Retries after the first attempt for 429, 5xx and connection errors.</summary>
    public int MaxRetries { get; init; } = 4;

    /// <summary>First back-off delay; doubled per retry with jitter, capped by <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Upper bound on one back-off delay, including a server's Retry-After.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Connections kept to this cluster at most (HTTP/1.1; HTTP/2 multiplexes on one).</summary>
    public int MaxConnections { get; init; } = 16;

    /// <summary>
    /// How long an idle connection to this cluster is kept. Short, because Fleet holds a client per registered
    /// cluster and talks to most of them once per interval: at 10,000 clusters, keeping each connection 90 s after
    /// its last request held 10,000 sockets open, half of a process's usual limit of open files.
    /// </summary>
    public TimeSpan IdleConnectionTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long discovery results are trusted before they are fetched again.</summary>
    public TimeSpan DiscoveryTtl { get; init; } = TimeSpan.FromMinutes(10);

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
