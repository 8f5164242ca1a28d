using Fleet.Grains.Common;
using Fleet.Grains.Placements;

namespace Fleet.Grains.Tests;

/// <summary>
/// A reconciling grain's reminder is its safety net after idle collection or a failover: rewritten only when the
/// registered period no longer suits the next run, never because the jittered interval moved a little.
/// </summary>
public sealed class ReminderPeriodTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(10);

    [Fact]
    public void UnknownPeriod_IsRegistered()
    {
        Assert.False(Fits(null, Interval));
    }

    [Fact]
    public void JitteredIntervals_SettleOnOnePeriod_AfterAtMostOneRewrite()
    {
        // ±10% jitter on a 10-minute interval: runs 9 to 11 minutes apart, in any order.
        var random = new Random(17);
        foreach (var first in new[] { 9.0, 10.0, 11.0 })
        {
            var registered = Wanted(TimeSpan.FromMinutes(first));
            var rewrites = 0;
            for (var run = 0; run < 1000; run++)
            {
                var next = TimeSpan.FromMinutes(9 + (2 * random.NextDouble()));
                if (!Fits(registered, next))
                {
                    registered = Wanted(next);
                    rewrites++;
                }
            }

            Assert.True(rewrites <= 1, $"first registered for a run in {first} min: {rewrites} rewrites in 1000 runs");
            Assert.InRange(registered.TotalMinutes, 10, 11);
        }
    }

    [Fact]
    public void ChangedInterval_RewritesThePeriod()
    {
        var registered = Wanted(Interval);
        Assert.False(Fits(registered, TimeSpan.FromMinutes(1)));
        Assert.False(Fits(registered, TimeSpan.FromMinutes(60)));
    }

    [Fact]
    public void ShortIntervals_DoNotRewriteOnEveryRun()
    {
        // Orleans' smallest period is a minute: a one-minute interval always wants the same period, and keeps it.
        var registered = Wanted(TimeSpan.FromSeconds(54));
        Assert.True(Fits(registered, TimeSpan.FromSeconds(66)));
        Assert.True(Fits(registered, TimeSpan.FromSeconds(60)));
    }

    private static TimeSpan Wanted(TimeSpan next) => TimeSpan.FromMinutes(Math.Max(1, Math.Ceiling((next + TimeSpan.FromSeconds(30)).TotalMinutes)));

    private static bool Fits(TimeSpan? registered, TimeSpan next) => ReconcilingGrain<PlacementState>.ReminderFits(registered, Wanted(next), next);
}
