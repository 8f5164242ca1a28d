using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Fleet.Runtime.Grains;
using Fleet.Runtime.Silo;
using Npgsql;

namespace Fleet.Runtime.Storage.Postgres;

[JsonSerializable(typeof(RemoteTell))]
internal sealed partial class RemoteTellJsonContext : JsonSerializerContext;

/// <summary>
/// Several silos sharing one PostgreSQL database. Each silo heartbeats a row in <c>silos</c> and leases partitions
/// in <c>partition_leases</c> (owner, expiry, fencing epoch bumped on every change of owner). Every third of the
/// lease duration it renews its leases, learns how many silos are alive, releases partitions above its fair share
/// (ceil(partitions / silos)) and takes free or expired ones below it, so partitions spread evenly as silos join
/// and leave and a dead silo's partitions are taken over once its leases expire. Tells to grains of other silos go
/// through <c>NOTIFY</c> on the owner's channel; each silo <c>LISTEN</c>s on its own.
/// </summary>
internal sealed class PostgresCluster : IClusterMembership, IPartitionOwnership, ITellTransport
{
    /// <summary>PostgreSQL refuses NOTIFY payloads of 8000 bytes or more.</summary>
    private const int MaxPayloadBytes = 7900;

    private readonly PostgresStorageProvider _db;
    private readonly FleetRuntimeOptions _options;
    private readonly long[] _epochs;
    private readonly string?[] _owners;
    private readonly Dictionary<string, string> _channels = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _cycleLock = new(1, 1);
    private GrainRuntime? _runtime;
    private Task? _leaseLoop;
    private Task? _listenLoop;
    private volatile int[] _owned = [];

    public PostgresCluster(PostgresStorageProvider db, FleetRuntimeOptions options)
    {
        _db = db;
        _options = options;
        _epochs = new long[options.PartitionCount];
        _owners = new string?[options.PartitionCount];
        Channel = ChannelOf(options.SiloId);
    }

    public string Channel { get; }

    public int PartitionCount => _options.PartitionCount;

    public IReadOnlyCollection<int> OwnedPartitions => _owned;

    public bool TryGetEpoch(int partition, out long epoch)
    {
        epoch = Volatile.Read(ref _epochs[partition]);
        return epoch != 0;
    }

    public string? OwnerOf(int partition) => Volatile.Read(ref _owners[partition]);

    public async Task StartAsync(GrainRuntime runtime, CancellationToken ct)
    {
        _runtime = runtime;
        var listenerReady = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _listenLoop = ListenLoopAsync(listenerReady);
        await listenerReady.Task.WaitAsync(ct);
        await RunCycleAsync(ct);
        _leaseLoop = LeaseLoopAsync();
    }

    public async Task StopAsync(bool release)
    {
        await _stop.CancelAsync();
        foreach (var t in new[] { _leaseLoop, _listenLoop })
        {
            if (t is not null)
            {
                try
                {
                    await t;
                }
                catch (OperationCanceledException)
                {
                }
            }
        }

        if (!release)
        {
            return;
        }

        var owned = _owned;
        Array.Clear(_epochs);
        _owned = [];
        try
        {
            await using var c = await _db.OpenAsync(CancellationToken.None);
            await using var cmd = new NpgsqlCommand("UPDATE partition_leases SET owner = NULL, expires_at = now() WHERE owner = @me; DELETE FROM silos WHERE silo_id = @me", c);
            cmd.Parameters.AddWithValue("me", _options.SiloId);
            await cmd.ExecuteNonQueryAsync();
            if (owned.Length > 0)
            {
                _runtime?.Log.PartitionsReleased(_options.SiloId, Describe(owned));
            }
        }
        catch (Exception ex) when (_db.IsTransient(ex))
        {
            // The leases expire on their own; other silos take them over then.
            _runtime?.Log.LoopFailed("lease release", ex);
        }
    }

    /// <summary>Runs one lease cycle now (tests use it to converge without waiting for the period).</summary>
    internal Task RunCycleNowAsync() => RunCycleAsync(_stop.Token);

    public async Task SendAsync(string siloId, RemoteTell tell, CancellationToken ct)
    {
        var payload = JsonSerializer.Serialize(tell, RemoteTellJsonContext.Default.RemoteTell);
        if (System.Text.Encoding.UTF8.GetByteCount(payload) > MaxPayloadBytes)
        {
            throw new GrainCallException($"Tell {tell.GrainType}.{tell.Method} to {tell.Key} is too large to cross silos ({payload.Length} characters; at most {MaxPayloadBytes} bytes): pass a digest or a key, not the data.");
        }

        string channel;
        lock (_channels)
        {
            if (!_channels.TryGetValue(siloId, out channel!))
            {
                channel = ChannelOf(siloId);
                _channels[siloId] = channel;
            }
        }

        await using var c = await _db.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand("SELECT pg_notify(@ch, @payload)", c);
        cmd.Parameters.AddWithValue("ch", channel);
        cmd.Parameters.AddWithValue("payload", payload);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The NOTIFY channel of a silo: a stable hash, since silo ids may hold characters identifiers cannot.</summary>
    internal static string ChannelOf(string siloId)
    {
        var h = 14695981039346656037ul;
        foreach (var ch in siloId)
        {
            h = (h ^ ch) * 1099511628211ul;
        }

        return "fleet_silo_" + h.ToString("x16", CultureInfo.InvariantCulture);
    }

    private async Task LeaseLoopAsync()
    {
        var ct = _stop.Token;
        var period = _options.LeaseDuration / 3;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                // Real time, not the injected TimeProvider: lease expiry is judged by the database's clock.
                await Task.Delay(period, ct);
                await RunCycleAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                _runtime!.Log.LoopFailed("partition leases", ex);
            }
        }
    }

    private async Task RunCycleAsync(CancellationToken ct)
    {
        await _cycleLock.WaitAsync(ct);
        try
        {
            await CycleAsync(ct);
        }
        finally
        {
            _cycleLock.Release();
        }
    }

    private async Task CycleAsync(CancellationToken ct)
    {
        var runtime = _runtime!;
        var me = _options.SiloId;
        var duration = _options.LeaseDuration;
        await using var c = await _db.OpenAsync(ct);

        // 1. Heartbeat and renew. Partitions whose lease another silo took are gone.
        int liveSilos;
        var renewed = new Dictionary<int, long>();
        await using (var cmd = new NpgsqlCommand(
            """
            INSERT INTO silos (silo_id, channel, expires_at) VALUES (@me, @ch, now() + @d)
                ON CONFLICT (silo_id) DO UPDATE SET expires_at = excluded.expires_at, channel = excluded.channel;
            SELECT count(*)::int FROM silos WHERE expires_at > now();
            UPDATE partition_leases SET expires_at = now() + @d
                WHERE partition IN (SELECT partition FROM partition_leases WHERE owner = @me ORDER BY partition FOR UPDATE)
                RETURNING partition, epoch;
            """,
            c))
        {
            cmd.Parameters.AddWithValue("me", me);
            cmd.Parameters.AddWithValue("ch", Channel);
            cmd.Parameters.AddWithValue("d", duration);
            // Npgsql skips the INSERT, which returns no rows: the first result is the count.
            await using var r = await cmd.ExecuteReaderAsync(ct);
            await r.ReadAsync(ct);
            liveSilos = Math.Max(1, r.GetInt32(0));
            await r.NextResultAsync(ct);
            while (await r.ReadAsync(ct))
            {
                renewed[r.GetInt32(0)] = r.GetInt64(1);
            }
        }

        var lost = _owned.Where(p => !renewed.TryGetValue(p, out var e) || e != Volatile.Read(ref _epochs[p])).ToArray();
        if (lost.Length > 0)
        {
            foreach (var p in lost)
            {
                Volatile.Write(ref _epochs[p], 0);
            }

            runtime.Log.PartitionsLost(me, Describe(lost));
            var lostSet = lost.ToHashSet();
            await runtime.DeactivateAsync(a => lostSet.Contains(a.Partition), DeactivationReason.PartitionLost);
        }

        var target = (_options.PartitionCount + liveSilos - 1) / liveSilos;
        var owned = renewed.Keys.Where(p => !lost.Contains(p)).Order().ToList();

        // 2. Above the fair share: hand partitions back, after their grains deactivated (and wrote their last state).
        if (owned.Count > target)
        {
            var release = owned.Skip(target).ToArray();
            foreach (var p in release)
            {
                Volatile.Write(ref _epochs[p], 0);
            }

            owned.RemoveRange(target, owned.Count - target);
            _owned = owned.ToArray();
            var releaseSet = release.ToHashSet();
            await runtime.DeactivateAsync(a => releaseSet.Contains(a.Partition), DeactivationReason.PartitionLost);
            await using var rel = new NpgsqlCommand("UPDATE partition_leases SET owner = NULL, expires_at = now() WHERE owner = @me AND partition = ANY(@ps)", c);
            rel.Parameters.AddWithValue("me", me);
            rel.Parameters.AddWithValue("ps", release);
            await rel.ExecuteNonQueryAsync(ct);
            runtime.Log.PartitionsReleased(me, Describe(release));
        }

        // 3. Below it: take free or expired partitions (each take bumps the epoch, fencing the previous owner).
        if (owned.Count < target)
        {
            var acquired = new List<int>();
            await using var acq = new NpgsqlCommand(
                """
                UPDATE partition_leases l SET owner = @me, epoch = l.epoch + 1, expires_at = now() + @d
                FROM (SELECT partition FROM partition_leases WHERE owner IS NULL OR expires_at < now()
                      ORDER BY partition LIMIT @n FOR UPDATE SKIP LOCKED) f
                WHERE l.partition = f.partition
                RETURNING l.partition, l.epoch
                """,
                c);
            acq.Parameters.AddWithValue("me", me);
            acq.Parameters.AddWithValue("d", duration);
            acq.Parameters.AddWithValue("n", target - owned.Count);
            await using (var r = await acq.ExecuteReaderAsync(ct))
            {
                while (await r.ReadAsync(ct))
                {
                    var p = r.GetInt32(0);
                    Volatile.Write(ref _epochs[p], r.GetInt64(1));
                    acquired.Add(p);
                }
            }

            if (acquired.Count > 0)
            {
                owned.AddRange(acquired);
                owned.Sort();
                runtime.Log.PartitionsAcquired(me, Describe(acquired));
            }
        }

        foreach (var (p, e) in renewed)
        {
            if (owned.Contains(p))
            {
                Volatile.Write(ref _epochs[p], e);
            }
        }

        _owned = owned.ToArray();

        // 4. Learn who owns the rest, for routing tells.
        await using (var who = new NpgsqlCommand("SELECT partition, CASE WHEN expires_at > now() THEN owner END FROM partition_leases", c))
        {
            await using var r = await who.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                var p = r.GetInt32(0);
                if (p < _owners.Length)
                {
                    Volatile.Write(ref _owners[p], r.IsDBNull(1) ? null : r.GetString(1));
                }
            }
        }
    }

    private async Task ListenLoopAsync(TaskCompletionSource ready)
    {
        var ct = _stop.Token;
        var delay = TimeSpan.FromMilliseconds(200);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var c = await _db.OpenAsync(ct);
                c.Notification += (_, e) => OnNotification(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", c))
                {
                    await listen.ExecuteNonQueryAsync(ct);
                }

                ready.TrySetResult();
                delay = TimeSpan.FromMilliseconds(200);
                while (true)
                {
                    await c.WaitAsync(ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                _runtime?.Log.ListenerLost(ex.Message);
                try
                {
                    await Task.Delay(delay, ct);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    private void OnNotification(string payload)
    {
        RemoteTell? tell;
        try
        {
            tell = JsonSerializer.Deserialize(payload, RemoteTellJsonContext.Default.RemoteTell);
        }
        catch (JsonException ex)
        {
            _runtime?.Log.RemoteTellRefused($"malformed payload: {ex.Message}");
            return;
        }

        if (tell is not null)
        {
            _runtime?.Deliver(tell);
        }
    }

    private static string Describe(IEnumerable<int> partitions) => string.Join(",", partitions);
}
