namespace Fleet.Grains.Common;

/// <summary>The event IDs of every log line of this assembly, in one table so that none is used twice.</summary>
internal static class GrainEventIds
{
    // 4000-4099: every reconciling grain
    public const int Event = 4000;
    public const int ReconcileFailed = 4001;

    // 4100-4199: clusters
    public const int ClusterProbed = 4100;

    // 4200-4299: sources
    public const int SourceFetched = 4200;
    public const int SourceFetchFailed = 4202;
    public const int SourceSuspended = 4203;

    // 4300-4399: applications
    public const int RolloutHalted = 4300;

    // 4400-4499: placements
    public const int HealthCheckFailed = 4400;

    // 4500-4599: the change dispatcher
    public const int DispatchFailed = 4500;
    public const int DispatcherStarted = 4501;
}
