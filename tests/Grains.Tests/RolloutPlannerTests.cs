using Fleet.Grains.Applications;

namespace Fleet.Grains.Tests;

public sealed class RolloutPlannerTests
{
    private const string New = "main@sha1:new";
    private const string Old = "main@sha1:old";

    private static RolloutTarget T(string cluster, string state, bool canary = false) => state switch
    {
        // old: runs the previous revision; new-*: was given the new one and is pending, progressing, ready or failed.
        "old" => new(cluster, canary, New, "d-new", Old, "d-old", PlacementPhase.Ready),
        "none" => new(cluster, canary, New, "d-new", null, null, PlacementPhase.Pending),
        "new-progressing" => new(cluster, canary, New, "d-new", New, "d-new", PlacementPhase.Progressing),
        "new-ready" => new(cluster, canary, New, "d-new", New, "d-new", PlacementPhase.Ready),
        "new-failed" => new(cluster, canary, New, "d-new", New, "d-new", PlacementPhase.Failed),
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    [Theory]
    [InlineData(null, 7, 7)]
    [InlineData("2", 7, 2)]
    [InlineData("25%", 7, 2)]
    [InlineData("10%", 7, 1)]
    [InlineData("100%", 7, 7)]
    [InlineData("50", 7, 50)]
    public void WaveSize_CountOrPercentRoundedUp_AtLeastOne(string? maxUnavailable, int selected, int expected) =>
        Assert.Equal(expected, RolloutPlanner.WaveSize(maxUnavailable, selected));

    [Fact]
    public void NoRollout_UpdatesEveryClusterAtOnce()
    {
        var plan = RolloutPlanner.Plan([T("a", "old"), T("b", "none"), T("c", "old")], null, false, hasRollout: false);
        Assert.Equal(["a", "b", "c"], plan.Update);
        Assert.Equal(1, plan.Waves);
    }

    [Fact]
    public void FirstWave_StartsAlone_InNameOrder()
    {
        var plan = RolloutPlanner.Plan([T("d", "old"), T("a", "old"), T("c", "old"), T("b", "old")], "2", false, hasRollout: true);
        Assert.Equal(["a", "b"], plan.Update);
        Assert.Equal((1, 2, false), (plan.Wave, plan.Waves, plan.Paused));
    }

    [Fact]
    public void NextWave_WaitsUntilTheEarlierOneIsHealthy()
    {
        var waiting = RolloutPlanner.Plan([T("a", "new-ready"), T("b", "new-progressing"), T("c", "old"), T("d", "old")], "2", true, true);
        Assert.Empty(waiting.Update);
        var moving = RolloutPlanner.Plan([T("a", "new-ready"), T("b", "new-ready"), T("c", "old"), T("d", "old")], "2", true, true);
        Assert.Equal(["c", "d"], moving.Update);
        Assert.Equal(2, moving.Wave);
    }

    [Fact]
    public void Canaries_GoFirst_AsTheirOwnWave()
    {
        var plan = RolloutPlanner.Plan([T("a", "old"), T("b", "old"), T("z", "old", canary: true)], "1", false, true);
        Assert.Equal(["z"], plan.Update);
        Assert.Equal(3, plan.Waves);
    }

    [Fact]
    public void FailureWithPauseOnFailure_HaltsAndNamesTheCluster_OthersKeepTheirRevision()
    {
        var plan = RolloutPlanner.Plan([T("a", "new-failed"), T("b", "new-ready"), T("c", "old"), T("d", "old")], "2", true, true);
        Assert.Empty(plan.Update);
        Assert.True(plan.Paused);
        Assert.Contains("a failed", plan.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FailureWithoutPauseOnFailure_MovesOn()
    {
        var plan = RolloutPlanner.Plan([T("a", "new-failed"), T("b", "new-ready"), T("c", "old"), T("d", "old")], "2", false, true);
        Assert.Equal(["c", "d"], plan.Update);
        Assert.False(plan.Paused);
    }

    [Fact]
    public void NewerRevision_RestartsFromTheFirstWave()
    {
        // Every cluster ran the previous revision healthily; a newer one arrives: only the first wave gets it.
        var plan = RolloutPlanner.Plan([T("a", "old"), T("b", "old"), T("c", "old"), T("d", "old")], "50%", true, true);
        Assert.Equal(["a", "b"], plan.Update);
    }

    [Fact]
    public void AllWavesHealthy_IsComplete()
    {
        var plan = RolloutPlanner.Plan([T("a", "new-ready"), T("b", "new-ready")], "1", true, true);
        Assert.Empty(plan.Update);
        Assert.Equal("rollout complete", plan.Message);
    }
}
