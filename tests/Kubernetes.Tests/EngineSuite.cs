namespace Fleet.Kubernetes.Tests;

/// <summary>One test's cluster: a virtual KubeSim cluster of its own, or the shared real server with its own names.</summary>
public sealed class TestCluster
{
    public required bool IsReal { get; init; }

    /// <summary>Appended to namespaces and cluster-scoped names; empty on KubeSim, where the cluster is the test's alone.</summary>
    public required string Suffix { get; init; }

    public required Func<KubeClientOptions?, KubeClient> NewClient { get; init; }

    public required Func<string[], Task<(int ExitCode, string Output)>> Kubectl { get; init; }

    public static readonly KubeClientOptions DefaultOptions = new() { RetryBaseDelay = TimeSpan.FromMilliseconds(20), RequestTimeout = TimeSpan.FromSeconds(10) };

    public string Ns(string name) => name + Suffix;

    public KubeClient Client(KubeClientOptions? options = null) => NewClient(options ?? DefaultOptions);

    /// <summary>Runs the real kubectl against this cluster and fails the test when it fails.</summary>
    public async Task KubectlOkAsync(params string[] args)
    {
        if (!SimFixture.HasKubectl)
        {
            Assert.Fail("kubectl is not installed: /usr/bin/kubectl is needed to edit objects as an independent client");
        }
        var (code, output) = await Kubectl(args);
        Assert.True(code == 0, $"kubectl {string.Join(' ', args)}: {output}");
    }
}

/// <summary>The engine suite on KubeSim: one virtual cluster per test.</summary>
[Collection(SimCollection.Name)]
public sealed class EngineOnKubeSimTests(SimFixture sim) : EngineSuite
{
    protected override bool IsReal => false;

    protected override TestCluster Take()
    {
        var cluster = sim.TakeCluster();
        return new TestCluster
        {
            IsReal = false,
            Suffix = "",
            NewClient = options => sim.Client(cluster, options),
            Kubectl = args => sim.KubectlAsync(cluster, args),
        };
    }
}

/// <summary>The engine suite on a real kube-apiserver 1.32 with kube-controller-manager; skipped where kube-real is absent.</summary>
[Collection(KubeRealCollection.Name)]
public sealed class EngineOnKubeRealTests(KubeRealFixture real) : EngineSuite
{
    protected override bool IsReal => true;

    protected override TestCluster Take()
    {
        Skip.If(real.SkipReason is not null, real.SkipReason);
        return new TestCluster
        {
            IsReal = true,
            Suffix = $"-{real.NextId()}",
            NewClient = options => new KubeClient(real.Connection(), options),
            Kubectl = real.KubectlAsync,
        };
    }
}
