using System.Threading.Channels;

namespace Fleet.Runtime.Storage;

/// <summary>
/// Group commit: items enqueued while a flush is running are flushed together by the next one. A few flushers run
/// at once so that the database's round trip is overlapped; each flush takes everything waiting, up to a maximum.
/// </summary>
internal sealed class WriteBatcher<T>
{
    private readonly Channel<T> _queue = Channel.CreateUnbounded<T>(new UnboundedChannelOptions { SingleReader = false });
    private readonly Func<IReadOnlyList<T>, Task> _flush;
    private readonly int _maxBatch;

    public WriteBatcher(Func<IReadOnlyList<T>, Task> flush, int maxBatch, int flushers)
    {
        _flush = flush;
        _maxBatch = maxBatch;
        for (var i = 0; i < flushers; i++)
        {
            _ = Task.Run(RunAsync);
        }
    }

    public void Enqueue(T item)
    {
        if (!_queue.Writer.TryWrite(item))
        {
            throw new InvalidOperationException("The storage is closed.");
        }
    }

    public void Complete() => _queue.Writer.TryComplete();

    private async Task RunAsync()
    {
        var batch = new List<T>(_maxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            while (batch.Count < _maxBatch && _queue.Reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            if (batch.Count == 0)
            {
                continue;
            }

            // The flush completes or fails every item itself; it never throws.
            await _flush(batch.ToArray());
            batch.Clear();
        }
    }
}
