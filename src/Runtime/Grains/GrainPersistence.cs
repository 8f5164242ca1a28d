using Fleet.Runtime.Diagnostics;
using Fleet.Runtime.Storage;

namespace Fleet.Runtime.Grains;

/// <summary>Grain state reads and writes with retry while the database is away, and fencing by partition lease.</summary>
internal sealed class GrainPersistence(IStorageProvider storage, RuntimeMetrics metrics, RuntimeLog log, TimeSpan retryTimeout)
{
    public Task<GrainStateRecord?> ReadAsync(string grainType, string key, CancellationToken ct) =>
        RetryAsync("read state", () => storage.GrainState.ReadAsync(grainType, key, ct), ct);

    public async Task<string> WriteAsync(GrainActivation a, string json, int stateVersion, string? expectedEtag, CancellationToken ct)
    {
        // The new etag is chosen here, once, so that a retry after a commit whose acknowledgement was lost finds
        // its own etag stored and succeeds instead of reporting a conflict.
        var newEtag = Guid.NewGuid().ToString("N");
        try
        {
            await RetryAsync(
                "write state",
                async () =>
                {
                    await storage.GrainState.WriteAsync(a.Type.Name, a.Key, json, stateVersion, expectedEtag, newEtag, new Fence(a.Partition, a.Epoch), ct);
                    return 0;
                },
                ct);
        }
        catch (Exception ex) when (ex is GrainStateConflictException or PartitionLeaseLostException)
        {
            metrics.StateConflict();
            throw;
        }

        metrics.StateWritten();
        return newEtag;
    }

    public Task ClearAsync(GrainActivation a, string? expectedEtag, CancellationToken ct) =>
        RetryAsync(
            "clear state",
            async () =>
            {
                await storage.GrainState.ClearAsync(a.Type.Name, a.Key, expectedEtag, new Fence(a.Partition, a.Epoch), ct);
                return 0;
            },
            ct);

    private async Task<T> RetryAsync<T>(string operation, Func<Task<T>> work, CancellationToken ct)
    {
        // Hand-written rather than Polly: the policy is one loop (exponential backoff up to a deadline on
        // transient errors) and the runtime takes no extra dependency for it.
        var deadline = DateTime.UtcNow + retryTimeout;
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                return await work();
            }
            catch (Exception ex) when (storage.IsTransient(ex) && DateTime.UtcNow + delay < deadline && !ct.IsCancellationRequested)
            {
                log.StorageRetry(operation, ex.Message, delay);
                await Task.Delay(delay, ct);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }
}
