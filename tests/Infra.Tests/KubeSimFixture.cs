using Fleet.Kubernetes;
using Fleet.KubeSim;

namespace Fleet.Infra.Tests;

/// <summary>One in-process KubeSim for the collection; each test takes a virtual cluster of its own.</summary>
public sealed class KubeSimFixture : IAsyncLifetime
{
    private const int ClusterCount = 8;
    private int _next;

    public KubeSimServer Server { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Server = await KubeSimServer.StartAsync(new KubeSimOptions
        {
            Clusters = ClusterCount,
            Token = "sim-token-" + Guid.NewGuid().ToString("N")[..8],
            ReadyDelay = TimeSpan.FromMilliseconds(100),
            Tls = true,
        });

    public async Task DisposeAsync() => await Server.DisposeAsync();

    public KubeClient TakeClient()
    {
        var n = Interlocked.Increment(ref _next);
        Assert.True(n <= ClusterCount, "KubeSimFixture.ClusterCount is too small for the number of tests");
        var connection = new ClusterConnection(Server.ClusterUri($"sim-{n:D4}").ToString(), Server.CaCertificatePem, false, Server.Token);
        return new KubeClient(connection, new KubeClientOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(20), RequestTimeout = TimeSpan.FromSeconds(10) });
    }
}

[CollectionDefinition(Name)]
public sealed class KubeSimCollection : ICollectionFixture<KubeSimFixture>
{
    public const string Name = "KubeSim";
}
