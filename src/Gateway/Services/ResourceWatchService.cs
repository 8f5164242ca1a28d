using System.Runtime.CompilerServices;
using Fleet.Abstractions;
using Fleet.Abstractions.Resources;
using Fleet.Store;

namespace Fleet.Gateway.Services;

/// <summary>What happened to an object in a watch.</summary>
public enum WatchEventType
{
    Added,
    Modified,
    Deleted,
}

/// <summary>One change seen by a watch: the object after it (for a deletion, its identity only) and the change's resource version.</summary>
public sealed record ResourceWatchEvent(WatchEventType Type, StoredResource Object, long ResourceVersion);

/// <summary>
/// Streams the changes of one kind's objects from the store's change feed, with the caller's namespaces applied: woken
/// by this process's commits and polling for other processes' (a gateway of its own sees the silos' status writes).
/// Each change is delivered once, in commit order, with the object as read after it; a newer state already delivered
/// is not delivered again.
/// </summary>
public sealed class ResourceWatchService
{
    /// <summary>How often the feed is read when this process committed nothing (other processes' writes).</summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    private const int PageSize = 500;

    private readonly IResourceStore _store;
    private readonly StoreChangeSignal _signal;

    internal ResourceWatchService(IResourceStore store, StoreChangeSignal signal)
    {
        _store = store;
        _signal = signal;
    }

    /// <summary>
    /// The changes after <paramref name="resourceVersion"/> (null or 0: from now) of <paramref name="kind"/> in
    /// <paramref name="ns"/> (null: every namespace the caller sees), until <paramref name="ct"/> is cancelled.
    /// </summary>
    public async IAsyncEnumerable<ResourceWatchEvent> WatchAsync(
        Caller caller, ResourceKind kind, string? ns, string? labelSelector, long? resourceVersion, [EnumeratorCancellation] CancellationToken ct)
    {
        LabelSelector selector;
        try
        {
            selector = LabelSelector.Parse(labelSelector);
        }
        catch (LabelSelectorException ex)
        {
            throw new ApiException(ApiErrorKind.BadRequest, $"labelSelector: {ex.Message}");
        }
        if (ns is not null && !caller.CanSee(ns))
        {
            // Nothing there for this caller.
            yield break;
        }

        var wake = new SemaphoreSlim(0, 1);
        void OnCommitted()
        {
            if (wake.CurrentCount == 0)
            {
                try
                {
                    wake.Release();
                }
                catch (SemaphoreFullException)
                {
                    // Already woken.
                }
            }
        }

        _signal.Committed += OnCommitted;
        try
        {
            var position = resourceVersion is > 0 ? await PositionAfterAsync(resourceVersion.Value, ct) : await _store.LatestChangeAsync(ct);
            var delivered = new Dictionary<(string Ns, string Name), long>();
            while (!ct.IsCancellationRequested)
            {
                var changes = await _store.ChangesAsync(position, PageSize, ct);
                foreach (var change in changes)
                {
                    position = change.Sequence;
                    if (change.Kind != kind.Kind || (ns is not null && change.Namespace != ns) || !caller.CanSee(change.Namespace)
                        || (resourceVersion is { } from && change.ResourceVersion <= from))
                    {
                        continue;
                    }
                    var key = (change.Namespace, change.Name);
                    if (change.Type == ResourceChangeType.Deleted)
                    {
                        if (selector.IsEmpty || delivered.ContainsKey(key))
                        {
                            delivered.Remove(key);
                            yield return new ResourceWatchEvent(WatchEventType.Deleted, Identity(kind, change), change.ResourceVersion);
                        }
                        continue;
                    }
                    var obj = await _store.GetAsync(kind.Kind, change.Namespace, change.Name, ct);
                    if (obj is null || (delivered.TryGetValue(key, out var seen) && obj.ResourceVersion <= seen) || !selector.Matches(obj.Labels))
                    {
                        continue;
                    }
                    var type = !delivered.ContainsKey(key) && obj.Generation == 1 && change.Type == ResourceChangeType.Spec ? WatchEventType.Added : WatchEventType.Modified;
                    delivered[key] = obj.ResourceVersion;
                    yield return new ResourceWatchEvent(type, obj, obj.ResourceVersion);
                }
                if (changes.Count < PageSize)
                {
                    await wake.WaitAsync(PollInterval, ct);
                }
            }
        }
        finally
        {
            _signal.Committed -= OnCommitted;
            wake.Dispose();
        }
    }

    /// <summary>The feed position just before the first change above <paramref name="resourceVersion"/>.</summary>
    private async Task<long> PositionAfterAsync(long resourceVersion, CancellationToken ct)
    {
        var position = 0L;
        while (true)
        {
            var page = await _store.ChangesAsync(position, PageSize, ct);
            foreach (var change in page)
            {
                if (change.ResourceVersion > resourceVersion)
                {
                    return change.Sequence - 1;
                }
                position = change.Sequence;
            }
            if (page.Count < PageSize)
            {
                return position;
            }
        }
    }

    private static StoredResource Identity(ResourceKind kind, ResourceChange change) =>
        new(kind.Kind, change.Namespace, change.Name, "", 0, change.ResourceVersion, new Dictionary<string, string>(), new Dictionary<string, string>(), "{}", null, default);
}
