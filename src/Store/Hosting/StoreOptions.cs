namespace Fleet.Store;

/// <summary>Which database holds the API store.</summary>
public enum StoreProvider
{
    /// <summary>Embedded single-silo default: one SQLite file (WAL) under <see cref="StoreOptions.DataDirectory"/>, also holding grain state and reminders.</summary>
    Sqlite,

    /// <summary>PostgreSQL: production, and what several silos (and separate gateways) share.</summary>
    Postgres,
}

/// <summary>Options of the API store (section <c>Fleet:Store</c>).</summary>
public sealed class StoreOptions
{
    public const string Section = "Fleet:Store";

    public StoreProvider Provider { get; set; } = StoreProvider.Sqlite;

    /// <summary>The directory holding <c>fleet.db</c> when <see cref="Provider"/> is SQLite.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>The Npgsql connection string when <see cref="Provider"/> is PostgreSQL.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Events older than this are deleted by the retention sweep.</summary>
    public TimeSpan EventRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>At most this many events are kept; the oldest beyond it are deleted by the retention sweep.</summary>
    public int EventRetentionCount { get; set; } = 100_000;

    /// <summary>Audit entries (who changed what through the API) older than this are deleted by the retention sweep.</summary>
    public TimeSpan AuditRetention { get; set; } = TimeSpan.FromDays(90);

    /// <summary>At most this many entries of the change feed are kept (readers further behind start over from a full list).</summary>
    public int ChangeRetentionCount { get; set; } = 100_000;

    /// <summary>Memory kept for recently read blobs (rendered manifests shared by many placements); 0 turns the cache off.</summary>
    public long BlobCacheBytes { get; set; } = 64L << 20;

    /// <summary>Throws a clear error naming the first invalid option.</summary>
    public void Validate()
    {
        if (Provider == StoreProvider.Sqlite && string.IsNullOrWhiteSpace(DataDirectory))
        {
            throw new InvalidOperationException($"Option {Section}:DataDirectory must be set when the store is SQLite.");
        }

        if (Provider == StoreProvider.Postgres && string.IsNullOrWhiteSpace(ConnectionString))
        {
            throw new InvalidOperationException($"Option {Section}:ConnectionString must be set when the store is PostgreSQL.");
        }

        if (EventRetention <= TimeSpan.Zero || EventRetentionCount < 1 || ChangeRetentionCount < 1 || AuditRetention <= TimeSpan.Zero)
        {
            throw new InvalidOperationException($"Options {Section}:EventRetention, EventRetentionCount, ChangeRetentionCount and AuditRetention must be positive.");
        }
    }
}
