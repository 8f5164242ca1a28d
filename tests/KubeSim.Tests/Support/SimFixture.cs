namespace Fleet.KubeSim.Tests.Support;

/// <summary>One plain-HTTP KubeSim per test class; each test makes its own cluster.</summary>
public sealed class SimFixture : IAsyncLifetime
{
    private int _next;

    public KubeSimServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await KubeSimServer.StartAsync(new KubeSimOptions
        {
            Token = "test-token",
            ReadOnlyToken = "read-only-token",
            ReadyDelay = TimeSpan.FromMilliseconds(300),
            WatchHistory = 50,
        });
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();

    /// <summary>A fresh cluster and a client for it.</summary>
    public KubeClient NewCluster(string prefix = "c")
    {
        var name = $"{prefix}-{Interlocked.Increment(ref _next):D3}";
        Assert.True(Server.CreateCluster(name));
        return new KubeClient(Server.ClusterUri(name), Server.Token, name);
    }

    public HttpClient Raw(string? token = "test-token")
    {
        var http = new HttpClient { BaseAddress = Server.BaseUri, Timeout = TimeSpan.FromSeconds(30) };
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        return http;
    }
}
