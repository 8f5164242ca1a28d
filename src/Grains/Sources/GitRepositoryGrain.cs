using System.Text.Json;
using Fleet.Abstractions.Grains;
using Fleet.Abstractions.Resources;
using Fleet.Grains.Common;
using Fleet.Store;
using Fleet.Store.Secrets;
using Fleet.Sources;
using Microsoft.Extensions.Logging;

namespace Fleet.Grains.Sources;

/// <summary>
/// A Git source, as Flux's source-controller reconciles a GitRepository: fetch into the silo's bare mirror, resolve
/// the ref, pack the tree into a deterministic artifact stored once by digest, report <c>Ready</c> and
/// <c>ArtifactInStorage</c>. The status change is what tells the applications that use it (through the change
/// dispatcher). A failed fetch keeps the last artifact.
/// </summary>
internal sealed partial class GitRepositoryGrain(
    [PersistentState("state", StoreServiceCollectionExtensions.GrainStorageName)] IPersistentState<GitRepositoryState> state,
    IResourceStore store, IEventLog events, IBlobStore blobs, GitMirror mirror, SecretReader secrets, ILogger<GitRepositoryGrain> logger)
    : Common.ReconcilingGrain<GitRepositoryState>(state, store, events, logger), IGitRepositoryGrain
{
    /// <summary>
    /// The shortest fetch interval honoured: an interval of zero (valid as a Go duration) would otherwise make the
    /// grain fetch in a tight loop and starve every other source of the silo's fetch slots.
    /// </summary>
    internal static readonly TimeSpan MinimumInterval = TimeSpan.FromSeconds(1);

    protected override string KindName => ResourceKinds.GitRepository.Kind;

    public Task HintSpecChanged() => Hint();

    public Task HintFetchNow() => Hint();

    protected override async Task<TimeSpan?> ReconcileAsync(CancellationToken ct)
    {
        var spec = await ReadSpecAsync<GitRepositorySpec>(ResourceKinds.GitRepository.Kind, ct);
        if (spec is null)
        {
            await mirror.DeleteAsync(Key, ct);
            await CollectAsync(State.History, null, ct);
            await ClearStateAsync();
            return null;
        }
        var generation = Current!.Generation;
        var now = Time.GetUtcNow();
        var interval = Max(GoDuration.Parse(spec.Interval, TimeSpan.FromMinutes(1)), MinimumInterval);
        if (spec.Suspend)
        {
            // As Flux: a suspended source is not fetched and its status (artifact, conditions) stays as it was; only
            // observedGeneration moves, so a client sees that the suspension was taken into account.
            await WriteStatusAsync(ResourceKinds.GitRepository.Kind, CurrentStatus() with { ObservedGeneration = generation }, ct);
            LogSuspended(logger, Key);
            return null;
        }

        Artifact? packed = null;
        string? failure = null;
        string reason = Reasons.GitOperationFailed;
        using var span = GrainTracing.Start("fetch", Key);
        try
        {
            var source = await ToSourceSpecAsync(spec, ct);
            var revision = await mirror.FetchAsync(Key, source, ct);
            if (State.Artifact?.Revision != revision.Revision || !await blobs.ExistsAsync(State.Artifact.Digest, ct))
            {
                packed = await mirror.PackAsync(Key, revision, source, ct);
            }
        }
        catch (GitSourceException ex)
        {
            failure = ex.Message;
            reason = ReadyReason(ex.Reason);
        }
        catch (SourceCredentialsException ex)
        {
            failure = ex.Message;
            reason = Reasons.CredentialsNotFound;
        }

        if (failure is not null)
        {
            // Keep the last artifact: a bad fetch never takes away what is deployed.
            await WriteStatusAsync(ResourceKinds.GitRepository.Kind, new GitRepositoryStatus
            {
                ObservedGeneration = generation,
                Artifact = State.Artifact,
                LastFetchTime = now,
                Conditions = Conditions(
                    NewCondition(ConditionTypes.Ready, false, reason, failure, generation, now),
                    NewCondition(ConditionTypes.ArtifactInStorage, State.Artifact is not null, State.Artifact is null ? reason : Reasons.Succeeded,
                        State.Artifact is null ? "no artifact yet" : $"stored artifact for revision '{State.Artifact.Revision}'", generation, now)),
            }, ct);
            // One event (and log line) per distinct failure: the same error on every interval is not news.
            var failureKey = reason + ": " + failure;
            LogFetchFailed(logger, Key, reason);
            if (State.LastFailure != failureKey)
            {
                State = State with { LastFailure = failureKey };
                await WriteStateAsync();
                await EventAsync(FleetEventType.Warning, reason, failure, ct);
            }
            return Jitter(interval);
        }

        var changed = false;
        if (packed is not null)
        {
            var digest = await blobs.PutAsync(packed.Content, ct);
            var artifact = new ArtifactStatus { Revision = packed.Revision, Digest = digest, Size = packed.Size, LastUpdateTime = now };
            var history = State.History.Where(h => h.Digest != digest).Append(new StoredArtifactRecord(digest, now)).ToList();
            changed = State.Artifact?.Revision != artifact.Revision;
            State = State with { Artifact = artifact, History = await CollectAsync(history, digest, ct) };
        }
        var recovered = State.LastFailure is not null;
        if (packed is not null || recovered)
        {
            State = State with { LastFailure = null };
            await WriteStateAsync();
        }
        var message = $"stored artifact for revision '{State.Artifact!.Revision}'";
        LogFetched(logger, Key, State.Artifact.Revision, packed is not null);
        await WriteStatusAsync(ResourceKinds.GitRepository.Kind, new GitRepositoryStatus
        {
            ObservedGeneration = generation,
            Artifact = State.Artifact,
            LastFetchTime = now,
            Conditions = Conditions(
                NewCondition(ConditionTypes.Ready, true, Reasons.Succeeded, message, generation, now),
                NewCondition(ConditionTypes.ArtifactInStorage, true, Reasons.Succeeded, message, generation, now)),
        }, ct);
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

    /// <summary>
    /// The Ready reason for an engine failure, as Flux's source-controller words it: a ref that cannot be resolved
    /// (deleted branch, no matching tag) is a failed git operation; credentials and size problems keep their own reason.
    /// </summary>
    internal static string ReadyReason(string engineReason) => engineReason switch
    {
        GitSourceReasons.RefNotFound => Reasons.GitOperationFailed,
        _ => engineReason,
    };

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>The stored status, or an empty one.</summary>
    private GitRepositoryStatus CurrentStatus() =>
        Current?.StatusJson is { } json ? JsonSerializer.Deserialize<GitRepositoryStatus>(json, FleetJson.Options) ?? new GitRepositoryStatus() : new GitRepositoryStatus();

    private async Task<GitSourceSpec> ToSourceSpecAsync(GitRepositorySpec spec, CancellationToken ct)
    {
        GitCredentials? credentials = null;
        if (spec.SecretRef is { Name.Length: > 0 } secretRef)
        {
            var data = await secrets.GetAsync(Namespace, secretRef.Name, ct)
                ?? throw new SourceCredentialsException($"the Secret {Namespace}/{secretRef.Name} named by spec.secretRef does not exist");
            string? Get(string k) => data.TryGetValue(k, out var v) ? v : null;
            credentials = new GitCredentials(Get("username"), Get("password"), Get("bearerToken"), Get("identity"), Get("known_hosts"));
        }
        var r = spec.Ref ?? new GitRepositoryRef();
        var ignore = (spec.Ignore ?? "").Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return new GitSourceSpec(spec.Url, new GitRef(r.Branch, r.Tag, r.Semver, r.Name, r.Commit),
            GoDuration.Parse(spec.Timeout, GitSourceSpec.DefaultTimeout), ignore, credentials);
    }

    /// <summary>
    /// Keeps the last few artifacts of this source (all of them go when <paramref name="current"/> is null: the source
    /// was deleted) and deletes the others from the blob store unless another source serves the same digest.
    /// </summary>
    private async Task<List<StoredArtifactRecord>> CollectAsync(List<StoredArtifactRecord> history, string? current, CancellationToken ct)
    {
        var drop = current is null
            ? history.Select(h => h.Digest).ToHashSet(StringComparer.Ordinal)
            : ArtifactRetention.SelectForDeletion(history.Select(h => new StoredArtifact(h.Digest, h.CreatedAt)), current).ToHashSet(StringComparer.Ordinal);
        if (drop.Count == 0)
        {
            return history;
        }
        var inUse = new HashSet<string>(StringComparer.Ordinal);
        foreach (var repo in await Store.ListAsync(ResourceKinds.GitRepository.Kind, null, null, ct))
        {
            var isThis = repo.Namespace == Namespace && repo.Name == Name;
            if (!isThis && repo.StatusJson is not null && JsonSerializer.Deserialize<GitRepositoryStatus>(repo.StatusJson, FleetJson.Options)?.Artifact?.Digest is { } d)
            {
                inUse.Add(d);
            }
        }
        foreach (var digest in drop.Where(d => !inUse.Contains(d)))
        {
            await blobs.DeleteAsync(digest, ct);
        }
        return history.Where(h => !drop.Contains(h.Digest)).ToList();
    }
}

/// <summary>The Secret a source names is missing.</summary>
internal sealed class SourceCredentialsException(string message) : Exception(message);
