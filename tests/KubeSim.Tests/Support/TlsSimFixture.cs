namespace Fleet.KubeSim.Tests.Support;

/// <summary>A KubeSim serving HTTPS (kubectl sends bearer tokens only over TLS).</summary>
public sealed class TlsSimFixture : IAsyncLifetime
{
    private int _next;

    public KubeSimServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await KubeSimServer.StartAsync(new KubeSimOptions
        {
            Token = "kubectl-token",
            Tls = true,
            ReadyDelay = TimeSpan.FromMilliseconds(500),
        });
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();

    public string NewCluster()
    {
        var name = $"k-{Interlocked.Increment(ref _next):D3}";
        Assert.True(Server.CreateCluster(name));
        return name;
    }
}
