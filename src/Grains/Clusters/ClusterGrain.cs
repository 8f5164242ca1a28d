using Fleet.Abstractions;
using Fleet.Abstractions.Grains;
using Fleet.Abstractions.Resources;
using Fleet.Kubernetes;
using Fleet.Grains.Common;
using Fleet.Store;
using Microsoft.Extensions.Logging;

namespace Fleet.Grains.Clusters;

/// <summary>
/// A registered cluster: probes <c>GET /version</c> on a jittered interval (backing off while it fails), reports
/// <c>Ready</c> with the Kubernetes version or the reason it is not, and tells its placements when it recovers.
/// </summary>
internal sealed partial class ClusterGrain(
    [PersistentState("state", StoreServiceCollectionExtensions.GrainStorageName)] IPersistentState<ClusterState> state,
    IResourceStore store, IEventLog events, ClusterClients clients, ILogger<ClusterGrain> logger)
    : Common.ReconcilingGrain<ClusterState>(state, store, events, logger), IClusterGrain
{
    private static readonly TimeSpan DefaultInterval = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(5);

    /// <summary>A probe interval of zero (a valid Go duration) would probe in a tight loop; this is the floor.</summary>
    internal static readonly TimeSpan MinimumInterval = TimeSpan.FromSeconds(1);

    protected override string KindName => ResourceKinds.Cluster.Kind;

    public Task HintSpecChanged() => Hint();

    public Task HintProbeNow() => Hint();

    protected override async Task<TimeSpan?> ReconcileAsync(CancellationToken ct)
    {
        var spec = await ReadSpecAsync<ClusterSpec>(ResourceKinds.Cluster.Kind, ct);
        if (spec is null)
        {
            clients.Forget(Namespace, Name);
            await ClearStateAsync();
            return null;
        }
        var interval = GoDuration.Parse(spec.ProbeInterval, DefaultInterval);
        interval = interval < MinimumInterval ? MinimumInterval : interval;
        var generation = Current!.Generation;
        var now = Time.GetUtcNow();
        if (spec.Paused != State.Paused)
        {
            // Placements check the pause before every apply, prune and drift correction; tell them it flipped.
            State = State with { Paused = spec.Paused };
            await WriteStateAsync();
            await TellPlacementsAsync(ct);
        }

        if (spec.Paused)
        {
            await WriteStatusAsync(ResourceKinds.Cluster.Kind, Status(false, Reasons.Suspended, "the cluster is paused: nothing is probed or applied", generation, now, null), ct);
            return null;
        }

        ProbeResult result;
        try
        {
            var (client, _, _) = await clients.GetAsync(Namespace, Name, ct, recheckCredentials: true);
            result = await ClusterProbe.ProbeAsync(client, ct);
        }
        catch (ClusterUnavailableException ex)
        {
            result = new ProbeResult(false, ex.Reason, ex.Message, null);
        }

        LogProbed(logger, Key, result.Ready ? ClusterProbe.ReasonReady : result.Reason);
        var status = Status(result.Ready, result.Ready ? Reasons.ClusterReachable : result.Reason, result.Message, generation, now, result.Version?.GitVersion);
        await WriteStatusAsync(ResourceKinds.Cluster.Kind, status, ct);

        var previous = State;
        State = result.Ready
            ? new ClusterState { WasReady = true, Paused = previous.Paused }
            : new ClusterState { WasReady = false, ConsecutiveFailures = previous.ConsecutiveFailures + 1, LastReason = result.Reason, Paused = previous.Paused };
        if (previous.WasReady != State.WasReady || previous.LastReason != State.LastReason)
        {
            await WriteStateAsync();
            if (result.Ready)
            {
                await EventAsync(FleetEventType.Normal, Reasons.ClusterReachable, $"cluster is reachable, Kubernetes {result.Version?.GitVersion}", ct);
                if (previous.WasReady == false)
                {
                    await TellPlacementsAsync(ct);
                }
            }
            else
            {
                await EventAsync(FleetEventType.Warning, result.Reason, result.Message, ct);
            }
        }
        return result.Ready ? Jitter(interval) : Backoff(State.ConsecutiveFailures, interval);
    }

    /// <summary>While failing: 5s, 10s, 20s, ... up to the probe interval.</summary>
    internal static TimeSpan Backoff(int failures, TimeSpan interval)
    {
        var delay = FirstRetry * Math.Pow(2, Math.Clamp(failures - 1, 0, 16));
        return delay < interval ? delay : interval;
    }

    private async Task TellPlacementsAsync(CancellationToken ct)
    {
        var selector = LabelSelector.Parse($"{PlacementLabels.Cluster}={Name}");
        foreach (var placement in await Store.ListAsync(ResourceKinds.Placement.Kind, Namespace, selector, ct))
        {
            if (placement.Labels.TryGetValue(PlacementLabels.Application, out var app))
            {
                await GrainFactory.GetGrain<IPlacementGrain>(GrainKeys.Placement(Namespace, app, Name)).HintClusterChanged();
            }
        }
    }

    private ClusterStatus Status(bool ready, string reason, string message, long generation, DateTimeOffset now, string? version) => new()
    {
        ObservedGeneration = generation,
        Conditions = Conditions(NewCondition(ConditionTypes.Ready, ready, reason, message, generation, now)),
        KubernetesVersion = version,
        LastProbeTime = now,
        LastError = ready ? null : message,
    };
}
