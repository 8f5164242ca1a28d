using Fleet.TestSupport;
using Fleet.KubeSim.Tests.Support;

namespace Fleet.KubeSim.Tests.Differential;

/// <summary>
/// One real kube-apiserver (no controllers) and one KubeSim cluster (simulated controllers off, so neither side
/// writes status on its own), shared by every differential test. Each test works in its own namespace.
/// </summary>
public sealed class DiffFixture : IAsyncLifetime
{
    private KubeReal? _real;
    private KubeSimServer? _sim;

    public HttpClient Real { get; private set; } = null!;

    public HttpClient Sim { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (KubeReal.UnavailableReason() is not null)
        {
            return;
        }

        var real = KubeReal.StartAsync();
        _sim = await KubeSimServer.StartAsync(new KubeSimOptions { ClusterNames = ["diff"], Token = "diff-token", SimulateControllers = false });
        _real = await real;
        Real = _real.Client();
        Sim = new HttpClient { BaseAddress = new Uri(_sim.ClusterUri("diff") + "/"), Timeout = TimeSpan.FromSeconds(60) };
        Sim.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "diff-token");
        foreach (var http in new[] { Real, Sim })
        {
            http.DefaultRequestHeaders.UserAgent.ParseAdd("difftest/1.0");
        }
    }

    public async Task DisposeAsync()
    {
        Real?.Dispose();
        Sim?.Dispose();
        if (_sim is not null)
        {
            await _sim.DisposeAsync();
        }

        if (_real is not null)
        {
            await _real.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class DiffCollection : ICollectionFixture<DiffFixture>
{
    public const string Name = "kube-real differential";
}
