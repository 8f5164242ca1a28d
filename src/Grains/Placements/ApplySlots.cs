using System.Collections.Concurrent;

namespace Fleet.Grains.Placements;

/// <summary>
/// Bounds the placement work running at once: per silo, the whole reconcile of a placement except its health wait
/// (reading its desired state, applying, writing its status), so that thousands of hinted placements do not all
/// queue on the database at once, ahead of the application still writing the rest of them; and per cluster, the
/// applies (so one cluster is not flooded by its many applications). Always taken silo first, then cluster.
/// </summary>
internal sealed class ApplySlots(int perSilo = 32, int perCluster = 4)
{
    private readonly PriorityGate _silo = new(perSilo);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _clusters = new();

    /// <summary>
    /// A slot of the silo's placement work; disposing it (more than once is fine) gives it back. A slot freed goes
    /// to a waiter of normal priority before any of <paramref name="low"/> priority: after a commit that changed one
    /// application, its placements change the clusters before the other applications' placements record the new
    /// revision (which sends nothing), rather than queueing behind 40,000 of them at 10,000 clusters.
    /// </summary>
    public async Task<IDisposable> AcquireSiloAsync(CancellationToken ct, bool low = false)
    {
        await _silo.WaitAsync(low, ct);
        return new Lease(_silo.Release);
    }

    /// <summary>A slot for talking to one cluster; taken while holding a silo slot.</summary>
    public async Task<IDisposable> AcquireClusterAsync(string cluster, CancellationToken ct)
    {
        var gate = _clusters.GetOrAdd(cluster, _ => new SemaphoreSlim(perCluster));
        await gate.WaitAsync(ct);
        return new Lease(() => gate.Release());
    }

    private sealed class Lease(Action release) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                release();
            }
        }
    }
}

/// <summary>
/// A counting gate with two waiting lines: a freed slot goes to the first waiter of normal priority, and to a
/// low-priority waiter only when none waits. Written here because SemaphoreSlim (and System.Threading.RateLimiting's
/// limiters) serve waiters in one order only.
/// </summary>
internal sealed class PriorityGate(int slots)
{
    private readonly Lock _gate = new();
    private readonly LinkedList<TaskCompletionSource> _normal = [];
    private readonly LinkedList<TaskCompletionSource> _low = [];
    private int _free = slots;

    /// <summary>Waiters of each priority, for tests.</summary>
    internal (int Normal, int Low) Waiting
    {
        get
        {
            lock (_gate)
            {
                return (_normal.Count, _low.Count);
            }
        }
    }

    public async Task WaitAsync(bool low, CancellationToken ct)
    {
        LinkedListNode<TaskCompletionSource> node;
        lock (_gate)
        {
            if (_free > 0 && _normal.Count == 0 && (_low.Count == 0 || low))
            {
                _free--;
                return;
            }

            node = (low ? _low : _normal).AddLast(new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        }

        using (ct.Register(() => Cancel(node, low)))
        {
            await node.Value.Task;
        }
    }

    public void Release()
    {
        TaskCompletionSource? next;
        lock (_gate)
        {
            var line = _normal.Count > 0 ? _normal : _low;
            if (line.First is not { } first)
            {
                _free++;
                return;
            }

            line.RemoveFirst();
            next = first.Value;
        }

        // The slot passes to the waiter directly.
        next.TrySetResult();
    }

    private void Cancel(LinkedListNode<TaskCompletionSource> node, bool low)
    {
        lock (_gate)
        {
            // Still waiting: leave the line. Already given the slot: it is released by the caller's lease as usual.
            if (node.List is null)
            {
                return;
            }

            (low ? _low : _normal).Remove(node);
        }

        node.Value.TrySetCanceled();
    }
}
