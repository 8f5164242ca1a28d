using System.Globalization;
using System.Runtime.CompilerServices;
using Fleet.Abstractions.Resources;
using Fleet.Gateway.Watch;
using Fleet.Store;

namespace Fleet.Gateway.Services;

/// <summary>What happened to an object in a watch, as Kubernetes names it.</summary>
public enum WatchEventType
{
    Added,
    Modified,
    Deleted,
}

/// <summary>
/// One watch event. For <see cref="WatchEventType.Deleted"/> the object holds what is known after the delete: kind,
/// namespace, name, uid, labels and the resource version of the delete; an object that stops matching the label
/// selector is Deleted too, with its newest state.
/// </summary>
public sealed record WatchEvent(WatchEventType Type, StoredResource Object);

/// <summary>How a watch is narrowed, and where it starts.</summary>
/// <param name="LabelSelector">As for lists.</param>
/// <param name="FieldSelector">As for lists.</param>
/// <param name="ResourceVersion">
/// Absent, empty or <c>0</c>: an <see cref="WatchEventType.Added"/> event for every object there now, then the
/// changes. A version (a list's <c>metadata.resourceVersion</c>, or an event object's): every change after it.
/// </param>
public sealed record WatchOptions(string? LabelSelector = null, string? FieldSelector = null, string? ResourceVersion = null);

public sealed partial class ResourceService
{
    /// <summary>
    /// Opens a watch on the objects of a kind, in one namespace or every namespace the caller may see. The checks
    /// (selectors, the resource version still in the change feed) happen here, so a front end can answer a bad
    /// request before it starts streaming; the events then run until <paramref name="ct"/> is cancelled or the host
    /// stops. A resource version older than the trimmed change feed is <see cref="ApiErrorKind.Gone"/>: list again.
    /// The events are every change after the start, once each and in commit order, each with the object as that
    /// change left it. A watch whose client falls too far behind ends with <see cref="WatchTooSlowException"/>,
    /// which names the version to watch again from.
    /// </summary>
    public async Task<IAsyncEnumerable<WatchEvent>> WatchAsync(Caller caller, ResourceKind kind, string? ns, WatchOptions options, CancellationToken ct)
    {
        var query = Query(caller, kind, ns, options.LabelSelector, options.FieldSelector);
        if (ns is not null && !caller.CanSee(ns))
        {
            // Nothing there for this caller, as for a list; the watch stays open and shows nothing.
            query = query with { Namespaces = [] };
        }
        Start? from = null;
        if (options.ResourceVersion is { Length: > 0 } text && text != "0")
        {
            if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var rv))
            {
                throw new ApiException(ApiErrorKind.BadRequest, $"resourceVersion: \"{text}\" is not a resource version");
            }
            var position = await _store.ChangePositionAsync(rv, ct)
                ?? throw new ApiException(ApiErrorKind.Gone, $"resourceVersion {rv} is too old: the change feed no longer reaches back to it; list again and watch from the list's metadata.resourceVersion");
            from = new Start(position, rv);
        }
        return Watch(caller, query, from, ct);
    }

    /// <summary>Where a watch starts: after a change-feed position, reported to its client as a resource version.</summary>
    private sealed record Start(long Position, long ResourceVersion);

    private async IAsyncEnumerable<WatchEvent> Watch(Caller caller, ResourceQuery query, Start? from, [EnumeratorCancellation] CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct, _stopping);
        var token = stop.Token;

        // What this watch has shown as present, with the labels to describe a delete.
        var shown = new Dictionary<ResourceKey, StoredResource>();

        // A watch resumed from a version cannot know what the client holds: an object it has not shown yet is
        // ADDED when created after the watch opened, MODIFIED otherwise (clients treat both as "now it is this").
        DateTimeOffset? addedAfter = from is null ? null : _time.GetUtcNow().AddMilliseconds(-1);
        if (from is null)
        {
            var initial = new List<WatchEvent>();
            ResourceKey? after = null;
            do
            {
                var page = await _store.ListPageAsync(query with { Limit = MaxListLimit, After = after }, token);
                from ??= new Start(await _store.ChangePositionAsync(page.ResourceVersion, token) ?? await _store.LatestChangeAsync(token), page.ResourceVersion);
                foreach (var item in page.Items)
                {
                    shown[new ResourceKey(item.Namespace, item.Name)] = item;
                    initial.Add(new WatchEvent(WatchEventType.Added, item));
                }
                after = page.Next;
            }
            while (after is not null);
            foreach (var e in initial)
            {
                yield return e;
            }
        }

        // Join the shared reader, then read from the store only what it had passed already: the hand-over is by
        // feed position, so no change is missed or shown twice.
        var version = from.ResourceVersion;
        using var subscription = await SubscribeAsync(c => Concerns(caller, query, c), token);
        if (subscription is null)
        {
            yield break;
        }
        var handOver = subscription.HandOver;
        for (var position = from.Position; position < handOver.End;)
        {
            var read = await CatchUpAsync(position, token);
            if (read is null || read.Count == 0)
            {
                break;
            }
            position = read[^1].Sequence;
            foreach (var change in read)
            {
                if (handOver.Passed(change.Sequence) && Concerns(caller, query, change) && ToEvent(change, query, shown, addedAfter) is { } e)
                {
                    version = e.Object.ResourceVersion;
                    yield return e;
                }
            }
        }

        while (await WaitToReadAsync(subscription, token))
        {
            while (!subscription.Overflowed && subscription.Changes.TryRead(out var change))
            {
                if (change.Sequence > from.Position && ToEvent(change, query, shown, addedAfter) is { } e)
                {
                    version = e.Object.ResourceVersion;
                    yield return e;
                }
            }
            if (subscription.Overflowed)
            {
                throw new WatchTooSlowException(version);
            }
        }
    }

    /// <summary>Whether a change may concern a watch: its kind, its scope, and what its caller may see.</summary>
    private static bool Concerns(Caller caller, ResourceQuery query, ResourceChange change) =>
        change.Kind == query.Kind && caller.CanSee(change.Namespace) && InScope(change.Namespace, change.Name, query);

    private async Task<WatchSubscription?> SubscribeAsync(Func<ResourceChange, bool> filter, CancellationToken ct)
    {
        try
        {
            return await _feed.SubscribeAsync(filter, ct);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    private async Task<IReadOnlyList<ResourceChange>?> CatchUpAsync(long position, CancellationToken ct)
    {
        try
        {
            return await _feed.WithObjectsAsync(await _store.ChangesWithObjectsAsync(position, WatchFeed.Batch, ct), ct);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    private static async Task<bool> WaitToReadAsync(WatchSubscription subscription, CancellationToken ct)
    {
        try
        {
            return await subscription.Changes.WaitToReadAsync(ct) || subscription.Overflowed;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>The event a change means for this watch, or null when it does not concern it.</summary>
    private static WatchEvent? ToEvent(ResourceChange change, ResourceQuery query, Dictionary<ResourceKey, StoredResource> shown, DateTimeOffset? addedAfter)
    {
        var key = new ResourceKey(change.Namespace, change.Name);
        var before = shown.GetValueOrDefault(key);
        var state = change.Object;
        if (change.Type == ResourceChangeType.Deleted)
        {
            // The change keeps the object's last state, so a delete is shown to a watch whose selector it matched.
            var labels = state?.Labels ?? before?.Labels;
            if (before is null && query.Selector is { } s && (labels is null || !s.Matches(labels)))
            {
                // Never shown, and it did not match (or, an old change without its object, it cannot be told).
                return null;
            }
            shown.Remove(key);
            var gone = new StoredResource(change.Kind, change.Namespace, change.Name, state?.Uid ?? before?.Uid ?? "", state?.Generation ?? before?.Generation ?? 0, change.ResourceVersion,
                labels ?? new Dictionary<string, string>(), new Dictionary<string, string>(), "{}", null, state?.CreatedAt ?? before?.CreatedAt ?? default);
            return new WatchEvent(WatchEventType.Deleted, gone);
        }
        if (state is null || (before is not null && state.ResourceVersion <= before.ResourceVersion))
        {
            // Deleted since (an old change without its object; the delete follows), or this state was shown already.
            return null;
        }
        if (query.Selector is { } selector && !selector.Matches(state.Labels))
        {
            if (before is null)
            {
                return null;
            }
            shown.Remove(key);
            return new WatchEvent(WatchEventType.Deleted, state);
        }
        shown[key] = state;
        var added = before is null && (addedAfter is null || state.CreatedAt >= addedAfter);
        return new WatchEvent(added ? WatchEventType.Added : WatchEventType.Modified, state);
    }

    private static bool InScope(string ns, string name, ResourceQuery query) =>
        (query.Namespace is null || query.Namespace == ns)
        && (query.Namespaces is null || query.Namespaces.Contains(ns))
        && query.Fields.All(f => (f.Field == ResourceField.Name ? name : ns) == f.Value != f.Negated);
}
