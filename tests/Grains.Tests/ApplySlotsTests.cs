using Fleet.Grains.Placements;

namespace Fleet.Grains.Tests;

/// <summary>The silo's placement slots: a freed slot goes to placements with changes to make before those that only record a revision.</summary>
public sealed class ApplySlotsTests
{
    [Fact]
    public async Task FreedSlot_GoesToANormalWaiter_BeforeEarlierLowOnes()
    {
        var gate = new PriorityGate(1);
        await gate.WaitAsync(low: false, CancellationToken.None);
        var order = new List<string>();
        var low1 = Take(gate, true, "low-1", order);
        var low2 = Take(gate, true, "low-2", order);
        var normal = Take(gate, false, "normal", order);
        Assert.Equal((1, 2), gate.Waiting);

        for (var i = 0; i < 3; i++)
        {
            gate.Release();
            await Task.WhenAny(low1, low2, normal);
            await Task.Delay(20);
        }

        await Task.WhenAll(low1, low2, normal);
        Assert.Equal(["normal", "low-1", "low-2"], order);
    }

    [Fact]
    public async Task LowWaiter_TakesAFreeSlot_WhenNoneWaits_AndACancelledWaiterLeavesTheLine()
    {
        var gate = new PriorityGate(2);
        await gate.WaitAsync(low: true, CancellationToken.None);
        await gate.WaitAsync(low: false, CancellationToken.None);

        using var cts = new CancellationTokenSource();
        var cancelled = gate.WaitAsync(low: false, cts.Token);
        var waiting = gate.WaitAsync(low: true, CancellationToken.None);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Equal((0, 1), gate.Waiting);

        gate.Release();
        await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal((0, 0), gate.Waiting);
    }

    [Fact]
    public async Task Slots_AreCounted()
    {
        var slots = new ApplySlots(perSilo: 2, perCluster: 1);
        var a = await slots.AcquireSiloAsync(CancellationToken.None);
        var b = await slots.AcquireSiloAsync(CancellationToken.None, low: true);
        var third = slots.AcquireSiloAsync(CancellationToken.None);
        await Task.Delay(50);
        Assert.False(third.IsCompleted);
        a.Dispose();
        a.Dispose();
        (await third.WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
        b.Dispose();
        (await slots.AcquireSiloAsync(CancellationToken.None)).Dispose();
    }

    private static async Task Take(PriorityGate gate, bool low, string name, List<string> order)
    {
        await gate.WaitAsync(low, CancellationToken.None);
        lock (order)
        {
            order.Add(name);
        }
    }
}
