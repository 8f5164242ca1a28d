using System.Globalization;
using Fleet.Abstractions.Resources;
using Fleet.Gateway.Services;
using Fleet.Store;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fleet.WebConsole.Services;

/// <summary>
/// The clusters and applications as rows, kept once for the whole process and shared by every tab, as Kubernetes'
/// shared informers keep a cache per process: each kind is listed once through <see cref="ResourceService.ListPageAsync"/>,
/// then followed with <see cref="ResourceService.WatchAsync"/> from the list's resource version, and only the object an
/// event names is converted again. So a page of 10,000 clusters filters and pages in memory, and a status change of one
/// cluster costs one row, not a new list. The index reads as a viewer of every namespace; a tab sees only the rows
/// of the namespaces its own caller may see (<see cref="Caller.CanSee"/>, the test the resource service's lists apply).
/// A kind is listed on the first read of a page that shows it.
/// </summary>
internal sealed partial class FleetIndex : IDisposable
{
    /// <summary>Who the index reads as: a viewer of everything; tabs narrow what they show to their own caller.</summary>
    internal static readonly Caller Reader = new("system:console", ApiRole.Viewer, null);

    /// <summary>How long to wait before listing again after a watch failed.</summary>
    private static readonly TimeSpan Retry = TimeSpan.FromSeconds(1);

    private readonly ResourceService _resources;
    private readonly TimeProvider _time;
    private readonly ILogger<FleetIndex> _logger;
    private readonly CancellationTokenSource _stopping = new();

    public FleetIndex(ResourceService resources, TimeProvider time, IHostApplicationLifetime lifetime, ILogger<FleetIndex> logger)
    {
        _resources = resources;
        _time = time;
        _logger = logger;
        lifetime.ApplicationStopping.Register(_stopping.Cancel);
        Clusters = new KeptRows<ClusterRow>(this, ResourceKinds.Cluster, Rows.Cluster, r => (r.Namespace, r.Name));
        Applications = new KeptRows<ApplicationRow>(this, ResourceKinds.Application, Rows.Application, r => (r.Namespace, r.Name));
    }

    public KeptRows<ClusterRow> Clusters { get; }

    public KeptRows<ApplicationRow> Applications { get; }

    /// <summary>The kinds this index keeps: pages hear of their changes from <see cref="Changed"/>, after the rows are updated.</summary>
    public static readonly IReadOnlySet<string> Kinds = new HashSet<string>(StringComparer.Ordinal) { ResourceKinds.Cluster.Kind, ResourceKinds.Application.Kind };

    /// <summary>Raised (off the UI thread) with a kept kind whose rows changed; handlers must be quick and must not throw.</summary>
    public event Action<string>? Changed;

    private void OnChanged(string kind) => Changed?.Invoke(kind);

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
    }

    /// <summary>The rows of one kind, sorted by namespace and name; kept current by a list, then a watch.</summary>
    internal sealed class KeptRows<T>(FleetIndex index, ResourceKind kind, Func<StoredResource, T> toRow, Func<T, (string Namespace, string Name)> keyOf)
        where T : class
    {
        private static readonly IComparer<(string Namespace, string Name)> Order = Comparer<(string Namespace, string Name)>.Create((a, b) =>
            string.CompareOrdinal(a.Namespace, b.Namespace) is var byNs and not 0 ? byNs : string.CompareOrdinal(a.Name, b.Name));

        private readonly Lock _lock = new();
        private readonly TaskCompletionSource _listed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private Dictionary<(string Namespace, string Name), T> _rows = [];
        private (string Namespace, string Name)[]? _keys;
        private T[]? _sorted;
        private Task? _run;

        /// <summary>Grows with every change of the rows: what was computed from them is fresh while it stays the same.</summary>
        public long Version { get; private set; }

        /// <summary>Every row, sorted by namespace and name (a snapshot: later changes make a new one); waits for the first list.</summary>
        public async Task<(IReadOnlyList<T> Rows, long Version)> AllAsync(CancellationToken ct)
        {
            lock (_lock)
            {
                _run ??= Task.Run(() => RunAsync(index._stopping.Token));
            }
            await _listed.Task.WaitAsync(ct);
            lock (_lock)
            {
                if (_sorted is null)
                {
                    // The order changes only when objects come or go; a changed object keeps its place.
                    if (_keys is null)
                    {
                        _keys = [.. _rows.Keys];
                        Array.Sort(_keys, Order);
                    }
                    var sorted = new T[_keys.Length];
                    for (var i = 0; i < sorted.Length; i++)
                    {
                        sorted[i] = _rows[_keys[i]];
                    }
                    _sorted = sorted;
                }
                return (_sorted, Version);
            }
        }

        private async Task RunAsync(CancellationToken ct)
        {
            while (!ct.IsCancellationRequested)
            {
                try
                {
                    var version = await ListAsync(ct);
                    var events = await index._resources.WatchAsync(Reader, kind, null, new WatchOptions(ResourceVersion: version.ToString(CultureInfo.InvariantCulture)), ct);
                    await foreach (var e in events.WithCancellation(ct))
                    {
                        Apply(e);
                    }
                    // A watch ends without an error only when the host stops.
                    return;
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    // A resource version too old for the change feed (Gone), a store error: list again.
                    LogWatchFailed(index._logger, kind.Kind, ex);
                    try
                    {
                        await Task.Delay(Retry, index._time, ct);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }
            }
        }

        /// <summary>Lists every object in pages and replaces the rows; returns the resource version to watch from.</summary>
        private async Task<long> ListAsync(CancellationToken ct)
        {
            var rows = new Dictionary<(string Namespace, string Name), T>();
            long? version = null;
            string? next = null;
            do
            {
                var page = await index._resources.ListPageAsync(Reader, kind, null, new ListOptions(Limit: ResourceService.MaxListLimit, Continue: next), ct);
                // Pages are read live: watching from the first page's version replays whatever changed while paging.
                version ??= page.ResourceVersion;
                foreach (var item in page.Items)
                {
                    var row = toRow(item);
                    rows[keyOf(row)] = row;
                }
                next = page.Continue;
            }
            while (next is not null);
            lock (_lock)
            {
                _rows = rows;
                _keys = null;
                _sorted = null;
                Version++;
            }
            _listed.TrySetResult();
            index.OnChanged(kind.Kind);
            return version.Value;
        }

        private void Apply(WatchEvent e)
        {
            var key = (e.Object.Namespace, e.Object.Name);
            var row = e.Type == WatchEventType.Deleted ? null : toRow(e.Object);
            lock (_lock)
            {
                if (row is null)
                {
                    if (!_rows.Remove(key))
                    {
                        return;
                    }
                    _keys = null;
                }
                else if (_rows.TryAdd(key, row))
                {
                    _keys = null;
                }
                else
                {
                    _rows[key] = row;
                }
                _sorted = null;
                Version++;
            }
            index.OnChanged(kind.Kind);
        }
    }

    [LoggerMessage(EventId = 7002, Level = LogLevel.Warning, Message = "The console's index of {Kind} objects lost its watch; listing again")]
    private static partial void LogWatchFailed(ILogger logger, string kind, Exception ex);
}
