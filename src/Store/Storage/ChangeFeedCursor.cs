namespace Fleet.Store;

/// <summary>
/// A reader's position in the change feed that tolerates sequence gaps. On PostgreSQL a transaction may commit a
/// change with a lower sequence after others with higher ones were read, so the cursor stays at the first gap and
/// remembers what it already delivered beyond it; a gap still open after <see cref="GapTimeout"/> is given up (its
/// transaction rolled back, or it took too long: hints are level-triggered, so a missed one costs latency only).
/// </summary>
public sealed class ChangeFeedCursor(long position, TimeSpan? gapTimeout = null)
{
    private readonly SortedDictionary<long, bool> _delivered = [];
    private DateTimeOffset? _gapSince;

    public TimeSpan GapTimeout { get; } = gapTimeout ?? TimeSpan.FromSeconds(5);

    /// <summary>Every change up to here has been delivered; read the feed after it.</summary>
    public long Position { get; private set; } = position;

    /// <summary>
    /// The changes beyond <see cref="Position"/> delivered already (beyond a gap that is still open), in order: with
    /// <see cref="Position"/>, exactly what this cursor has passed, so that another reader can take over from it.
    /// </summary>
    public IReadOnlyCollection<long> DeliveredBeyond => _delivered.Keys;

    /// <summary>The changes of a read (after <see cref="Position"/>) not delivered before, and the cursor moved on.</summary>
    public IReadOnlyList<ResourceChange> Accept(IReadOnlyList<ResourceChange> read, DateTimeOffset now)
    {
        var fresh = new List<ResourceChange>();
        foreach (var change in read)
        {
            if (change.Sequence > Position && _delivered.TryAdd(change.Sequence, true))
            {
                fresh.Add(change);
            }
        }

        Advance(now);
        return fresh;
    }

    private void Advance(DateTimeOffset now)
    {
        while (_delivered.Count > 0)
        {
            var next = _delivered.Keys.First();
            if (next == Position + 1)
            {
                _delivered.Remove(next);
                Position = next;
                _gapSince = null;
                continue;
            }

            // A gap before `next`: wait for it a while, then skip it.
            _gapSince ??= now;
            if (now - _gapSince.Value < GapTimeout)
            {
                return;
            }

            Position = next - 1;
            _gapSince = null;
        }
    }
}
