using System.Text.Json;
using Fleet.Abstractions.Grains;
using Fleet.Abstractions.Resources;
using Fleet.Grains.Applications;
using Fleet.Grains.Common;
using Fleet.Helm;
using Fleet.Helm.Repositories;
using Fleet.Store;
using Microsoft.Extensions.Logging;

namespace Fleet.Grains.Sources;

/// <summary>
/// A Helm chart repository, as Flux's source-controller reconciles a HelmRepository: an HTTP repository's
/// <c>index.yaml</c> is fetched at <c>interval</c>, checked, and stored once by digest as the source's artifact
/// (revision: that digest); the status change tells the applications that use it (through the change dispatcher).
/// A failed fetch keeps the last index. An OCI registry has no index: it is Ready at once, and each application
/// lists its chart's tags when it reconciles.
/// </summary>
internal sealed class HelmRepositoryGrain(
    [PersistentState("state", StoreServiceCollectionExtensions.GrainStorageName)] IPersistentState<HelmRepositoryState> state,
    IResourceStore store, IEventLog events, IBlobStore blobs, HelmChartSource charts, ILogger<HelmRepositoryGrain> logger)
    : ReconcilingGrain<HelmRepositoryState>(state, store, events, logger), IHelmRepositoryGrain
{
    /// <summary>Flux's reasons for a HelmRepository that cannot be read.</summary>
    internal const string IndexationFailed = "IndexationFailed";
    internal const string AuthenticationFailed = "AuthenticationFailed";

    protected override string KindName => ResourceKinds.HelmRepository.Kind;

    public Task HintSpecChanged() => Hint();

    public Task HintFetchNow() => Hint();

    protected override async Task<TimeSpan?> ReconcileAsync(CancellationToken ct)
    {
        var spec = await ReadSpecAsync<HelmRepositorySpec>(ResourceKinds.HelmRepository.Kind, ct);
        if (spec is null)
        {
            if (State.Artifact is { } last)
            {
                await DeleteUnlessUsedAsync(last.Digest, ct);
            }
            await ClearStateAsync();
            return null;
        }
        var generation = Current!.Generation;
        var now = Time.GetUtcNow();
        var interval = GoDuration.Parse(spec.Interval, TimeSpan.FromMinutes(10));
        if (interval < GitRepositoryGrain.MinimumInterval)
        {
            interval = GitRepositoryGrain.MinimumInterval;
        }
        var previous = Current.StatusJson is { } json ? JsonSerializer.Deserialize<HelmRepositoryStatus>(json, FleetJson.Options) : null;
        if (spec.Suspend)
        {
            await WriteStatusAsync(ResourceKinds.HelmRepository.Kind, (previous ?? new HelmRepositoryStatus()) with { ObservedGeneration = generation }, ct);
            return null;
        }

        if (spec.IsOci)
        {
            const string Ready = "Helm repository is ready";
            await WriteStatusAsync(ResourceKinds.HelmRepository.Kind, new HelmRepositoryStatus
            {
                ObservedGeneration = generation,
                Url = spec.Url,
                Conditions = Conditions(NewCondition(ConditionTypes.Ready, true, Reasons.Succeeded, Ready, generation, now)),
            }, ct);
            return null;
        }

        string? failure = null;
        var reason = IndexationFailed;
        byte[]? index = null;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(GoDuration.Parse(spec.Timeout, HelmChartSource.DefaultTimeout));
        try
        {
            var credentials = await charts.CredentialsAsync(Namespace, spec, timeout.Token);
            index = await charts.Http.DownloadIndexAsync(new Uri(spec.Url), credentials, timeout.Token);
            HelmRepositoryClient.ParseIndex(index, new Uri(spec.Url));
        }
        catch (HelmException ex)
        {
            failure = ex.Message;
            reason = ex.Failure == HelmFailure.Unauthorized ? AuthenticationFailed : IndexationFailed;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            failure = $"fetching the index timed out after {GoDuration.Parse(spec.Timeout, HelmChartSource.DefaultTimeout).TotalSeconds:0}s";
        }

        if (failure is not null)
        {
            // Keep the last index: a bad fetch never takes away what applications render from.
            await ReportAsync(spec, generation, now, false, reason, failure, ct);
            if (State.LastFailure != reason + ": " + failure)
            {
                State = State with { LastFailure = reason + ": " + failure };
                await WriteStateAsync();
                await EventAsync(FleetEventType.Warning, reason, failure, ct);
            }
            return Jitter(interval);
        }

        var digest = await blobs.PutAsync(index, ct);
        var changed = State.Artifact?.Digest != digest;
        var recovered = State.LastFailure is not null;
        if (changed || recovered)
        {
            var old = State.Artifact;
            State = State with { Artifact = new ArtifactStatus { Revision = digest, Digest = digest, Size = index!.Length, LastUpdateTime = now }, LastFailure = null };
            await WriteStateAsync();
            if (changed && old is not null)
            {
                await DeleteUnlessUsedAsync(old.Digest, ct);
            }
        }
        var message = $"stored index {State.Artifact!.Revision}";
        await ReportAsync(spec, generation, now, true, Reasons.Succeeded, message, ct);
        if (changed)
        {
            await EventAsync(FleetEventType.Normal, "NewArtifact", message, ct);
        }
        else if (recovered)
        {
            await EventAsync(FleetEventType.Normal, Reasons.Succeeded, "recovered: " + message, ct);
        }
        return Jitter(interval);
    }

    /// <summary>Writes the status: Ready as given, ArtifactInStorage from the index kept (the last good one after a failure).</summary>
    private Task ReportAsync(HelmRepositorySpec spec, long generation, DateTimeOffset now, bool ready, string reason, string message, CancellationToken ct) =>
        WriteStatusAsync(ResourceKinds.HelmRepository.Kind, new HelmRepositoryStatus
        {
            ObservedGeneration = generation,
            Artifact = State.Artifact,
            Url = spec.Url,
            LastFetchTime = now,
            Conditions = Conditions(
                NewCondition(ConditionTypes.Ready, ready, reason, message, generation, now),
                NewCondition(ConditionTypes.ArtifactInStorage, State.Artifact is not null, State.Artifact is null ? reason : Reasons.Succeeded,
                    State.Artifact is null ? "no index yet" : $"stored index {State.Artifact.Revision}", generation, now)),
        }, ct);

    /// <summary>Deletes an index this repository no longer serves, unless another repository (of the same URL) serves it.</summary>
    private async Task DeleteUnlessUsedAsync(string digest, CancellationToken ct)
    {
        foreach (var repo in await Store.ListAsync(ResourceKinds.HelmRepository.Kind, null, null, ct))
        {
            if (!(repo.Namespace == Namespace && repo.Name == Name) && repo.StatusJson is { } s &&
                JsonSerializer.Deserialize<HelmRepositoryStatus>(s, FleetJson.Options)?.Artifact?.Digest == digest)
            {
                return;
            }
        }
        await blobs.DeleteAsync(digest, ct);
    }
}
