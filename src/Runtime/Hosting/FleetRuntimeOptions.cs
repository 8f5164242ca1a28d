namespace Fleet.Runtime;

/// <summary>Which storage provider the runtime uses.</summary>
public enum FleetStorageProvider
{
    /// <summary>Embedded single-node default: one SQLite file (WAL) under <see cref="FleetRuntimeOptions.DataDirectory"/>.</summary>
    Sqlite,

    /// <summary>PostgreSQL: production storage and the only provider that lets several silos share the work.</summary>
    Postgres,
}

/// <summary>Options of the grain runtime, bound by the host (for example from the <c>Fleet:Runtime</c> section).</summary>
public sealed class FleetRuntimeOptions
{
    /// <summary>The storage provider: <c>Sqlite</c> (default) or <c>Postgres</c>.</summary>
    public FleetStorageProvider Storage { get; set; } = FleetStorageProvider.Sqlite;

    /// <summary>The directory holding <c>fleet.db</c> when <see cref="Storage"/> is SQLite.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>The Npgsql connection string when <see cref="Storage"/> is PostgreSQL.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>The fixed number of partitions grain keys hash into. Every silo of one database must agree.</summary>
    public int PartitionCount { get; set; } = 64;

    /// <summary>This silo's identity; unique among the silos sharing one database.</summary>
    public string SiloId { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <summary>An activation that received no message for this long is deactivated.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How often idle activations are looked for.</summary>
    public TimeSpan IdleCollectionPeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often the silo looks for due reminders of the partitions it owns (the precision of reminders).</summary>
    public TimeSpan ReminderScanPeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a partition lease lasts (PostgreSQL); it is renewed every third of this.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a state write keeps retrying while the database is unreachable before it fails.</summary>
    public TimeSpan WriteRetryTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Events older than this are deleted by the retention sweep.</summary>
    public TimeSpan EventRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>At most this many events are kept; the oldest beyond it are deleted by the retention sweep.</summary>
    public int EventRetentionCount { get; set; } = 100_000;

    /// <summary>Throws a clear error naming the first invalid option.</summary>
    public void Validate()
    {
        if (Storage == FleetStorageProvider.Sqlite && string.IsNullOrWhiteSpace(DataDirectory))
        {
            throw new InvalidOperationException("Fleet runtime option DataDirectory must be set when Storage is Sqlite.");
        }

        if (Storage == FleetStorageProvider.Postgres && string.IsNullOrWhiteSpace(ConnectionString))
        {
            throw new InvalidOperationException("Fleet runtime option ConnectionString must be set when Storage is Postgres.");
        }

        if (PartitionCount is < 1 or > 4096)
        {
            throw new InvalidOperationException($"Fleet runtime option PartitionCount must be between 1 and 4096, not {PartitionCount}.");
        }

        if (string.IsNullOrWhiteSpace(SiloId))
        {
            throw new InvalidOperationException("Fleet runtime option SiloId must not be empty.");
        }

        Positive(IdleTimeout, nameof(IdleTimeout));
        Positive(IdleCollectionPeriod, nameof(IdleCollectionPeriod));
        Positive(ReminderScanPeriod, nameof(ReminderScanPeriod));
        Positive(LeaseDuration, nameof(LeaseDuration));
        Positive(WriteRetryTimeout, nameof(WriteRetryTimeout));
        Positive(EventRetention, nameof(EventRetention));
        if (EventRetentionCount < 1)
        {
            throw new InvalidOperationException($"Fleet runtime option EventRetentionCount must be positive, not {EventRetentionCount}.");
        }
    }

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new InvalidOperationException($"Fleet runtime option {name} must be positive, not {value}.");
        }
    }
}
