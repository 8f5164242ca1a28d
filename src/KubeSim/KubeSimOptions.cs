namespace Fleet.KubeSim;

/// <summary>How a <see cref="KubeSimServer"/> starts: its clusters, credentials, listener and simulated timing.</summary>
public sealed record KubeSimOptions
{
    /// <summary>Clusters named <c>sim-0001</c> … created at start (ignored when <see cref="ClusterNames"/> is set).</summary>
    public int Clusters { get; init; }

    /// <summary>Explicit names of the clusters created at start.</summary>
    public IReadOnlyList<string>? ClusterNames { get; init; }

    /// <summary>The bearer token every request must carry.</summary>
    public string Token { get; init; } = "kubesim";

    /// <summary>A second token that may read but gets <c>403 Forbidden</c> on every write.</summary>
    public string? ReadOnlyToken { get; init; }

    /// <summary>Serve HTTPS with a certificate signed by a freshly generated CA (see <see cref="KubeSimServer.CaCertificatePem"/>).</summary>
    public bool Tls { get; init; }

    /// <summary>How long simulated workloads take to become ready (and failing ones to report a failure).</summary>
    public TimeSpan ReadyDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Run the simulated controllers (workload status, Jobs, namespace clean-up). Off, a cluster acts like a bare
    /// kube-apiserver without kube-controller-manager: nothing writes status and namespaces stay Terminating.
    /// </summary>
    public bool SimulateControllers { get; init; } = true;

    /// <summary>Kestrel URL(s) to listen on; null binds 127.0.0.1 on a free port.</summary>
    public string? Urls { get; init; }

    /// <summary>Watch events kept per cluster for watches that resume from a resourceVersion; older ones get 410 Gone.</summary>
    public int WatchHistory { get; init; } = 128;

    /// <summary>How often an open watch that asked for bookmarks receives one.</summary>
    public TimeSpan BookmarkInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The clock for timestamps and simulated controller delays (inject a fake one in tests).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Log to the console (the KubeSim program does; embedded servers stay quiet).</summary>
    public bool ConsoleLogging { get; init; }

    /// <summary>Names of the clusters to create at start.</summary>
    public IReadOnlyList<string> InitialClusterNames() =>
        ClusterNames is { Count: > 0 } names
            ? names
            : Enumerable.Range(1, Math.Max(0, Clusters)).Select(i => $"sim-{i:D4}").ToList();
}
