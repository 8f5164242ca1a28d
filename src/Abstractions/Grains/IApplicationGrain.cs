using Orleans.Concurrency;

namespace Fleet.Abstractions.Grains;

/// <summary>An application (<c>{namespace}/{name}</c>): renders, selects clusters, plans the rollout, tells placements.</summary>
[Alias("fleet.IApplicationGrain")]
public interface IApplicationGrain : IGrainWithStringKey
{
    /// <summary>
    /// Hint: something it depends on changed (its spec, its source's artifact, the clusters it selects, an application
    /// it depends on); recompute everything. Hints arriving while a reconcile runs are merged into one follow-up.
    /// </summary>
    [OneWay, AlwaysInterleave, Alias("HintChanged")]
    Task HintChanged();

    /// <summary>
    /// Hint: the placement on <paramref name="cluster"/> changed state (applied, healthy, failed). Cheaper than
    /// <see cref="HintChanged"/>: only that cluster's phase is re-read and the rollout moves on.
    /// </summary>
    [OneWay, AlwaysInterleave, Alias("HintPlacementChanged")]
    Task HintPlacementChanged(string cluster);

    /// <summary>
    /// Hint: a placement wrote a new status, carried here so that the application need not read it back (a
    /// read per placement per report, 50,000 per commit at 10,000 clusters × 5 applications).
    /// </summary>
    [OneWay, AlwaysInterleave, Alias("HintPlacementReported")]
    Task HintPlacementReported(PlacementReport report);
}

/// <summary>What an application needs of a placement's status: its Ready condition and what it applied.</summary>
[GenerateSerializer, Immutable, Alias("fleet.PlacementReport")]
public sealed record PlacementReport
{
    [Id(0)]
    public required string Cluster { get; init; }

    /// <summary>The resource version of the status written: of two reports, the later write wins, whatever order they arrive in.</summary>
    [Id(1)]
    public long ResourceVersion { get; init; }

    /// <summary>The status of the Ready condition: True, False or Unknown.</summary>
    [Id(2)]
    public required string Ready { get; init; }

    [Id(3)]
    public string? Reason { get; init; }

    [Id(4)]
    public string? LastAttemptedRevision { get; init; }

    [Id(5)]
    public string? LastAppliedRevision { get; init; }

    [Id(6)]
    public string? LastAppliedDigest { get; init; }
}
