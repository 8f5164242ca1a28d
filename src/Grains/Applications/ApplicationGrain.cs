using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fleet.Abstractions;
using Fleet.Abstractions.Grains;
using Fleet.Abstractions.Resources;
using Fleet.Grains.Common;
using Fleet.Rendering;
using Fleet.Store;
using Fleet.Store.Secrets;
using Microsoft.Extensions.Logging;

namespace Fleet.Grains.Applications;

/// <summary>
/// An application: renders its source's artifact once per (revision, customization), substitutes each cluster's
/// variables, selects its clusters with one label-selector query, plans the rollout, and writes each placement's
/// desired state (then tells it). A failed render changes nothing live. A placement's report re-reads only that
/// placement and moves the rollout on from the targets kept in memory (O(N) in memory, O(1) in the store), rather
/// than selecting, rendering and listing everything again.
/// </summary>
internal sealed partial class ApplicationGrain(
    [PersistentState("state", StoreServiceCollectionExtensions.GrainStorageName)] IPersistentState<ApplicationState> state,
    IResourceStore store, IEventLog events, IBlobStore blobs, ArtifactCache artifacts, SecretReader secrets, HelmRenderer helm, HelmChartSource charts, ILogger<ApplicationGrain> logger)
    : ReconcilingGrain<ApplicationState>(state, store, events, logger), IApplicationGrain
{
    /// <summary>
    /// What the current artifact and generation rendered, kept while the activation lives: the renders by key, the
    /// positions of the objects that reference variables in each, and the substituted manifests by rendered digest
    /// and variables. A full reconcile over 10,000 clusters then renders, parses and hashes once, not per cluster.
    /// </summary>
    private readonly Dictionary<string, (string Digest, IReadOnlyList<JsonObject> Objects)> _rendered = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int[]> _substitutable = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _substituted = new(StringComparer.Ordinal);
    private string? _substitutedFor;

    /// <summary>Substituted manifests not yet stored: written in batches before any placement names them.</summary>
    private readonly List<ReadOnlyMemory<byte>> _unstored = [];
    private const int BlobWriteBatch = 500;

    protected override string KindName => ResourceKinds.Application.Kind;

    /// <summary>What the last full reconcile computed, kept while the activation lives, for placement reports.</summary>
    private static readonly TimeSpan ReportGathering = TimeSpan.FromMilliseconds(250);
    private Snapshot? _snapshot;
    private bool _fullPending = true;
    /// <summary>Placements that reported since the last reconcile: their report, or null where the placement must be read again.</summary>
    private readonly Dictionary<string, PlacementReport?> _reported = new(StringComparer.Ordinal);

    public Task HintChanged()
    {
        _fullPending = true;
        return Hint();
    }

    public Task HintPlacementChanged(string cluster)
    {
        // Placement reports come in bursts during a rollout: gathered for a moment, they make one reconcile.
        _reported[cluster] = null;
        return HintWithin(ReportGathering);
    }

    public Task HintPlacementReported(PlacementReport report)
    {
        // Of two reports of one placement, the later write wins; a placement to be read again stays so.
        if (!_reported.TryGetValue(report.Cluster, out var known))
        {
            _reported[report.Cluster] = report;
        }
        else if (known is not null && known.ResourceVersion < report.ResourceVersion)
        {
            _reported[report.Cluster] = report;
        }

        return HintWithin(ReportGathering);
    }

    protected override async Task<TimeSpan?> ReconcileAsync(CancellationToken ct)
    {
        var reported = _reported.ToList();
        _reported.Clear();
        var full = _fullPending || _snapshot is null || Time.GetUtcNow() >= _snapshot.FullDue;
        _fullPending = false;
        if (!full && await ReconcileReportsAsync(_snapshot!, reported, ct) is { } next)
        {
            return next;
        }

        return await ReconcileAllAsync(ct);
    }

    /// <summary>Only placements reported: re-read those, re-plan from the kept targets, update and report.</summary>
    private async Task<TimeSpan?> ReconcileReportsAsync(Snapshot snapshot, List<KeyValuePair<string, PlacementReport?>> reported, CancellationToken ct)
    {
        var spec = await ReadSpecAsync<ApplicationSpec>(ResourceKinds.Application.Kind, ct);
        if (spec is null || Current!.Generation != snapshot.Generation || spec.Suspend)
        {
            return null;
        }

        foreach (var (cluster, report) in reported)
        {
            if (report is not null && snapshot.Placements.TryGetValue(cluster, out var kept))
            {
                // The placement's spec is the one this grain wrote; its status came with the report.
                if (kept.ResourceVersion < report.ResourceVersion)
                {
                    snapshot.Placements[cluster] = kept with { ResourceVersion = report.ResourceVersion };
                    if (snapshot.TargetIndex.TryGetValue(cluster, out var at))
                    {
                        var keptSpec = Read(kept);
                        snapshot.Targets[at] = snapshot.Targets[at] with
                        {
                            SpecRevision = keptSpec.Revision,
                            SpecDigest = keptSpec.ManifestDigest,
                            Phase = keptSpec.Deleting ? PlacementPhase.Pending
                                : Phase(keptSpec, report.Ready, report.Reason, report.LastAttemptedRevision, report.LastAppliedRevision, report.LastAppliedDigest),
                        };
                    }
                }

                // Older than what is known (a report overtaken by a later write): nothing to learn.
                continue;
            }

            var placement = await Store.GetAsync(ResourceKinds.Placement.Kind, Namespace, GrainKeys.PlacementName(Name, cluster), ct);
            if (placement is null)
            {
                snapshot.Placements.Remove(cluster);
            }
            else
            {
                snapshot.Placements[cluster] = Kept(placement);
            }

            if (snapshot.TargetIndex.TryGetValue(cluster, out var i))
            {
                var t = snapshot.Targets[i];
                var currentSpec = placement is null ? null : Read(placement);
                snapshot.Targets[i] = t with
                {
                    SpecRevision = currentSpec?.Revision,
                    SpecDigest = currentSpec?.ManifestDigest,
                    Phase = placement is null || currentSpec!.Deleting ? PlacementPhase.Pending : Phase(placement),
                };
            }
        }

        await ApplyPlanAsync(spec, snapshot, ct, reported.Select(r => r.Key).ToHashSet(StringComparer.Ordinal));
        return Jitter(snapshot.Interval);
    }

    /// <summary>
    /// Plans the rollout over every target (in memory) and writes the placements whose desired state changed: all of
    /// them on a full reconcile, only those the plan moves on or that reported (<paramref name="only"/>) otherwise.
    /// </summary>
    private async Task ApplyPlanAsync(ApplicationSpec spec, Snapshot snapshot, CancellationToken ct, IReadOnlySet<string>? only = null)
    {
        var plan = RolloutPlanner.Plan(snapshot.Targets, spec.Rollout?.MaxUnavailable, spec.Rollout?.PauseOnFailure == true, spec.Rollout is not null);
        var update = plan.Update.ToHashSet(StringComparer.Ordinal);
        var writes = new List<(string Cluster, StoredResource? Existing, PlacementSpec Next)>();
        var indexes = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < snapshot.Targets.Count; i++)
        {
            var target = snapshot.Targets[i];
            if (only is not null && !update.Contains(target.Cluster) && !only.Contains(target.Cluster))
            {
                continue;
            }

            snapshot.Placements.TryGetValue(target.Cluster, out var placement);
            var current = placement is null ? null : Read(placement);
            var next = Settings(spec, target.Cluster) with
            {
                Revision = update.Contains(target.Cluster) ? target.DesiredRevision : current?.Revision,
                ManifestDigest = update.Contains(target.Cluster) ? target.DesiredDigest : current?.ManifestDigest,
                Customization = update.Contains(target.Cluster) ? snapshot.Desired[target.Cluster].Customization : current?.Customization,
            };
            if (next.Revision is not null)
            {
                writes.Add((target.Cluster, placement, next));
                indexes[target.Cluster] = i;
            }
        }

        foreach (var written in await UpdatePlacementsAsync(writes, ct))
        {
            var cluster = written.Labels[PlacementLabels.Cluster];
            var i = indexes[cluster];
            var next = Read(written);
            snapshot.Placements[cluster] = Kept(written);
            snapshot.Targets[i] = snapshot.Targets[i] with { SpecRevision = next.Revision, SpecDigest = next.ManifestDigest, Phase = written.StatusJson is null ? PlacementPhase.Pending : PlacementPhase.Progressing };
        }

        await ReportAsync(spec, snapshot.Placements, snapshot.Revision, (plan, snapshot.Targets), ConditionStatus.Unknown, "", "", ct, full: false);
    }

    private async Task<TimeSpan?> ReconcileAllAsync(CancellationToken ct)
    {
        _snapshot = null;
        var spec = await ReadSpecAsync<ApplicationSpec>(ResourceKinds.Application.Kind, ct);
        var placements = (await Store.ListAsync(ResourceKinds.Placement.Kind, Namespace, LabelSelector.Parse($"{PlacementLabels.Application}={Name}"), ct))
            .ToDictionary(p => p.Labels[PlacementLabels.Cluster], StringComparer.Ordinal);
        if (spec is null)
        {
            return await DeleteAsync(placements, ct);
        }
        var generation = Current!.Generation;
        var interval = GoDuration.Parse(spec.Interval, TimeSpan.FromMinutes(5));
        var retry = GoDuration.Parse(spec.RetryInterval, interval);
        if (State.Prune != spec.Prune)
        {
            State = State with { Prune = spec.Prune };
            await WriteStateAsync();
        }
        if (spec.Suspend)
        {
            await UpdatePlacementsAsync(placements.Select(p => (p.Key, (StoredResource?)p.Value, Read(p.Value) with { Suspend = true })).ToList(), ct);
            await ReportAsync(spec, placements, null, null, ConditionStatus.True, Reasons.Suspended, "reconciliation is suspended", ct);
            return null;
        }

        // The source's artifact (for a HelmRepository: the chart version the application asks for).
        var (artifact, why) = spec.SourceRef.Kind == ResourceKinds.HelmRepository.Kind ? await charts.ResolveAsync(Namespace, spec, ct) : await GitArtifactAsync(spec, ct);
        if (artifact is null)
        {
            await ReportAsync(spec, placements, null, null, ConditionStatus.False, Reasons.ArtifactFailed, why!, ct);
            return Jitter(retry);
        }

        // The clusters, in one label-selector query.
        var clusters = spec.ClusterSelector is null
            ? []
            : await Store.ListAsync(ResourceKinds.Cluster.Kind, Namespace, spec.ClusterSelector.ToSelector(), ct);
        var canary = spec.Rollout?.Canary?.ToSelector();

        // Render once per customization used, then substitute per cluster. Substitutions of an older revision are dropped.
        if (_substitutedFor != $"{artifact.Digest}|{generation}")
        {
            _rendered.Clear();
            _substitutable.Clear();
            _substituted.Clear();
            _substitutedFor = $"{artifact.Digest}|{generation}";
        }
        var targets = new List<RolloutTarget>();
        var desired = new Dictionary<string, (string Digest, string? Customization)>(StringComparer.Ordinal);
        try
        {
            foreach (var cluster in clusters)
            {
                var customization = spec.TargetCustomizations?.FirstOrDefault(tc => tc.ClusterSelector?.ToSelector().Matches(cluster.Labels) == true);
                var rendered = await RenderAsync(spec, artifact.Digest, customization, generation, cluster, ct);
                var digest = await SubstituteAsync(spec, customization, rendered, cluster, ct);
                desired[cluster.Name] = (digest, customization?.Name);
                var current = placements.TryGetValue(cluster.Name, out var p) ? p : null;
                var currentSpec = current is null ? null : Read(current);
                targets.Add(new RolloutTarget(cluster.Name, canary?.Matches(cluster.Labels) == true, artifact.Revision, digest,
                    currentSpec?.Revision, currentSpec?.ManifestDigest, current is null || currentSpec!.Deleting ? PlacementPhase.Pending : Phase(current)));
            }
        }
        catch (Exception ex) when (ex is RenderException or SubstitutionSourceException)
        {
            // Substitutions not stored must not be named later: forget them all.
            _unstored.Clear();
            _substituted.Clear();
            // Nothing live changes: placements keep the last good manifests.
            var reason = ex is RenderException ? Reasons.BuildFailed : Reasons.ArtifactFailed;
            await ReportAsync(spec, placements, artifact.Revision, null, ConditionStatus.False, reason, ex.Message, ct);
            return Jitter(retry);
        }

        await StoreSubstitutedAsync(ct);

        // Clusters that left the selection: prune there (when prune is on) and remove the placement.
        await UpdatePlacementsAsync(placements.Where(p => !desired.ContainsKey(p.Key))
            .Select(p => (p.Key, (StoredResource?)p.Value, Read(p.Value) with { Deleting = true, Prune = spec.Prune })).ToList(), ct);

        var snapshot = new Snapshot(generation, artifact.Revision, targets, targets.Select((t, i) => (t.Cluster, i)).ToDictionary(x => x.Cluster, x => x.i, StringComparer.Ordinal),
            desired, placements.ToDictionary(p => p.Key, p => Kept(p.Value), StringComparer.Ordinal), Jitter(interval), Time.GetUtcNow() + (interval * 0.9));
        await ApplyPlanAsync(spec, snapshot, ct);
        await HintWaitingPlacementsAsync(placements);
        _snapshot = snapshot;
        return snapshot.Interval;
    }

    private async Task<(ArtifactStatus? Artifact, string? Why)> GitArtifactAsync(ApplicationSpec spec, CancellationToken ct)
    {
        var source = await Store.GetAsync(ResourceKinds.GitRepository.Kind, Namespace, spec.SourceRef.Name, ct);
        var artifact = source?.StatusJson is { } sourceStatus ? JsonSerializer.Deserialize<GitRepositoryStatus>(sourceStatus, FleetJson.Options)?.Artifact : null;
        return (artifact, source is null ? $"GitRepository {Namespace}/{spec.SourceRef.Name} does not exist" : $"GitRepository {Namespace}/{spec.SourceRef.Name} has no artifact yet");
    }

    private async Task<TimeSpan?> DeleteAsync(Dictionary<string, StoredResource> placements, CancellationToken ct)
    {
        if (placements.Count == 0)
        {
            await ClearStateAsync();
            return null;
        }
        await UpdatePlacementsAsync(placements.Select(p => (p.Key, (StoredResource?)p.Value, Read(p.Value) with { Deleting = true, Prune = State.Prune })).ToList(), ct);
        // Each placement tells this grain when it is gone; look again in a while in case one cannot finish.
        return TimeSpan.FromMinutes(1);
    }

    /// <summary>The rendered, unsubstituted objects for one customization, from the blob store when rendered before.</summary>
    private async Task<(string Digest, IReadOnlyList<JsonObject> Objects)> RenderAsync(ApplicationSpec spec, string artifactDigest, TargetCustomization? customization, long generation, StoredResource cluster, CancellationToken ct)
    {
        // A chart renders per values and cluster version too: both are in its key.
        var chart = spec.Helm is null ? null : await helm.PrepareAsync(Namespace, Name, spec, customization, cluster, ct);
        var key = $"{artifactDigest}|{customization?.Name}{chart?.Key}|{generation}";
        if (_rendered.TryGetValue(key, out var kept))
        {
            return kept;
        }
        if (State.Renders.TryGetValue(key, out var known) && await ManifestBlob.ReadAsync(blobs, known, ct) is { } cached)
        {
            return _rendered[key] = (known, cached);
        }
        using var span = GrainTracing.Start("render", Key);
        if (chart is not null)
        {
            return await KeepRenderAsync(key, artifactDigest, generation, await helm.RenderAsync(chart, spec, customization, artifactDigest, ct),
                $"rendered chart {spec.Helm!.Chart ?? spec.Path} for cluster version {chart.KubeVersion}{(customization is null ? "" : $" for customization {customization.Name}")}", ct);
        }
        var root = await artifacts.GetDirectoryAsync(artifactDigest, ct);
        var path = (customization?.Path ?? spec.Path ?? "./").TrimStart('/');
        var patches = (spec.Patches ?? []).Concat(customization?.Patches ?? []).Select(ToPatch).ToList();
        var result = KustomizeEngine.Render(root, string.IsNullOrEmpty(path) ? "." : path, new RenderOptions
        {
            Overlay = new FluxOverlay
            {
                TargetNamespace = spec.TargetNamespace,
                NamePrefix = spec.NamePrefix,
                NameSuffix = spec.NameSuffix,
                Patches = patches,
                Images = spec.Images?.Select(ToImage).ToList(),
                Components = spec.Components,
                CommonMetadata = spec.CommonMetadata is { } m ? new FluxCommonMetadata(m.Labels, m.Annotations) : null,
            },
        });
        return await KeepRenderAsync(key, artifactDigest, generation, result.Objects,
            $"rendered {result.Objects.Count} objects from {path}{(customization is null ? "" : $" for customization {customization.Name}")}", ct);
    }

    /// <summary>Stores a render under its key (dropping those of older artifacts and generations) and announces it.</summary>
    private async Task<(string Digest, IReadOnlyList<JsonObject> Objects)> KeepRenderAsync(string key, string artifactDigest, long generation, IReadOnlyList<JsonObject> objects, string message, CancellationToken ct)
    {
        var digest = await blobs.PutAsync(ManifestBlob.Objects(objects), ct);
        _rendered[key] = (digest, objects);
        // Keep only the renders of the current generation and artifact: older ones are never asked for again.
        var renders = State.Renders.Where(r => r.Key.StartsWith(artifactDigest + "|", StringComparison.Ordinal) && r.Key.EndsWith("|" + generation, StringComparison.Ordinal))
            .ToDictionary(r => r.Key, r => r.Value, StringComparer.Ordinal);
        renders[key] = digest;
        State = State with { Renders = renders };
        await WriteStateAsync();
        await EventAsync(FleetEventType.Normal, "Rendered", message, ct);
        return (digest, objects);
    }

    /// <summary>The manifests for one cluster: the rendered objects with its variables substituted (shared when nothing is substituted).</summary>
    private async Task<string> SubstituteAsync(ApplicationSpec spec, TargetCustomization? customization, (string Digest, IReadOnlyList<JsonObject> Objects) rendered, StoredResource cluster, CancellationToken ct)
    {
        if (spec.PostBuild is null && customization?.PostBuild is null)
        {
            return rendered.Digest;
        }
        var vars = ClusterVariables.For(Namespace, cluster.Name, cluster.Labels);
        foreach (var source in (spec.PostBuild?.SubstituteFrom ?? []).Concat(customization?.PostBuild?.SubstituteFrom ?? []))
        {
            foreach (var (k, v) in await SubstituteFromAsync(source, ct))
            {
                vars[k] = v;
            }
        }
        foreach (var (k, v) in (spec.PostBuild?.Substitute ?? []).Concat(customization?.PostBuild?.Substitute ?? []))
        {
            vars[k] = v;
        }
        var key = rendered.Digest + "|" + string.Join(";", vars.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => $"{v.Key}={v.Value}"));
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
        if (_substituted.TryGetValue(hash, out var known))
        {
            return known;
        }
        // Only objects that reference a variable can change: the others stay in the shared rendered blob.
        if (!_substitutable.TryGetValue(rendered.Digest, out var positions))
        {
            positions = _substitutable[rendered.Digest] = Enumerable.Range(0, rendered.Objects.Count)
                .Where(i => rendered.Objects[i].ToJsonString().Contains("${", StringComparison.Ordinal)).ToArray();
        }
        IReadOnlyList<JsonObject> substituted;
        try
        {
            // Substitute copies what it returns and leaves its input alone: no clone needed here.
            substituted = Rendering.PostBuild.Substitute(positions.Select(i => rendered.Objects[i]).ToList(), vars);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not RenderException)
        {
            throw new RenderException($"postBuild substitution for cluster {cluster.Name}: {ex.Message}");
        }
        var changed = positions.Select((at, i) => KeyValuePair.Create(at, substituted[i]))
            .Where(r => !JsonNode.DeepEquals(r.Value, rendered.Objects[r.Key])).ToList();
        if (changed.Count == 0)
        {
            return _substituted[hash] = rendered.Digest;
        }
        var overlay = ManifestBlob.Overlay(rendered.Digest, changed);
        var digest = ManifestBlob.Digest(overlay);
        _unstored.Add(overlay);
        if (_unstored.Count >= BlobWriteBatch)
        {
            await StoreSubstitutedAsync(ct);
        }
        return _substituted[hash] = digest;
    }

    /// <summary>Writes the substituted manifests computed so far, in one round trip.</summary>
    private async Task StoreSubstitutedAsync(CancellationToken ct)
    {
        if (_unstored.Count > 0)
        {
            await blobs.PutManyAsync([.. _unstored], ct);
            _unstored.Clear();
        }
    }

    private async Task<IReadOnlyDictionary<string, string>> SubstituteFromAsync(SubstituteReference source, CancellationToken ct)
    {
        if (source.Kind != ResourceKinds.Secret.Kind)
        {
            return source.Optional ? new Dictionary<string, string>()
                : throw new SubstitutionSourceException($"postBuild.substituteFrom: kind {source.Kind} is not supported (Fleet keeps variables in Secrets)");
        }
        var data = await secrets.GetAsync(Namespace, source.Name, ct);
        return data ?? (source.Optional ? new Dictionary<string, string>()
            : throw new SubstitutionSourceException($"postBuild.substituteFrom: Secret {Namespace}/{source.Name} does not exist"));
    }

    /// <summary>The placement settings that follow the application's spec at once (not gated by the rollout).</summary>
    private PlacementSpec Settings(ApplicationSpec spec, string cluster) => new()
    {
        Application = Name,
        Cluster = cluster,
        Prune = spec.Prune,
        // A rollout moves on only when a wave is healthy, so its placements always wait for health.
        Wait = spec.Wait || spec.Rollout is not null || spec.HealthChecks is { Count: > 0 },
        Force = spec.Force,
        Interval = spec.Interval,
        RetryInterval = spec.RetryInterval,
        Timeout = spec.Timeout,
        DependsOn = spec.DependsOn?.Select(d => d.Name).ToList(),
        HealthChecks = spec.HealthChecks,
    };

    /// <summary>
    /// Writes the placements' desired states that changed, a batch per transaction (one commit for a whole wave
    /// rather than one per cluster: the writes of thousands of placements otherwise queue behind their own
    /// reports), then tells each written placement. Returns the stored objects that changed.
    /// </summary>
    private async Task<List<StoredResource>> UpdatePlacementsAsync(List<(string Cluster, StoredResource? Existing, PlacementSpec Next)> updates, CancellationToken ct)
    {
        var changed = new List<ResourceWrite>();
        var revisionOnly = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (cluster, existing, next) in updates)
        {
            var json = JsonSerializer.Serialize(next, FleetJson.Options);
            if (existing?.SpecJson != json)
            {
                var labels = new Dictionary<string, string> { [PlacementLabels.Application] = Name, [PlacementLabels.Cluster] = cluster };
                changed.Add(new ResourceWrite(ResourceKinds.Placement.Kind, Namespace, GrainKeys.PlacementName(Name, cluster), labels, new Dictionary<string, string>(), json));
                if (existing is not null && JsonSerializer.Serialize(Read(existing) with { Revision = next.Revision }, FleetJson.Options) == json)
                {
                    revisionOnly.Add(cluster);
                }
            }
        }

        var written = new List<StoredResource>(changed.Count);
        foreach (var batch in changed.Chunk(PlacementWriteBatch))
        {
            var stored = await Store.PutManyAsync(batch, ct);
            written.AddRange(stored);
            foreach (var placement in stored)
            {
                var cluster = placement.Labels[PlacementLabels.Cluster];
                var grain = GrainFactory.GetGrain<IPlacementGrain>(GrainKeys.Placement(Namespace, Name, cluster));
                await (revisionOnly.Contains(cluster) ? grain.HintRevisionChanged() : grain.HintDesiredChanged());
            }
        }

        return written;
    }

    /// <summary>Placements written per transaction: large enough to amortise the commit, small enough that placements start applying while the rest are written.</summary>
    private const int PlacementWriteBatch = 250;

    /// <summary>
    /// A placement as the snapshot keeps it: its spec and labels, not its status (whose phase is in the targets):
    /// the status holds the inventory, and an application of 10,000 clusters would keep 10,000 of them.
    /// </summary>
    private static StoredResource Kept(StoredResource placement) => placement with { StatusJson = null };

    private static PlacementSpec Read(StoredResource placement) => JsonSerializer.Deserialize<PlacementSpec>(placement.SpecJson, FleetJson.Options)!;

    private static PlacementPhase Phase(StoredResource placement)
    {
        if (placement.StatusJson is null)
        {
            return PlacementPhase.Pending;
        }
        var status = JsonSerializer.Deserialize<PlacementStatus>(placement.StatusJson, FleetJson.Options)!;
        var ready = ConditionList.Find(status.Conditions, ConditionTypes.Ready);
        return Phase(Read(placement), ready?.Status, ready?.Reason, status.LastAttemptedRevision, status.LastAppliedRevision, status.LastAppliedDigest);
    }

    /// <summary>A placement's phase for its desired <paramref name="spec"/>, from its Ready condition and what it applied.</summary>
    private static PlacementPhase Phase(PlacementSpec spec, string? ready, string? reason, string? attempted, string? applied, string? appliedDigest)
    {
        if (ready == ConditionStatus.True && applied == spec.Revision && appliedDigest == spec.ManifestDigest)
        {
            return PlacementPhase.Ready;
        }
        if (ready == ConditionStatus.False && attempted == spec.Revision &&
            reason is Reasons.HealthCheckFailed or Reasons.ReconciliationFailed or Reasons.ArtifactFailed)
        {
            return PlacementPhase.Failed;
        }
        return PlacementPhase.Progressing;
    }

    private async Task ReportAsync(ApplicationSpec spec, Dictionary<string, StoredResource> placements, string? revision, (RolloutPlan Plan, List<RolloutTarget> Targets)? rollout,
        string readyStatus, string reason, string message, CancellationToken ct, bool full = true)
    {
        var now = Time.GetUtcNow();
        var generation = Current!.Generation;
        var previous = Current.StatusJson is { } s ? JsonSerializer.Deserialize<ApplicationStatus>(s, FleetJson.Options) : null;
        var counts = previous?.Placements;
        RolloutStatus? rolloutStatus = previous?.Rollout;
        var lastApplied = previous?.LastAppliedRevision;
        var conditions = new List<Condition>();
        if (rollout is { } r)
        {
            var targets = r.Targets;
            counts = new PlacementCounts
            {
                Selected = targets.Count,
                Ready = targets.Count(t => t.UpToDate && t.Phase == PlacementPhase.Ready),
                Failed = targets.Count(t => t.UpToDate && t.Phase == PlacementPhase.Failed),
                Progressing = targets.Count(t => t.UpToDate && t.Phase is PlacementPhase.Progressing or PlacementPhase.Pending),
                Pending = targets.Count(t => !t.UpToDate),
            };
            rolloutStatus = new RolloutStatus { Revision = revision, Wave = r.Plan.Wave, Waves = r.Plan.Waves, Paused = r.Plan.Paused, Message = r.Plan.Message };
            if (counts.Ready == counts.Selected)
            {
                lastApplied = revision;
                message = counts.Selected == 0 ? "no cluster matches the clusterSelector" : $"Applied revision: {revision} on {counts.Selected} cluster{(counts.Selected == 1 ? "" : "s")}";
                conditions.Add(NewCondition(ConditionTypes.Ready, true, Reasons.ReconciliationSucceeded, message, generation, now));
            }
            else if (r.Plan.Paused)
            {
                message = r.Plan.Message;
                LogRolloutHalted(Logger, Key, message);
                conditions.Add(NewCondition(ConditionTypes.Ready, false, Reasons.HealthCheckFailed, message, generation, now));
                conditions.Add(NewCondition(ConditionTypes.Stalled, true, Reasons.HealthCheckFailed, message, generation, now));
            }
            else
            {
                var failed = targets.Where(t => t.UpToDate && t.Phase == PlacementPhase.Failed).Select(t => t.Cluster).ToList();
                message = $"{(r.Plan.Complete ? "every wave released" : r.Plan.Message)}: {counts.Ready}/{counts.Selected} ready" + (failed.Count > 0 ? $", failed on {string.Join(", ", failed)}" : "");
                if (r.Plan.Complete && failed.Count > 0 && counts.Progressing == 0)
                {
                    // Nothing is moving any more: the failed clusters retry on their own, but the application is not Ready.
                    conditions.Add(NewCondition(ConditionTypes.Ready, false, Reasons.ReconciliationFailed, message, generation, now));
                }
                else
                {
                conditions.Add(new Condition { Type = ConditionTypes.Ready, Status = failed.Count > 0 ? ConditionStatus.False : ConditionStatus.Unknown, Reason = failed.Count > 0 ? Reasons.ReconciliationFailed : Reasons.Progressing, Message = message, ObservedGeneration = generation, LastTransitionTime = now });
                conditions.Add(NewCondition(ConditionTypes.Reconciling, true, Reasons.Progressing, message, generation, now));
                }
            }
        }
        else
        {
            conditions.Add(new Condition { Type = ConditionTypes.Ready, Status = readyStatus, Reason = reason, Message = message, ObservedGeneration = generation, LastTransitionTime = now });
            if (reason is Reasons.BuildFailed)
            {
                conditions.Add(NewCondition(ConditionTypes.Stalled, true, reason, message, generation, now));
            }
        }
        var status = new ApplicationStatus
        {
            ObservedGeneration = generation,
            Conditions = Conditions([.. conditions]),
            LastAttemptedRevision = revision ?? previous?.LastAttemptedRevision,
            LastAppliedRevision = lastApplied,
            Placements = counts,
            Rollout = rolloutStatus,
        };
        await WriteStatusAsync(ResourceKinds.Application.Kind, status, ct);

        var ready = status.Conditions[0];
        var outcome = $"{ready.Status}|{ready.Reason}|{status.LastAttemptedRevision}|{rolloutStatus?.Paused}";
        if (State.LastOutcome != outcome)
        {
            State = State with { LastOutcome = outcome };
            await WriteStateAsync();
            if (ready.Status == ConditionStatus.False || rolloutStatus?.Paused == true)
            {
                await EventAsync(FleetEventType.Warning, ready.Reason, ready.Message, ct);
            }
            else if (ready.Status == ConditionStatus.True)
            {
                await EventAsync(FleetEventType.Normal, ready.Reason, ready.Message, ct);

            }
        }
    }

    /// <summary>
    /// Placements waiting for a dependency (another application Ready on their cluster) check again: a full reconcile
    /// runs when a dependency changed (the change dispatcher hints this application then).
    /// </summary>
    private async Task HintWaitingPlacementsAsync(Dictionary<string, StoredResource> placements)
    {
        foreach (var (cluster, placement) in placements)
        {
            if (placement.StatusJson is { } ps && JsonSerializer.Deserialize<PlacementStatus>(ps, FleetJson.Options) is { } pst &&
                ConditionList.Find(pst.Conditions, ConditionTypes.Ready)?.Reason == Reasons.DependencyNotReady)
            {
                await GrainFactory.GetGrain<IPlacementGrain>(GrainKeys.Placement(Namespace, Name, cluster)).HintDesiredChanged();
            }
        }
    }

    /// <summary>The targets, desired manifests and placements of the last full reconcile.</summary>
    private sealed record Snapshot(
        long Generation,
        string Revision,
        List<RolloutTarget> Targets,
        Dictionary<string, int> TargetIndex,
        Dictionary<string, (string Digest, string? Customization)> Desired,
        Dictionary<string, StoredResource> Placements,
        TimeSpan Interval,
        DateTimeOffset FullDue);

    [LoggerMessage(EventId = GrainEventIds.RolloutHalted, Level = LogLevel.Warning, Message = "Application {Key}: {Message}")]
    private static partial void LogRolloutHalted(ILogger logger, string key, string message);

    internal static FluxImage ToImage(JsonObject i) => new(Str(i, "name") ?? "", Str(i, "newName"), Str(i, "newTag"), Str(i, "digest"));

    internal static FluxPatch ToPatch(JsonObject patch)
    {
        var target = patch["target"] as JsonObject;
        return new FluxPatch(Str(patch, "patch") ?? "", target is null ? null : new PatchSelector
        {
            Group = Str(target, "group"),
            Version = Str(target, "version"),
            Kind = Str(target, "kind"),
            Name = Str(target, "name"),
            Namespace = Str(target, "namespace"),
            LabelSelector = Str(target, "labelSelector"),
            AnnotationSelector = Str(target, "annotationSelector"),
        });
    }

    private static string? Str(JsonObject obj, string key) => obj[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}

/// <summary>A <c>postBuild.substituteFrom</c> source is missing or of a kind Fleet does not keep.</summary>
internal sealed class SubstitutionSourceException(string message) : Exception(message);
