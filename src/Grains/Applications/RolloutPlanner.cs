using System.Globalization;

namespace Fleet.Grains.Applications;

/// <summary>How one placement stands against the spec it was last given.</summary>
internal enum PlacementPhase
{
    /// <summary>No status yet for its current spec.</summary>
    Pending,

    /// <summary>Applying, waiting for health or for a dependency.</summary>
    Progressing,

    /// <summary>Applied and healthy at its spec's revision.</summary>
    Ready,

    /// <summary>Its apply or health check failed at its spec's revision.</summary>
    Failed,
}

/// <summary>One selected cluster: what it should run and where its placement stands.</summary>
internal sealed record RolloutTarget(string Cluster, bool Canary, string DesiredRevision, string DesiredDigest, string? SpecRevision, string? SpecDigest, PlacementPhase Phase)
{
    public bool UpToDate => SpecRevision == DesiredRevision && SpecDigest == DesiredDigest;
}

/// <summary>The decision: which placements get the desired revision now, and how the rollout stands.</summary>
internal sealed record RolloutPlan(IReadOnlyList<string> Update, int Wave, int Waves, bool Paused, string Message, bool Complete = false);

/// <summary>
/// Plans a rollout as a pure function of the selected clusters (level-triggered, so it is recomputed from scratch on
/// every reconcile): canary clusters first, then waves of at most <c>maxUnavailable</c> clusters; a wave starts only
/// when every cluster of the waves before it runs the desired revision healthily; with <c>pauseOnFailure</c>, a failed
/// cluster halts the rollout and the later waves keep what they run. A newer revision restarts from the first wave.
/// </summary>
internal static class RolloutPlanner
{
    public static RolloutPlan Plan(IReadOnlyList<RolloutTarget> targets, string? maxUnavailable, bool pauseOnFailure, bool hasRollout)
    {
        var waves = Waves(targets, maxUnavailable, hasRollout);
        var update = new List<string>();
        for (var i = 0; i < waves.Count; i++)
        {
            var wave = waves[i];
            update.AddRange(wave.Where(t => !t.UpToDate).Select(t => t.Cluster));
            var failed = wave.Where(t => t.UpToDate && t.Phase == PlacementPhase.Failed).Select(t => t.Cluster).ToList();
            if (failed.Count > 0 && pauseOnFailure)
            {
                return new RolloutPlan(update, i + 1, waves.Count, true,
                    $"rollout halted at wave {i + 1} of {waves.Count}: {string.Join(", ", failed)} failed; the remaining clusters keep their revision");
            }
            var settled = wave.All(t => t.UpToDate && (t.Phase == PlacementPhase.Ready || (t.Phase == PlacementPhase.Failed && !pauseOnFailure)));
            if (!settled)
            {
                return new RolloutPlan(update, i + 1, waves.Count, false, $"rolling out wave {i + 1} of {waves.Count}");
            }
        }
        return new RolloutPlan(update, waves.Count, waves.Count, false, "rollout complete", Complete: true);
    }

    /// <summary>Canaries (sorted) as the first wave, then the others (sorted) in waves of the allowed size; without a rollout, one wave.</summary>
    public static List<List<RolloutTarget>> Waves(IReadOnlyList<RolloutTarget> targets, string? maxUnavailable, bool hasRollout)
    {
        var sorted = targets.OrderBy(t => t.Cluster, StringComparer.Ordinal).ToList();
        if (!hasRollout)
        {
            return sorted.Count == 0 ? [] : [sorted];
        }
        var waves = new List<List<RolloutTarget>>();
        var canaries = sorted.Where(t => t.Canary).ToList();
        if (canaries.Count > 0)
        {
            waves.Add(canaries);
        }
        var size = WaveSize(maxUnavailable, targets.Count);
        waves.AddRange(sorted.Where(t => !t.Canary).Chunk(size).Select(c => c.ToList()));
        return waves;
    }

    /// <summary><c>maxUnavailable</c> as a count, or a percentage of the selected clusters rounded up; at least 1; absent means all at once.</summary>
    public static int WaveSize(string? maxUnavailable, int selected)
    {
        if (string.IsNullOrEmpty(maxUnavailable))
        {
            return Math.Max(1, selected);
        }
        if (maxUnavailable.EndsWith('%'))
        {
            var percent = int.Parse(maxUnavailable.TrimEnd('%'), CultureInfo.InvariantCulture);
            return Math.Max(1, (int)Math.Ceiling(selected * percent / 100.0));
        }
        return Math.Max(1, int.Parse(maxUnavailable, CultureInfo.InvariantCulture));
    }
}
