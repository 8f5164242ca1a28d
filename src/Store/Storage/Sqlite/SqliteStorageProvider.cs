using Microsoft.Data.Sqlite;

namespace Fleet.Store.Storage.Sqlite;

/// <summary>
/// The embedded default: one SQLite file in WAL mode under the data directory, holding the API store and (through
/// <see cref="Orleans.SqliteGrainStorage"/> and <see cref="Orleans.SqliteReminderTable"/>) the silo's grain state and
/// reminders. Writes go through one connection guarded by a semaphore (SQLite has one writer
/// anyway, and this avoids SQLITE_BUSY); reads use pooled connections, which WAL lets run beside the writer.
/// </summary>
internal sealed class SqliteStorageProvider : IStorageProvider
{
    private readonly string _path;
    private readonly string _connectionString;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private SqliteConnection? _writer;

    public SqliteStorageProvider(string dataDirectory, TimeProvider time, StoreChangeSignal? signal = null)
    {
        _path = Path.GetFullPath(Path.Combine(dataDirectory, "fleet.db"));
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = _path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        signal ??= new StoreChangeSignal();
        Resources = new SqliteResourceStore(this, time, signal);
        Tokens = new SqliteTokenStore(this, signal);
        Audit = new SqliteAuditLog(this, time);
        Events = new SqliteEventLog(this, time);
        Blobs = new SqliteBlobStore(this, time);
    }

    public string Description => $"SQLite database {_path}";

    public string DatabasePath => _path;

    public IResourceStore Resources { get; }

    public IEventLog Events { get; }

    public IBlobStore Blobs { get; }

    public ITokenStore Tokens { get; }

    public IAuditLog Audit { get; }

    public async Task InitializeAsync(CancellationToken ct)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new FleetStorageException($"Cannot create the data directory {Path.GetDirectoryName(_path)}: {ex.Message}", ex);
        }

        try
        {
            var writer = new SqliteConnection(_connectionString);
            await writer.OpenAsync(ct);
            await ExecAsync(writer, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;", ct);
            await using (var check = writer.CreateCommand())
            {
                check.CommandText = "PRAGMA quick_check";
                var result = (string?)await check.ExecuteScalarAsync(ct);
                if (result != "ok")
                {
                    throw new FleetStorageException($"The SQLite database {_path} is corrupt (integrity check: {result}). Restore it from a backup, or move it away to start with an empty database.");
                }
            }

            await SqliteMigrations.ApplyAsync(writer, _path, ct);
            _writer = writer;
            _ready.TrySetResult();
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is 26 or 11)
        {
            throw new FleetStorageException($"The file {_path} is not a usable SQLite database (SQLite error {ex.SqliteErrorCode}: {ex.Message}). Restore it from a backup, or move it away to start with an empty database.", ex);
        }
        catch (SqliteException ex)
        {
            throw new FleetStorageException($"Cannot open the SQLite database {_path}: {ex.Message}", ex);
        }
    }

    public bool IsTransient(Exception ex) => ex is SqliteException { SqliteErrorCode: 5 or 6 or 10 };

    /// <summary>Runs a write with the single writer connection.</summary>
    public async Task<T> WriteAsync<T>(Func<SqliteConnection, Task<T>> work, CancellationToken ct)
    {
        if (!_ready.Task.IsCompleted)
        {
            // Callers (the gateway) may start before the silo opened the database: they wait for it.
            await _ready.Task.WaitAsync(ct);
        }

        var writer = _writer ?? throw new InvalidOperationException("The SQLite storage is not initialized.");
        await _writeLock.WaitAsync(ct);
        try
        {
            return await work(writer);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Opens a pooled read connection.</summary>
    public async Task<SqliteConnection> OpenReadAsync(CancellationToken ct)
    {
        if (!_ready.Task.IsCompleted)
        {
            await _ready.Task.WaitAsync(ct);
        }

        var c = new SqliteConnection(_connectionString);
        await c.OpenAsync(ct);
        return c;
    }

    public async ValueTask DisposeAsync()
    {
        if (_writer is not null)
        {
            await _writeLock.WaitAsync();
            await _writer.DisposeAsync();
            _writer = null;
            _writeLock.Release();
        }

        SqliteConnection.ClearAllPools();
    }

    internal static async Task ExecAsync(SqliteConnection c, string sql, CancellationToken ct, SqliteTransaction? tx = null)
    {
        await using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
