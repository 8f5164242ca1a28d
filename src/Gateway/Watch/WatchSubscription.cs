using System.Threading.Channels;
using Fleet.Store;

namespace Fleet.Gateway.Watch;

/// <summary>
/// Where the shared reader stood when a watch subscribed: it had passed every change up to <see cref="Position"/>
/// and the ones in <see cref="Beyond"/> (past a gap of the feed still open). Those the watch reads from the store
/// itself; every other change reaches it through its channel, so nothing is missed or shown twice.
/// </summary>
internal sealed record FeedPosition(long Position, IReadOnlySet<long> Beyond)
{
    /// <summary>Whether the reader had passed this change when the watch subscribed.</summary>
    public bool Passed(long sequence) => sequence <= Position || Beyond.Contains(sequence);

    /// <summary>The last change the reader had passed.</summary>
    public long End => Beyond.Count == 0 ? Position : Math.Max(Position, Beyond.Max());
}

/// <summary>One watch's place in the <see cref="WatchFeed"/>: a bounded channel of the changes its filter accepts.</summary>
internal sealed class WatchSubscription : IDisposable
{
    private readonly WatchFeed _feed;
    private readonly Func<ResourceChange, bool> _filter;
    private readonly Channel<ResourceChange> _channel;
    private volatile bool _overflowed;

    internal WatchSubscription(WatchFeed feed, Func<ResourceChange, bool> filter, int capacity, FeedPosition handOver)
    {
        _feed = feed;
        _filter = filter;
        HandOver = handOver;
        // One writer (the reader, under its lock), one reader (the watch); a full channel is never waited on.
        _channel = Channel.CreateBounded<ResourceChange>(new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
    }

    /// <summary>What the shared reader had passed when this watch subscribed.</summary>
    public FeedPosition HandOver { get; }

    /// <summary>The changes for this watch, in the order the reader passed them.</summary>
    public ChannelReader<ResourceChange> Changes => _channel.Reader;

    /// <summary>True once the channel filled: the watch did not keep up and was dropped; it must end and be resumed.</summary>
    public bool Overflowed => _overflowed;

    /// <summary>Offers a change (from the reader); false when the channel is full, which drops this subscription.</summary>
    internal bool Offer(ResourceChange change)
    {
        if (!_filter(change) || _channel.Writer.TryWrite(change))
        {
            return true;
        }

        _overflowed = true;
        _channel.Writer.TryComplete();
        return false;
    }

    /// <summary>Ends the channel (the host is stopping).</summary>
    internal void Complete() => _channel.Writer.TryComplete();

    public void Dispose()
    {
        _channel.Writer.TryComplete();
        _feed.Unsubscribe(this);
    }
}
