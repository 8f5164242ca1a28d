using Fleet.Bench.ScaleDrill;
using Fleet.TestSupport;
using Xunit.Abstractions;

namespace Fleet.Drills.Tests;

/// <summary>
/// The short version of the silo-kill drill (<c>dotnet run --project bench/ScaleDrill -- kill-silo</c>), in the test
/// command: two silo processes and a gateway process on PostgreSQL, a rollout over 50 clusters in waves of 10%, and
/// <c>kill -9</c> of one silo while it is in progress.
/// </summary>
public sealed class SiloKillDrillTests(ITestOutputHelper output)
{
    [PostgresFact]
    public async Task KillOneSiloMidRollout_RolloutCompletesOnTheOther_NothingLost()
    {
        var checks = await FailoverDrills.KillSiloAsync(new FailoverOptions
        {
            Clusters = 50,
            Interval = TimeSpan.FromMinutes(1),
            Timeout = TimeSpan.FromMinutes(3),
            Log = output.WriteLine,
        });

        Assert.True(checks.Passed, "the drill found something lost:\n" + string.Join("\n", checks.Failures));
        Assert.Contains(checks.All, c => c.What == "every placement Ready on the new commit" && c.Ok);
    }
}
