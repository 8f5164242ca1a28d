using Fleet.TestSupport;

namespace Fleet.Runtime.Tests;

public sealed class FakeTimeProviderTests
{
    [Fact]
    public async Task PeriodicTimer_OnFakeTime_TicksWhenTimeIsAdvanced()
    {
        var time = new FakeTimeProvider();
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(1), time);
        var wait = timer.WaitForNextTickAsync().AsTask();
        Assert.False(wait.IsCompleted);
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(await wait);
    }
}
