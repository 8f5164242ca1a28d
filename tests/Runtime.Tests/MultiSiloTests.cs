using Fleet.Runtime.Grains;
using Fleet.TestSupport;

namespace Fleet.Runtime.Tests;

/// <summary>Several silos in one process sharing one real PostgreSQL database (12 partitions, 3 s leases).</summary>
public sealed class MultiSiloTests
{
    private const int Partitions = 12;

    [PostgresFact]
    public async Task Partitions_SpreadEvenly_AsSilosJoinAndLeave()
    {
        var cs = await new PostgresFixture().CreateDatabaseAsync();
        await using var a = await TestSilo.StartPostgresAsync(cs, "silo-a");
        await Eventually.WaitAsync(() => a.Silo.OwnedPartitions.Count == Partitions, "silo-a owns every partition alone");

        await using var b = await TestSilo.StartPostgresAsync(cs, "silo-b");
        await WaitBalancedAsync([a, b]);

        await using var c = await TestSilo.StartPostgresAsync(cs, "silo-c");
        await WaitBalancedAsync([a, b, c]);

        await b.StopAsync();
        await WaitBalancedAsync([a, c]);
    }

    [PostgresFact]
    public async Task DeadSilo_PartitionsAreTakenOverAfterLeaseExpiry_WithStateAndReminders()
    {
        var cs = await new PostgresFixture().CreateDatabaseAsync();
        await using var a = await TestSilo.StartPostgresAsync(cs, "silo-a", configure: o => o.ReminderScanPeriod = TimeSpan.FromMilliseconds(200));
        await using var b = await TestSilo.StartPostgresAsync(cs, "silo-b", configure: o => o.ReminderScanPeriod = TimeSpan.FromMilliseconds(200));
        await WaitBalancedAsync([a, b]);

        var key = KeyOwnedBy(a, "counter");
        var onA = a.Grains.Get<ICounterGrain>(key);
        await onA.Add(7);
        Assert.Equal(7, await onA.Save());
        var reminderKey = KeyOwnedBy(a, "wake");
        await a.Grains.Get<IReminderGrain>(reminderKey).RemindAt(DateTimeOffset.UtcNow.AddSeconds(2));
        await Eventually.WaitAsync(async () => await a.Grains.Get<IReminderGrain>(reminderKey).Reminder() is not null, "reminder stored");

        await a.HaltAsync();
        await Eventually.WaitAsync(() => b.Silo.OwnedPartitions.Count == Partitions, "silo-b took over every partition", TimeSpan.FromSeconds(60));

        Assert.Equal(7, await b.Grains.Get<ICounterGrain>(key).Get());
        await Eventually.WaitAsync(() => b.Log.Count($"reminder {reminderKey}") == 1, "reminder of the dead silo's grain fired on silo-b");
    }

    [PostgresFact]
    public async Task StaleOwner_WriteIsRejected_AfterAnotherSiloTookThePartition()
    {
        var cs = await new PostgresFixture().CreateDatabaseAsync();
        await using var a = await TestSilo.StartPostgresAsync(cs, "silo-a");
        await using var b = await TestSilo.StartPostgresAsync(cs, "silo-b");
        await WaitBalancedAsync([a, b]);

        var key = KeyOwnedBy(a, "stale");
        var onA = a.Grains.Get<ICounterGrain>(key);
        await onA.Add(1);
        Assert.Equal(1, await onA.Save());

        // silo-a freezes (stops renewing) but its activation lives on, as in a long GC pause or a network split.
        await a.HaltAsync();
        await Eventually.WaitAsync(() => b.Silo.OwnedPartitions.Count == Partitions, "silo-b took over", TimeSpan.FromSeconds(60));
        var onB = b.Grains.Get<ICounterGrain>(key);
        await onB.Add(100);
        Assert.Equal(101, await onB.Save());

        await onA.Add(1);
        var ex = await Assert.ThrowsAsync<PartitionLeaseLostException>(() => onA.Save());
        Assert.Contains(key, ex.Message);
        Assert.Equal(101, await onB.Get());
    }

    [PostgresFact]
    public async Task Tells_ToAGrainOfAnotherSilo_ArriveThroughNotify()
    {
        var cs = await new PostgresFixture().CreateDatabaseAsync();
        await using var a = await TestSilo.StartPostgresAsync(cs, "silo-a");
        await using var b = await TestSilo.StartPostgresAsync(cs, "silo-b");
        await WaitBalancedAsync([a, b]);
        await Eventually.WaitAsync(() => Enumerable.Range(0, Partitions).All(p => b.Runtime.Ownership.TryGetEpoch(p, out _) || b.Runtime.Ownership.OwnerOf(p) == "silo-a"), "silo-b knows the owners");

        var key = KeyOwnedBy(a, "remote");
        var fromB = b.Grains.Get<ICounterGrain>(key);
        for (var i = 0; i < 50; i++)
        {
            await fromB.Add(2);
        }

        await Eventually.WaitAsync(async () => await a.Grains.Get<ICounterGrain>(key).Get() == 100, "all 50 remote tells applied on silo-a");
        Assert.Equal(0, b.Runtime.ActivationCount);
        var ask = await Assert.ThrowsAsync<GrainCallException>(() => fromB.Get());
        Assert.Contains("another silo", ask.Message);
    }

    [PostgresFact]
    public async Task Tell_ToAGrainWhoseSiloIsGone_IsNotAnError()
    {
        var cs = await new PostgresFixture().CreateDatabaseAsync();
        await using var a = await TestSilo.StartPostgresAsync(cs, "silo-a", configure: o => o.LeaseDuration = TimeSpan.FromSeconds(30));
        await using var b = await TestSilo.StartPostgresAsync(cs, "silo-b", configure: o => o.LeaseDuration = TimeSpan.FromSeconds(30));
        await Eventually.WaitAsync(() => b.Silo.OwnedPartitions.Count > 0 && a.Silo.OwnedPartitions.Count + b.Silo.OwnedPartitions.Count == Partitions, "both silos own partitions");
        await b.Silo.ScanRemindersNowAsync();
        var key = KeyOwnedBy(a, "gone");
        await a.HaltAsync();

        await b.Grains.Get<ICounterGrain>(key).Add(1);
    }

    private static string KeyOwnedBy(TestSilo silo, string prefix)
    {
        for (var i = 0; ; i++)
        {
            var key = $"{prefix}-{i}";
            if (silo.Silo.OwnedPartitions.Contains(Partitioner.PartitionOf("CounterGrain", key, Partitions))
                && silo.Silo.OwnedPartitions.Contains(Partitioner.PartitionOf("ReminderGrain", key, Partitions)))
            {
                return key;
            }
        }
    }

    private static Task WaitBalancedAsync(TestSilo[] silos)
    {
        var low = Partitions / silos.Length;
        var high = (Partitions + silos.Length - 1) / silos.Length;
        return Eventually.WaitAsync(
            () =>
            {
                var counts = silos.Select(s => s.Silo.OwnedPartitions.Count).ToArray();
                var all = silos.SelectMany(s => s.Silo.OwnedPartitions).ToArray();
                return counts.Sum() == Partitions && all.Distinct().Count() == Partitions && counts.All(c => c >= low && c <= high);
            },
            $"{silos.Length} silos balanced",
            TimeSpan.FromSeconds(60));
    }
}
