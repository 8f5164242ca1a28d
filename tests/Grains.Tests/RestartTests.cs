using Fleet.Gateway.Tests.Support;
using Fleet.Grains.Tests.Support;
using Fleet.TestSupport;

namespace Fleet.Grains.Tests;

/// <summary>The silo stopped and started in the middle of a rollout: durable reminders finish it, on SQLite and on PostgreSQL.</summary>
public sealed class RestartTests
{
    [Fact]
    public Task SiloRestartMidRollout_RolloutFinishesByItself_OnSqlite() => RestartMidRolloutAsync();

    [PostgresFact]
    public async Task SiloRestartMidRollout_RolloutFinishesByItself_OnPostgres()
    {
        var connection = await new PostgresFixture().CreateDatabaseAsync();
        await RestartMidRolloutAsync("--Fleet:Store:Provider=Postgres", $"--Fleet:Store:ConnectionString={connection}", "--Fleet:Clustering=AdoNet");
    }

    private static async Task RestartMidRolloutAsync(params string[] siloArgs)
    {
        await using var env = await FleetEnvironment.StartAsync(siloArgs);
        string? ImageOn(string cluster) => FleetEnvironment.Image(env.Get(cluster, FleetEnvironment.DeploymentPath));
        await env.PutAsync("applications/web", FleetEnvironment.Application(extra: "  rollout:\n    maxUnavailable: \"2\""));
        await env.WaitAsync(() => FleetEnvironment.Prod.All(c => ImageOn(c) == "nginx:1.25"), "first revision everywhere");
        await env.WaitAsync(async () => SiloHost.Condition(await env.ApplicationAsync(), "Ready") == "True", "the application Ready");

        env.WriteExample("nginx:1.27");
        env.Repo.Commit("new image");
        await env.FetchNowAsync();
        await env.WaitAsync(() => FleetEnvironment.Prod.Any(c => ImageOn(c) == "nginx:1.27"), "the rollout has begun");

        await env.RestartSiloAsync();

        await env.WaitAsync(() => FleetEnvironment.Prod.All(c => ImageOn(c) == "nginx:1.27"), "the rollout finished after the restart", 180);
        await env.WaitAsync(async () => SiloHost.Condition(await env.ApplicationAsync(), "Ready") == "True", "the application Ready after the restart", 120);
        var app = await env.ApplicationAsync();
        Assert.Equal(app["status"]!["lastAttemptedRevision"]!.GetValue<string>(), app["status"]!["lastAppliedRevision"]!.GetValue<string>());
        Assert.All(FleetEnvironment.Clusters.Where(c => c.Env == "dev"), c => Assert.Null(env.Get(c.Name, FleetEnvironment.DeploymentPath)));
    }
}
