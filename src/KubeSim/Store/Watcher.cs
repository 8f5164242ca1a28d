using System.Threading.Channels;

namespace Fleet.KubeSim.Store;

/// <summary>
/// One open watch: the events of one resource (optionally one namespace) queued for the HTTP stream.
/// A watcher that falls too far behind is closed, as the API server closes slow watchers.
/// </summary>
internal sealed class Watcher
{
    private const int MaxBacklog = 10_000;

    private readonly Channel<WatchEvent> _events = Channel.CreateBounded<WatchEvent>(
        new BoundedChannelOptions(MaxBacklog) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    public Watcher(string groupResource, string? ns)
    {
        GroupResource = groupResource;
        Namespace = ns;
    }

    public string GroupResource { get; }

    public string? Namespace { get; }

    public ChannelReader<WatchEvent> Events => _events.Reader;

    public bool Wants(WatchEvent e) =>
        e.GroupResource == GroupResource && (Namespace is null || Namespace == e.Namespace);

    public void Offer(WatchEvent e)
    {
        if (!_events.Writer.TryWrite(e))
        {
            _events.Writer.TryComplete();
        }
    }

    public void Close() => _events.Writer.TryComplete();
}
