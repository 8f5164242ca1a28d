namespace Fleet.KubeSim.Store;

/// <summary>
/// One virtual cluster: its objects (stored compactly as UTF-8 JSON, parsed on demand), its
/// resourceVersion counter, the resources its CRDs add, its watch history and open watches, its faults and
/// request counters. Everything per-object is created lazily, so an idle cluster costs a few hundred bytes.
/// Callers hold <see cref="Gate"/> around every read-modify-write of the store.
/// </summary>
internal sealed class SimCluster
{
    private readonly long[] _counters = new long[Enum.GetValues<Verb>().Length];
    private readonly int _historyCapacity;
    private Dictionary<string, SortedList<string, StoredObject>>? _buckets;
    private Dictionary<string, ResourceType[]>? _customTypes;
    private Queue<WatchEvent>? _history;
    private List<Watcher>? _watchers;
    private long _rv;
    private long _historyStart;
    private IReadOnlyDictionary<string, string> _labels;
    private ClusterFaults _faults = ClusterFaults.None;

    public SimCluster(string name, IReadOnlyDictionary<string, string> labels, int historyCapacity, DateTimeOffset created)
    {
        Name = name;
        _labels = labels;
        _historyCapacity = historyCapacity;
        Created = created;
    }

    public string Name { get; }

    public DateTimeOffset Created { get; }

    public Lock Gate { get; } = new();

    /// <summary>Set once the built-in namespaces exist; they are created on the cluster's first request.</summary>
    public bool Initialized { get; set; }

    public bool Removed { get; private set; }

    public IReadOnlyDictionary<string, string> Labels
    {
        get => Volatile.Read(ref _labels);
        set => Volatile.Write(ref _labels, value);
    }

    public ClusterFaults Faults
    {
        get => Volatile.Read(ref _faults);
        set => Volatile.Write(ref _faults, value);
    }

    public long ResourceVersion => Interlocked.Read(ref _rv);

    public void Count(Verb verb) => Interlocked.Increment(ref _counters[(int)verb]);

    public ClusterStats Stats()
    {
        var requests = new SortedDictionary<string, long>(StringComparer.Ordinal);
        long total = 0;
        foreach (var verb in Enum.GetValues<Verb>())
        {
            var n = Interlocked.Read(ref _counters[(int)verb]);
            requests[verb.ToString().ToLowerInvariant()] = n;
            total += n;
        }

        int objects;
        lock (Gate)
        {
            objects = ObjectCount;
        }

        return new ClusterStats(Name, requests, total, objects, ResourceVersion);
    }

    public void ResetStats()
    {
        for (var i = 0; i < _counters.Length; i++)
        {
            Interlocked.Exchange(ref _counters[i], 0);
        }
    }

    public int ObjectCount => _buckets?.Values.Sum(b => b.Count) ?? 0;

    public long NextResourceVersion() => Interlocked.Increment(ref _rv);

    public static string Key(string ns, string name) => ns.Length == 0 ? name : $"{ns}/{name}";

    public byte[]? Get(string groupResource, string ns, string name) => GetStored(groupResource, ns, name)?.Json;

    /// <summary>Records which apply left the stored version (see <see cref="StoredObject.ApplyHash"/>).</summary>
    public void SetApplyHash(string groupResource, string ns, string name, ulong hash)
    {
        if (_buckets is not null && _buckets.TryGetValue(groupResource, out var b) && b.TryGetValue(Key(ns, name), out var v))
        {
            b[Key(ns, name)] = v with { ApplyHash = hash };
        }
    }

    public StoredObject? GetStored(string groupResource, string ns, string name) =>
        _buckets is not null && _buckets.TryGetValue(groupResource, out var b) && b.TryGetValue(Key(ns, name), out var v) ? v : null;

    /// <summary>Objects of one resource in key order (namespace, then name), as etcd lists them.</summary>
    public IEnumerable<KeyValuePair<string, byte[]>> Items(string groupResource, string? ns)
    {
        if (_buckets is null || !_buckets.TryGetValue(groupResource, out var b))
        {
            return [];
        }

        if (ns is null)
        {
            return b.Select(kv => new KeyValuePair<string, byte[]>(kv.Key, kv.Value.Json));
        }

        var prefix = ns + "/";
        return b.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).Select(kv => new KeyValuePair<string, byte[]>(kv.Key, kv.Value.Json));
    }

    public IEnumerable<string> GroupResources => _buckets?.Keys ?? Enumerable.Empty<string>();

    public void Put(string groupResource, string ns, string name, byte[] json, long rv, string type, System.Text.Json.Nodes.JsonObject? previousLabels)
    {
        _buckets ??= new Dictionary<string, SortedList<string, StoredObject>>(StringComparer.Ordinal);
        if (!_buckets.TryGetValue(groupResource, out var bucket))
        {
            bucket = new SortedList<string, StoredObject>(StringComparer.Ordinal);
            _buckets[groupResource] = bucket;
        }

        ns = Names.Intern(ns);
        bucket[Key(ns, name)] = new StoredObject(json);
        Publish(new WatchEvent(rv, groupResource, ns, type, json, previousLabels));
    }

    public void Remove(string groupResource, string ns, string name, byte[] last, long rv)
    {
        if (_buckets is not null && _buckets.TryGetValue(groupResource, out var bucket))
        {
            bucket.Remove(Key(ns, name));
            if (bucket.Count == 0)
            {
                _buckets.Remove(groupResource);
            }
        }

        Publish(new WatchEvent(rv, groupResource, Names.Intern(ns), "DELETED", last, null));
    }

    private void Publish(WatchEvent e)
    {
        if (_historyCapacity > 0)
        {
            _history ??= new Queue<WatchEvent>();

            // Make room first, so a full history never grows its array past the capacity.
            while (_history.Count >= _historyCapacity)
            {
                _historyStart = _history.Dequeue().ResourceVersion;
            }

            _history.Enqueue(e);
        }
        else
        {
            _historyStart = e.ResourceVersion;
        }

        if (_watchers is null)
        {
            return;
        }

        foreach (var w in _watchers)
        {
            if (w.Wants(e))
            {
                w.Offer(e);
            }
        }
    }

    /// <summary>
    /// Registers a watcher and returns the recorded events after <paramref name="fromRv"/>, or null when
    /// the history no longer reaches back that far (the client must relist: 410 Gone).
    /// </summary>
    public List<WatchEvent>? StartWatch(Watcher watcher, long? fromRv)
    {
        List<WatchEvent> replay = [];
        if (fromRv is { } rv)
        {
            if (rv < _historyStart)
            {
                return null;
            }

            if (_history is not null)
            {
                replay.AddRange(_history.Where(e => e.ResourceVersion > rv && watcher.Wants(e)));
            }
        }

        _watchers ??= [];
        _watchers.Add(watcher);
        return replay;
    }

    public void StopWatch(Watcher watcher)
    {
        _watchers?.Remove(watcher);
        watcher.Close();
    }

    public long HistoryStart => _historyStart;

    public IEnumerable<ResourceType> CustomTypes => _customTypes?.Values.SelectMany(t => t) ?? Enumerable.Empty<ResourceType>();

    public void SetCustomTypes(string crdName, ResourceType[]? types)
    {
        if (types is null || types.Length == 0)
        {
            _customTypes?.Remove(crdName);
            return;
        }

        _customTypes ??= new Dictionary<string, ResourceType[]>(StringComparer.Ordinal);
        _customTypes[crdName] = types;
    }

    public void MarkRemoved()
    {
        Removed = true;
        if (_watchers is null)
        {
            return;
        }

        foreach (var w in _watchers)
        {
            w.Close();
        }

        _watchers.Clear();
    }
}
