using System.Text.Json;
using System.Text.Json.Nodes;
using Fleet.Abstractions;
using Fleet.Abstractions.Grains;
using Fleet.Abstractions.Resources;
using Fleet.Grains.Clusters;
using Fleet.Grains.Common;
using Fleet.Kubernetes;
using Fleet.Store;
using Microsoft.Extensions.Logging;
using KubeInventory = Fleet.Kubernetes.Inventory;

namespace Fleet.Grains.Placements;

/// <summary>
/// One application on one cluster (<c>{ns}/{app}/{cluster}</c>), as Flux's kustomize-controller reconciles a
/// Kustomization: apply the desired manifests server-side, prune what left them, wait for health, and on its own
/// interval detect and correct drift. Nothing is pruned on an unreachable cluster or an apply error: the last good
/// state stays and the error is reported. A paused cluster gets no apply, prune or drift correction. An apply slot
/// is held only while talking to the cluster, never while waiting for health.
/// </summary>
// Placements are where the apply work is: spread at random over the silos rather than kept beside their caller.
[Orleans.Placement.RandomPlacement]
// Idle between its drift checks (one interval, minutes): deactivated after each reconcile that leaves nothing to do
// before its reminder (DeactivateBetweenRuns), and at the latest two minutes after its work, so that a silo holds the
// placements at work, not all of them (50,000 resident kept a 2.4 GB heap, and its collections paused the silo for
// 40% of the time; 50,000 activated by one commit took the silo past 4 GiB); the reminder brings it back.
[CollectionAgeLimit(Minutes = 2)]
internal sealed partial class PlacementGrain(
    [PersistentState("state", StoreServiceCollectionExtensions.GrainStorageName)] IPersistentState<PlacementState> state,
    IResourceStore store, IEventLog events, IBlobStore blobs, ClusterClients clients, Applier applier, HealthChecker health, ApplySlots slots,
    ILogger<PlacementGrain> logger)
    : ReconcilingGrain<PlacementState>(state, store, events, logger), IPlacementGrain
{
    /// <summary>The grain state changed since it was last written; <see cref="ReportAsync"/> writes it once, beside the status.</summary>
    private bool _stateChanged;

    /// <summary>When this activation last found the cluster matching, plus one interval: the next drift check is due then.</summary>
    private DateTimeOffset? _checkDue;

    private string Application => Key.Split('/')[1];

    private string ClusterName => Key.Split('/')[2];

    protected override TimeSpan? StoredReminderPeriod
    {
        get => State.ReminderMinutes is { } minutes ? TimeSpan.FromMinutes(minutes) : null;
        set
        {
            var minutes = value is { } v ? (int)Math.Round(v.TotalMinutes) : (int?)null;
            if (minutes != State.ReminderMinutes)
            {
                // Written with the next state write (the report of this reconcile, when it registers early).
                State = State with { ReminderMinutes = minutes };
                _stateChanged = true;
            }
        }
    }

    // A short retry or backoff stays on the timer; anything a minute or more away is the reminder's.
    protected override bool DeactivateBetweenRuns(TimeSpan? next) => next is not { } n || n >= TimeSpan.FromMinutes(1);

    protected override DateTimeOffset? StoredLastRun => State.LastAppliedAt;

    /// <summary>The stored Placement object's name: <c>{application}~{cluster}</c>.</summary>
    protected override string Name => GrainKeys.PlacementName(Application, ClusterName);

    protected override string KindName => ResourceKinds.Placement.Kind;

    /// <summary>Whether the only news since the last reconcile is a new revision with the same manifests: the reconcile then waits behind those with changes to make.</summary>
    private bool _revisionOnly;

    public Task HintDesiredChanged()
    {
        _revisionOnly = false;
        return Hint();
    }

    public Task HintRevisionChanged()
    {
        _revisionOnly = true;
        return Hint();
    }

    public Task HintClusterChanged()
    {
        _revisionOnly = false;
        return Hint();
    }

    protected override async Task<TimeSpan?> ReconcileAsync(CancellationToken ct)
    {
        // Given back before the health wait, which can last minutes and needs neither the database nor the silo.
        var low = _revisionOnly;
        _revisionOnly = false;
        using var work = await slots.AcquireSiloAsync(ct, low);
        var (spec, cluster) = await ReadSpecAsync<PlacementSpec>(ResourceKinds.Placement.Kind, ResourceKinds.Cluster.Kind, ClusterName, ct);
        if (spec is null)
        {
            await ClearStateAsync();
            return null;
        }
        var interval = GoDuration.Parse(spec.Interval, TimeSpan.FromMinutes(5));
        var retry = GoDuration.Parse(spec.RetryInterval, interval);
        var inventory = State.Inventory is { } json ? KubeInventory.FromJson(json) : KubeInventory.Empty(Application, Namespace);

        if (IsPaused(cluster))
        {
            // The cluster grain tells this placement when the pause is lifted.
            await ReportAsync(spec, false, Reasons.Suspended, $"cluster {ClusterName} is paused: nothing is applied, pruned or corrected", null, null, ct);
            return null;
        }

        if (spec.Deleting)
        {
            return await RemoveAsync(spec, inventory, retry, ct);
        }
        if (spec.Suspend)
        {
            await ReportAsync(spec, true, Reasons.Suspended, "reconciliation is suspended", null, null, ct);
            return null;
        }
        if (spec.Revision is null || spec.ManifestDigest is null)
        {
            return null;
        }
        if (await DependencyNotReadyAsync(spec, ct) is { } waitingFor)
        {
            await ReportAsync(spec, false, Reasons.DependencyNotReady, $"dependency '{Namespace}/{waitingFor}' is not ready on cluster {ClusterName}", null, null, ct);
            return Jitter(retry);
        }

        await EnsureReminderAsync(interval);
        if (spec.ManifestDigest == State.LastAppliedDigest && spec.Revision != State.LastAppliedRevision && State.Failures == 0 &&
            !(spec.Wait && !State.LastWait) && (_checkDue is not { } due || Time.GetUtcNow() < due))
        {
            // A new revision with the same manifests (a commit elsewhere in the repository): nothing on the cluster
            // can change, so nothing is sent. Drift is looked for at the next reconcile once the check is due
            // (the timer, the reminder, or the next commit): a source committed to every few minutes does not
            // starve the drift check.
            State = State with { LastAppliedRevision = spec.Revision };
            _stateChanged = true;
            await ReportAsync(spec, true, Reasons.ReconciliationSucceeded, $"Applied revision: {spec.Revision}", inventory, null, ct);
            return Jitter(interval);
        }

        KubeClient client;
        try
        {
            (client, _, _) = await clients.GetAsync(Namespace, ClusterName, ct, cluster);
        }
        catch (ClusterUnavailableException ex)
        {
            return await FailAsync(spec, ex.Reason, ex.Message, retry, ct);
        }

        var objects = await ManifestBlob.ReadAsync(blobs, spec.ManifestDigest, ct);
        if (objects is null)
        {
            return await FailAsync(spec, Reasons.ArtifactFailed, $"rendered manifests {spec.ManifestDigest} are not in the store", retry, ct);
        }
        // Helm hooks run around the apply (PlacementGrain.Hooks.cs), never with the rest.
        (objects, var hooks) = HelmHooks.Split(objects);
        var install = State.LastAppliedRevision is null;

        IReadOnlyList<DriftEntry>? drift = null;
        var changedDesired = State.LastAppliedDigest != spec.ManifestDigest;
        var waitTurnedOn = spec.Wait && !State.LastWait;
        if (!changedDesired && State.Failures == 0 && !waitTurnedOn)
        {
            // Steady state: one LIST per kind and namespace tells whether anything drifted.
            DriftReport report;
            try
            {
                report = await DriftDetector.DetectAsync(client, inventory, ct);
            }
            catch (Exception ex) when (ex is KubeConnectionException or KubeApiException)
            {
                return await FailAsync(spec, Reasons.ProgressingWithRetry, ex.Message, retry, ct);
            }
            if (!report.HasDrift)
            {
                if (State.LastAppliedRevision != spec.Revision)
                {
                    // A new revision with the same manifests (a revert, a commit outside the path): nothing to send.
                    State = State with { LastAppliedRevision = spec.Revision };
                    _stateChanged = true;
                }
                await ReportAsync(spec, true, Reasons.ReconciliationSucceeded, $"Applied revision: {State.LastAppliedRevision}", inventory, null, ct);
                return CheckedUntil(Jitter(interval));
            }
            drift = report.Drifted.Select(d => new DriftEntry
            {
                Object = d.Object.ToString(),
                Kind = d.State == DriftState.Missing ? "Missing" : "Modified",
                Fields = d.Fields.Select(f => f.Path).ToList(),
                Manager = d.Fields.FirstOrDefault()?.Manager,
            }).ToList();
            inventory = report.MarkForReapply(inventory);
            await EventAsync(FleetEventType.Warning, "DriftDetected", string.Join("; ", report.Drifted.Select(d => d.Describe())), ct);
        }

        if (changedDesired && await RunHooksAsync(client, hooks, HookPhase.Pre, install, objects, spec, interval, ct) is { } preHookFailure)
        {
            return await FailAsync(spec, Reasons.ReconciliationFailed, preHookFailure, retry, ct);
        }

        ApplyResult result;
        using (GrainTracing.Start("apply", Key))
        using (await slots.AcquireClusterAsync($"{Namespace}/{ClusterName}", ct))
        {
            result = await applier.ApplyAsync(client, objects, new ApplyOptions(Application, Namespace)
            {
                Force = spec.Force,
                TakeOwnership = true,
                Prune = spec.Prune,
                Wait = false,
                Previous = inventory,
            }, ct);
        }

        RecordChanges(result, drift is not null);
        // Whatever happened, the inventory the engine returns is what is on the cluster now (a failed delete stays in it).
        State = State with { Inventory = result.Inventory.ToJson(), LastWait = spec.Wait };
        _stateChanged = true;
        var changes = Summarize(result);
        if (changes.Length > 0)
        {
            // Announced as soon as they are made, whatever the health wait after them says.
            await EventAsync(FleetEventType.Normal, drift is null ? "Applied" : "DriftCorrected", $"{spec.Revision}: {changes}", ct);
        }

        if (!result.Succeeded)
        {
            return await FailAsync(spec, Reasons.ReconciliationFailed, string.Join("; ", result.Errors), retry, ct);
        }

        string? healthSummary = null;
        if (spec.Wait)
        {
            work.Dispose();
            await ReportAsync(spec, false, Reasons.Progressing, $"waiting for {result.Inventory.Entries.Count + (spec.HealthChecks?.Count ?? 0)} objects to become healthy", result.Inventory, drift, ct, reconciling: true);
            var refs = result.Inventory.Entries.Select(e => new ObjectRef(e.Group, e.Version, e.Kind, e.Namespace, e.Name))
                .Concat((spec.HealthChecks ?? []).Select(HealthCheckRef))
                .DistinctBy(r => r.Identity)
                .ToList();
            IReadOnlyList<HealthResult> results;
            using (GrainTracing.Start("health wait", Key))
            {
                results = await health.WaitAsync(client, refs, GoDuration.Parse(spec.Timeout, interval), ct);
            }

            var failed = results.Where(h => h.Status == HealthStatus.Failed).ToList();
            var waiting = results.Where(h => h.Status is HealthStatus.InProgress or HealthStatus.NotFound).ToList();
            if (failed.Count > 0)
            {
                LogHealthFailed(Logger, Key, failed[0].Message);
                return await FailAsync(spec, Reasons.HealthCheckFailed, string.Join("; ", failed.Select(h => h.Message)), retry, ct, health: "Failed");
            }

            if (waiting.Count > 0)
            {
                // Still progressing when the timeout passed: not stalled, retried.
                return await FailAsync(spec, Reasons.ProgressingWithRetry, "health check timed out: " + string.Join("; ", waiting.Select(h => h.Message)), retry, ct, health: "InProgress");
            }

            healthSummary = "Current";
        }

        if (changedDesired && await RunHooksAsync(client, hooks, HookPhase.Post, install, objects, spec, interval, ct) is { } postHookFailure)
        {
            return await FailAsync(spec, Reasons.ReconciliationFailed, postHookFailure, retry, ct);
        }

        State = State with { LastAppliedRevision = spec.Revision, LastAppliedDigest = spec.ManifestDigest, Failures = 0, LastAppliedAt = Time.GetUtcNow() };
        _stateChanged = true;
        await ReportAsync(spec, true, Reasons.ReconciliationSucceeded, $"Applied revision: {spec.Revision}", result.Inventory, drift, ct, health: healthSummary);
        return CheckedUntil(Jitter(interval));
    }

    /// <summary>The cluster matched the manifests just now: the next drift check is due after <paramref name="next"/>.</summary>
    private TimeSpan CheckedUntil(TimeSpan next)
    {
        _checkDue = Time.GetUtcNow() + next;
        return next;
    }

    /// <summary>Whether the Cluster object says <c>paused</c>.</summary>
    private static bool IsPaused(StoredResource? cluster) =>
        cluster is not null && JsonSerializer.Deserialize<ClusterSpec>(cluster.SpecJson, FleetJson.Options)?.Paused == true;

    /// <summary>A <c>healthChecks</c> entry as an object reference (the namespace defaults to the application's).</summary>
    private ObjectRef HealthCheckRef(CrossNamespaceObjectReference r)
    {
        var apiVersion = r.ApiVersion ?? "v1";
        var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        return new ObjectRef(slash < 0 ? "" : apiVersion[..slash], slash < 0 ? apiVersion : apiVersion[(slash + 1)..], r.Kind, r.Namespace ?? Namespace, r.Name);
    }

    private async Task<TimeSpan?> RemoveAsync(PlacementSpec spec, KubeInventory inventory, TimeSpan retry, CancellationToken ct)
    {
        if (spec.Prune && inventory.Entries.Count > 0)
        {
            KubeClient client;
            try
            {
                (client, _, _) = await clients.GetAsync(Namespace, ClusterName, ct);
            }
            catch (ClusterUnavailableException ex) when (ex.Reason == "ClusterNotFound")
            {
                // The cluster itself is gone: nothing left to prune on it.
                return await ForgetAsync(ct);
            }
            catch (ClusterUnavailableException ex)
            {
                return await FailAsync(spec, ex.Reason, ex.Message, retry, ct);
            }
            ApplyResult result;
            using (await slots.AcquireClusterAsync($"{Namespace}/{ClusterName}", ct))
            {
                result = await applier.ApplyAsync(client, [], new ApplyOptions(Application, Namespace) { Prune = true, Previous = inventory }, ct);
            }
            RecordChanges(result, false);
            State = State with { Inventory = result.Inventory.ToJson() };
            if (!result.Succeeded || result.Inventory.Entries.Count > 0)
            {
                return await FailAsync(spec, Reasons.ReconciliationFailed, "prune failed: " + string.Join("; ", result.Errors), retry, ct);
            }
            await EventAsync(FleetEventType.Normal, "Pruned", $"removed from cluster {ClusterName}: {Summarize(result)}", ct);
        }
        return await ForgetAsync(ct);
    }

    private async Task<TimeSpan?> ForgetAsync(CancellationToken ct)
    {
        await Store.DeleteAsync(ResourceKinds.Placement.Kind, Namespace, Name, ct);
        await ClearStateAsync();
        await GrainFactory.GetGrain<IApplicationGrain>(GrainKeys.Of(Namespace, Application)).HintPlacementChanged(ClusterName);
        return null;
    }

    /// <summary>The first dependency not Ready at its application's latest revision on this cluster, or null.</summary>
    private async Task<string?> DependencyNotReadyAsync(PlacementSpec spec, CancellationToken ct)
    {
        foreach (var dependency in spec.DependsOn ?? [])
        {
            var app = await Store.GetAsync(ResourceKinds.Application.Kind, Namespace, dependency, ct);
            var placement = await Store.GetAsync(ResourceKinds.Placement.Kind, Namespace, GrainKeys.PlacementName(dependency, ClusterName), ct);
            if (app is null || placement?.StatusJson is null)
            {
                return dependency;
            }
            var desired = JsonSerializer.Deserialize<PlacementSpec>(placement.SpecJson, FleetJson.Options);
            var status = JsonSerializer.Deserialize<PlacementStatus>(placement.StatusJson, FleetJson.Options);
            if (!ConditionList.IsTrue(status?.Conditions, ConditionTypes.Ready) || status?.LastAppliedRevision is null || status.LastAppliedRevision != desired?.Revision)
            {
                return dependency;
            }
        }
        return null;
    }

    private async Task<TimeSpan?> FailAsync(PlacementSpec spec, string reason, string message, TimeSpan retry, CancellationToken ct, string? health = null)
    {
        Outcome = "failure";
        State = State with { Failures = State.Failures + 1 };
        _stateChanged = true;
        var inventory = State.Inventory is { } json ? KubeInventory.FromJson(json) : null;
        await ReportAsync(spec, false, reason, message, inventory, null, ct, health: health);
        // Retry at retryInterval, backing off (×2 per failure, at most ×8) while failures repeat.
        return Jitter(retry * Math.Min(8, Math.Pow(2, Math.Max(0, State.Failures - 1))));
    }

    private async Task ReportAsync(PlacementSpec spec, bool ready, string reason, string message, KubeInventory? inventory, IReadOnlyList<DriftEntry>? drift, CancellationToken ct,
        string? health = null, bool reconciling = false)
    {
        var now = Time.GetUtcNow();
        var generation = Current?.Generation ?? 0;
        var previous = Current?.StatusJson is { } s ? JsonSerializer.Deserialize<PlacementStatus>(s, FleetJson.Options) : null;
        var progressing = reconciling || (!ready && reason is Reasons.DependencyNotReady or Reasons.ProgressingWithRetry);
        var conditions = new List<Condition>
        {
            reconciling
                ? new Condition { Type = ConditionTypes.Ready, Status = ConditionStatus.Unknown, Reason = reason, Message = message, ObservedGeneration = generation, LastTransitionTime = now }
                : NewCondition(ConditionTypes.Ready, ready, reason, message, generation, now),
        };
        if (progressing)
        {
            conditions.Add(NewCondition(ConditionTypes.Reconciling, true, reason, message, generation, now));
        }
        else if (!ready && reason == Reasons.HealthCheckFailed)
        {
            conditions.Add(NewCondition(ConditionTypes.Stalled, true, reason, message, generation, now));
        }
        var status = new PlacementStatus
        {
            ObservedGeneration = generation,
            Conditions = Conditions([.. conditions]),
            LastAttemptedRevision = spec.Revision,
            LastAppliedRevision = State.LastAppliedRevision,
            LastAppliedDigest = State.LastAppliedDigest,
            LastAppliedTime = ready && previous?.LastAppliedRevision != State.LastAppliedRevision ? now : previous?.LastAppliedTime,
            Inventory = (inventory ?? (State.Inventory is { } j ? KubeInventory.FromJson(j) : null))?.Entries
                .Select(e => new Abstractions.Resources.InventoryEntry { Group = e.Group, Version = e.Version, Kind = e.Kind, Namespace = e.Namespace, Name = e.Name }).ToList(),
            // Health is claimed only where it was waited for (as Flux: with wait off it is not checked), never guessed.
            Health = health ?? (spec.Wait ? previous?.Health : null),
            Drift = drift?.ToList(),
        };
        var written = await WriteStatusAsync(ResourceKinds.Placement.Kind, status, ct);

        var outcome = $"{ready}:{reason}:{status.LastAppliedRevision}";
        var outcomeChanged = State.LastOutcome != outcome;
        if (outcomeChanged)
        {
            State = State with { LastOutcome = outcome };
            _stateChanged = true;
        }

        if (_stateChanged)
        {
            // One state write per report, after the status: a crash between them re-applies (idempotent), never skips.
            await WriteStateAsync();
            _stateChanged = false;
        }

        if (outcomeChanged)
        {
            if (!ready && !reconciling && reason != Reasons.Suspended)
            {
                await EventAsync(FleetEventType.Warning, reason, message, ct);
            }

            // The application aggregates its placements and moves the rollout on, from the status carried here.
            var application = GrainFactory.GetGrain<IApplicationGrain>(GrainKeys.Of(Namespace, Application));
            if (written is null)
            {
                await application.HintPlacementChanged(ClusterName);
            }
            else
            {
                await application.HintPlacementReported(new PlacementReport
                {
                    Cluster = ClusterName,
                    ResourceVersion = written.ResourceVersion,
                    Ready = status.Conditions[0].Status,
                    Reason = status.Conditions[0].Reason,
                    LastAttemptedRevision = status.LastAttemptedRevision,
                    LastAppliedRevision = status.LastAppliedRevision,
                    LastAppliedDigest = status.LastAppliedDigest,
                });
            }
        }
    }

    private static void RecordChanges(ApplyResult result, bool drift)
    {
        GrainMetrics.Changed("created", result.Count(ChangeAction.Created));
        GrainMetrics.Changed(drift ? "corrected" : "configured", result.Count(ChangeAction.Configured));
        GrainMetrics.Changed("deleted", result.Count(ChangeAction.Deleted));
    }

    private static string Summarize(ApplyResult result) =>
        string.Join(", ", new[] { ChangeAction.Created, ChangeAction.Configured, ChangeAction.Deleted }
            .Select(a => (Action: a, Objects: result.Changes.Where(c => c.Action == a).Select(c => c.Object.ToString()).ToList()))
            .Where(x => x.Objects.Count > 0)
            .Select(x => $"{x.Action.ToString().ToLowerInvariant()} {string.Join(" ", x.Objects)}"));
}

internal sealed partial class PlacementGrain
{
    [LoggerMessage(EventId = GrainEventIds.HealthCheckFailed, Level = LogLevel.Warning, Message = "Placement {Key}: health check failed: {Message}")]
    private static partial void LogHealthFailed(ILogger logger, string key, string message);
}
