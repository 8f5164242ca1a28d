using System.Collections.Concurrent;

namespace Fleet.Grains.Placements;

/// <summary>
/// Bounds the applies running at once: per silo (so thousands of placements do not all talk at once) and per cluster
/// (so one cluster is not flooded by its many applications).
/// </summary>
internal sealed class ApplySlots(int perSilo = 32, int perCluster = 4)
{
    private readonly SemaphoreSlim _silo = new(perSilo);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _clusters = new();

    public async Task<IDisposable> AcquireAsync(string cluster, CancellationToken ct)
    {
        var perClusterGate = _clusters.GetOrAdd(cluster, _ => new SemaphoreSlim(perCluster));
        await perClusterGate.WaitAsync(ct);
        try
        {
            await _silo.WaitAsync(ct);
        }
        catch
        {
            perClusterGate.Release();
            throw;
        }
        return new Lease(_silo, perClusterGate);
    }

    private sealed class Lease(SemaphoreSlim silo, SemaphoreSlim cluster) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                silo.Release();
                cluster.Release();
            }
        }
    }
}
