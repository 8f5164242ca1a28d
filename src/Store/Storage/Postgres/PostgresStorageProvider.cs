using System.Net.Sockets;
using Npgsql;

namespace Fleet.Store.Storage.Postgres;

/// <summary>
/// PostgreSQL storage: production and multi-silo. The schema (the API store's tables and the tables of Orleans' ADO.NET
/// clustering, persistence and reminders) is created and migrated on start under an advisory lock (several silos
/// may start at once).
/// </summary>
internal sealed class PostgresStorageProvider : IStorageProvider
{
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public PostgresStorageProvider(string connectionString, TimeProvider time, StoreChangeSignal? signal = null)
    {
        NpgsqlConnectionStringBuilder csb;
        try
        {
            csb = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException ex)
        {
            // The message of the exception never repeats the connection string, which may hold a password.
            throw new FleetStorageException($"The PostgreSQL connection string is invalid: {ex.Message}");
        }

        Description = $"PostgreSQL database '{csb.Database}' on {csb.Host}:{csb.Port}";
        var builder = new NpgsqlDataSourceBuilder(connectionString) { Name = "fleet" };
        if (builder.ConnectionStringBuilder.MaxAutoPrepare == 0)
        {
            // The runtime sends the same few statements all the time: let Npgsql prepare them once per connection.
            builder.ConnectionStringBuilder.MaxAutoPrepare = 64;
        }

        // Every statement takes a pooled connection and gives it back. Fleet keeps no session state (its locks are
        // per transaction, its settings SET LOCAL), so the reset Npgsql sends on each return (seven statements,
        // 60,000 times in a 20-second commit at 2,000 clusters) is skipped.
        builder.ConnectionStringBuilder.NoResetOnClose = true;

        DataSource = builder.Build();
        signal ??= new StoreChangeSignal();
        Resources = new PostgresResourceStore(this, time, signal);
        Tokens = new PostgresTokenStore(this, signal);
        Audit = new PostgresAuditLog(this, time);
        Events = new PostgresEventLog(this, time);
        Blobs = new PostgresBlobStore(this);
    }

    public string Description { get; }

    public NpgsqlDataSource DataSource { get; }

    public IResourceStore Resources { get; }

    public IEventLog Events { get; }

    public IBlobStore Blobs { get; }

    public ITokenStore Tokens { get; }

    public IAuditLog Audit { get; }

    public async Task InitializeAsync(CancellationToken ct)
    {
        try
        {
            await using var c = await DataSource.OpenConnectionAsync(ct);
            await PostgresMigrations.ApplyAsync(c, Description, ct);
            _ready.TrySetResult();
        }
        catch (PostgresException ex) when (!IsTransient(ex))
        {
            throw new FleetStorageException($"Cannot use {Description}: {ex.MessageText} (SQLSTATE {ex.SqlState}).", ex);
        }
    }

    public bool IsTransient(Exception ex) => ex switch
    {
        PostgresException pg => pg.IsTransient || pg.SqlState.StartsWith("08", StringComparison.Ordinal) || pg.SqlState is "57P01" or "57P02" or "57P03" or "3D000",
        NpgsqlException npg => npg.IsTransient || npg.InnerException is SocketException or IOException or TimeoutException,
        SocketException or IOException or TimeoutException => true,
        _ => false,
    };

    /// <summary>Opens a pooled connection once the schema is ready.</summary>
    public async ValueTask<NpgsqlConnection> OpenAsync(CancellationToken ct)
    {
        if (!_ready.Task.IsCompleted)
        {
            await _ready.Task.WaitAsync(ct);
        }

        return await DataSource.OpenConnectionAsync(ct);
    }

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}
