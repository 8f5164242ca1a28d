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
    private readonly SemaphoreSlim _silo = new(perSilo);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _clusters = new();

    /// <summary>A slot of the silo's placement work; disposing it (more than once is fine) gives it back.</summary>
    public async Task<IDisposable> AcquireSiloAsync(CancellationToken ct)
    {
        await _silo.WaitAsync(ct);
        return new Lease(_silo);
    }

    /// <summary>A slot for talking to one cluster; taken while holding a silo slot.</summary>
    public async Task<IDisposable> AcquireClusterAsync(string cluster, CancellationToken ct)
    {
        var gate = _clusters.GetOrAdd(cluster, _ => new SemaphoreSlim(perCluster));
        await gate.WaitAsync(ct);
        return new Lease(gate);
    }

    private sealed class Lease(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Release();
            }
        }
    }
}
