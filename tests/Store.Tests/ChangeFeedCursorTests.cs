using Microsoft.Extensions.Time.Testing;

namespace Fleet.Store.Tests;

public sealed class ChangeFeedCursorTests
{
    private static ResourceChange Change(long seq) => new(seq, "Cluster", "ns", $"c{seq}", seq, ResourceChangeType.Spec);

    [Fact]
    public void ContiguousChanges_AreDeliveredOnce_AndMoveThePosition()
    {
        var cursor = new ChangeFeedCursor(10);
        var now = new FakeTimeProvider().GetUtcNow();
        Assert.Equal([11, 12], cursor.Accept([Change(11), Change(12)], now).Select(c => c.Sequence));
        Assert.Equal(12, cursor.Position);
        Assert.Empty(cursor.Accept([Change(12)], now));
    }

    [Fact]
    public void Gap_HoldsThePositionUntilFilled_WithoutDeliveringTwice()
    {
        var time = new FakeTimeProvider();
        var cursor = new ChangeFeedCursor(0);
        Assert.Equal([1, 3], cursor.Accept([Change(1), Change(3)], time.GetUtcNow()).Select(c => c.Sequence));
        Assert.Equal(1, cursor.Position);

        // The late transaction commits: 2 is delivered, 3 is not delivered again.
        Assert.Equal([2], cursor.Accept([Change(2), Change(3)], time.GetUtcNow()).Select(c => c.Sequence));
        Assert.Equal(3, cursor.Position);
    }

    [Fact]
    public void DeliveredBeyond_NamesWhatWasPassedBeyondAnOpenGap_ForAHandOver()
    {
        var time = new FakeTimeProvider();
        var cursor = new ChangeFeedCursor(0);
        cursor.Accept([Change(1), Change(3), Change(5)], time.GetUtcNow());
        Assert.Equal(1, cursor.Position);
        Assert.Equal([3, 5], cursor.DeliveredBeyond);
        cursor.Accept([Change(2), Change(4)], time.GetUtcNow());
        Assert.Equal(5, cursor.Position);
        Assert.Empty(cursor.DeliveredBeyond);
    }

    [Fact]
    public void GapThatNeverFills_IsSkippedAfterTheTimeout()
    {
        var time = new FakeTimeProvider();
        var cursor = new ChangeFeedCursor(0, TimeSpan.FromSeconds(5));
        cursor.Accept([Change(1), Change(3)], time.GetUtcNow());
        time.Advance(TimeSpan.FromSeconds(4));
        cursor.Accept([Change(3)], time.GetUtcNow());
        Assert.Equal(1, cursor.Position);
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal([4], cursor.Accept([Change(3), Change(4)], time.GetUtcNow()).Select(c => c.Sequence));
        Assert.Equal(4, cursor.Position);
    }
}
