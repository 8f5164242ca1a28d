using System.Globalization;
using System.Runtime.CompilerServices;
using Fleet.Abstractions.Resources;
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
    /// <summary>How often a watch reads the change feed when this process signals nothing (writes of other silos).</summary>
    private static readonly TimeSpan WatchPoll = TimeSpan.FromSeconds(1);

    private const int WatchBatch = 500;

    /// <summary>
    /// Opens a watch on the objects of a kind, in one namespace or every namespace the caller may see. The checks
    /// (selectors, the resource version still in the change feed) happen here, so a front end can answer a bad
    /// request before it starts streaming; the events then run until <paramref name="ct"/> is cancelled or the host
    /// stops. A resource version older than the trimmed change feed is <see cref="ApiErrorKind.Gone"/>: list again.
    /// </summary>
    public async Task<IAsyncEnumerable<WatchEvent>> WatchAsync(Caller caller, ResourceKind kind, string? ns, WatchOptions options, CancellationToken ct)
    {
        var query = Query(caller, kind, ns, options.LabelSelector, options.FieldSelector);
        if (ns is not null && !caller.CanSee(ns))
        {
            // Nothing there for this caller, as for a list; the watch stays open and shows nothing.
            query = query with { Namespaces = [] };
        }
        long? from = null;
        if (options.ResourceVersion is { Length: > 0 } text && text != "0")
        {
            if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var rv))
            {
                throw new ApiException(ApiErrorKind.BadRequest, $"resourceVersion: \"{text}\" is not a resource version");
            }
            from = await _store.ChangePositionAsync(rv, ct)
                ?? throw new ApiException(ApiErrorKind.Gone, $"resourceVersion {rv} is too old: the change feed no longer reaches back to it; list again and watch from the list's metadata.resourceVersion");
        }
        return Watch(query, from, ct);
    }

    private async IAsyncEnumerable<WatchEvent> Watch(ResourceQuery query, long? from, [EnumeratorCancellation] CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct, _stopping);
        var token = stop.Token;
        var wake = new WakeUp();
        _signal.Committed += wake.Set;
        try
        {
            // What this watch has shown as present, with the labels to describe a delete.
            var shown = new Dictionary<ResourceKey, StoredResource>();

            // A watch resumed from a version cannot know what the client holds: an object it has not shown yet is
            // ADDED when created after the watch opened, MODIFIED otherwise (clients treat both as "now it is this").
            DateTimeOffset? addedAfter = from is null ? null : _time.GetUtcNow().AddMilliseconds(-1);
            var initial = new List<WatchEvent>();
            if (from is null)
            {
                var first = true;
                ResourceKey? after = null;
                do
                {
                    var page = await _store.ListPageAsync(query with { Limit = MaxListLimit, After = after }, token);
                    if (first)
                    {
                        from = await _store.ChangePositionAsync(page.ResourceVersion, token) ?? await _store.LatestChangeAsync(token);
                        first = false;
                    }
                    foreach (var item in page.Items)
                    {
                        shown[new ResourceKey(item.Namespace, item.Name)] = item;
                        initial.Add(new WatchEvent(WatchEventType.Added, item));
                    }
                    after = page.Next;
                }
                while (after is not null);
            }
            foreach (var e in initial)
            {
                yield return e;
            }
            initial.Clear();

            var cursor = new ChangeFeedCursor(from!.Value);
            while (!token.IsCancellationRequested)
            {
                var armed = wake.Arm();
                var read = await ReadChangesAsync(cursor, token);
                foreach (var change in read)
                {
                    if (await ToEventAsync(change, query, shown, addedAfter, token) is { } e)
                    {
                        yield return e;
                    }
                }
                if (read.Count == 0 && !await WaitAsync(armed, token))
                {
                    yield break;
                }
            }
        }
        finally
        {
            _signal.Committed -= wake.Set;
        }
    }

    private async Task<IReadOnlyList<ResourceChange>> ReadChangesAsync(ChangeFeedCursor cursor, CancellationToken ct)
    {
        try
        {
            return cursor.Accept(await _store.ChangesAsync(cursor.Position, WatchBatch, ct), _time.GetUtcNow());
        }
        catch (OperationCanceledException)
        {
            return [];
        }
    }

    /// <summary>Waits for a commit signal or the poll period; false once the watch is over.</summary>
    private async Task<bool> WaitAsync(Task armed, CancellationToken ct)
    {
        try
        {
            await armed.WaitAsync(WatchPoll, _time, ct);
        }
        catch (TimeoutException)
        {
            // Poll: another process may have written.
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        return !ct.IsCancellationRequested;
    }

    /// <summary>The event a change means for this watch, or null when it does not concern it.</summary>
    private async Task<WatchEvent?> ToEventAsync(ResourceChange change, ResourceQuery query, Dictionary<ResourceKey, StoredResource> shown, DateTimeOffset? addedAfter, CancellationToken ct)
    {
        if (change.Kind != query.Kind || !InScope(change.Namespace, change.Name, query))
        {
            return null;
        }
        var key = new ResourceKey(change.Namespace, change.Name);
        var before = shown.GetValueOrDefault(key);
        if (change.Type == ResourceChangeType.Deleted)
        {
            if (before is null && query.Selector is not null)
            {
                // Never shown, and its labels are gone: it cannot be told whether it matched.
                return null;
            }
            shown.Remove(key);
            var gone = new StoredResource(change.Kind, change.Namespace, change.Name, before?.Uid ?? "", before?.Generation ?? 0, change.ResourceVersion,
                before?.Labels ?? new Dictionary<string, string>(), new Dictionary<string, string>(), "{}", null, before?.CreatedAt ?? default);
            return new WatchEvent(WatchEventType.Deleted, gone);
        }
        var now = await _store.GetAsync(change.Kind, change.Namespace, change.Name, ct);
        if (now is null || (before is not null && now.ResourceVersion <= before.ResourceVersion))
        {
            // Deleted since (its delete follows in the feed), or this state was shown already.
            return null;
        }
        if (query.Selector is { } selector && !selector.Matches(now.Labels))
        {
            return before is null ? null : Remove(shown, key, now);
        }
        shown[key] = now;
        var added = before is null && (addedAfter is null || now.CreatedAt >= addedAfter);
        return new WatchEvent(added ? WatchEventType.Added : WatchEventType.Modified, now);
    }

    private static WatchEvent Remove(Dictionary<ResourceKey, StoredResource> shown, ResourceKey key, StoredResource now)
    {
        shown.Remove(key);
        return new WatchEvent(WatchEventType.Deleted, now);
    }

    private static bool InScope(string ns, string name, ResourceQuery query) =>
        (query.Namespace is null || query.Namespace == ns)
        && (query.Namespaces is null || query.Namespaces.Contains(ns))
        && query.Fields.All(f => (f.Field == ResourceField.Name ? name : ns) == f.Value != f.Negated);

    /// <summary>A wake-up a commit signal sets; armed before each read of the feed, so no commit between read and wait is missed.</summary>
    private sealed class WakeUp
    {
        private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Arm()
        {
            var current = Volatile.Read(ref _next);
            if (current.Task.IsCompleted)
            {
                Interlocked.CompareExchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), current);
            }
            return Volatile.Read(ref _next).Task;
        }

        public void Set() => Volatile.Read(ref _next).TrySetResult();
    }
}
