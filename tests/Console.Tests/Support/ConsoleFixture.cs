using Fleet.Gateway.Tests.Support;
using Fleet.Grains.Tests.Support;
using Fleet.TestSupport;

namespace Fleet.Console.Tests.Support;

/// <summary>
/// One Fleet for the whole class: KubeSim with 20 clusters, a real silo with its gateway and console, a git
/// repository, the application <c>web</c> on the ten prod clusters, and one headless Chromium.
/// </summary>
public sealed class ConsoleFixture : IAsyncLifetime
{
    public FleetEnvironment Env { get; private set; } = null!;

    public Browser Browser { get; private set; } = null!;

    /// <summary>An operator of every namespace.</summary>
    public string OperatorToken { get; private set; } = "";

    /// <summary>A viewer of every namespace.</summary>
    public string ViewerToken { get; private set; } = "";

    /// <summary>An operator of another namespace only: sees none of team-a's objects.</summary>
    public string OtherNamespaceToken { get; private set; } = "";

    /// <summary>Why the browser tests cannot run here, or null.</summary>
    public string? SkipReason { get; } = Browser.Missing();

    public async Task InitializeAsync()
    {
        if (SkipReason is not null)
        {
            return;
        }
        Env = await FleetEnvironment.StartAsync();
        await Env.PutAsync("applications/web", FleetEnvironment.Application());
        await Eventually.WaitAsync(async () => (await Env.ApplicationAsync())["status"]?["placements"]?["ready"]?.GetValue<int>() == 10,
            "the application web ready on the ten prod clusters", TimeSpan.FromSeconds(90));
        OperatorToken = await Env.Silo.CreateTokenAsync("console-operator", "operator");
        ViewerToken = await Env.Silo.CreateTokenAsync("console-viewer", "viewer");
        OtherNamespaceToken = await Env.Silo.CreateTokenAsync("console-other", "operator", "team-b");
        Browser = Browser.Start(Env.Silo.Http.BaseAddress!);
    }

    public async Task DisposeAsync()
    {
        if (SkipReason is not null)
        {
            return;
        }
        Browser?.Dispose();
        await Env.DisposeAsync();
    }
}
