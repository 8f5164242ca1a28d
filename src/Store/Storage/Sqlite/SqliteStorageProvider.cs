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

    /// <summary>
    /// Runs a small write in a shared transaction with the other small writes queued at the same moment (group
    /// commit): while one batch commits, the next gathers. Thousands of placements each writing a status, a state
    /// and an event otherwise make thousands of transactions queue for the single writer. Each write runs in its
    /// own savepoint, so a failing one is undone alone and fails only its caller; every caller's task completes
    /// after its batch has committed. The work must set <c>Transaction</c> on its commands and must not begin one.
    /// </summary>
    public Task<T> WriteBatchedAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> work, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var item = new BatchedWrite<T>(work);
        _batched.Enqueue(item);
        if (Interlocked.CompareExchange(ref _draining, 1, 0) == 0)
        {
            _ = Task.Run(DrainBatchesAsync, CancellationToken.None);
        }

        return item.Completion.Task;
    }

    private const int MaxBatch = 512;
    private readonly System.Collections.Concurrent.ConcurrentQueue<IBatchedWrite> _batched = new();
    private int _draining;

    private async Task DrainBatchesAsync()
    {
        while (true)
        {
            var batch = new List<IBatchedWrite>();
            try
            {
                if (!_ready.Task.IsCompleted)
                {
                    await _ready.Task;
                }

                await _writeLock.WaitAsync();
                try
                {
                    while (batch.Count < MaxBatch && _batched.TryDequeue(out var next))
                    {
                        batch.Add(next);
                    }

                    if (batch.Count > 0)
                    {
                        await RunBatchAsync(_writer ?? throw new InvalidOperationException("The SQLite storage is not initialized."), batch);
                    }
                }
                finally
                {
                    _writeLock.Release();
                }
            }
            catch (Exception ex)
            {
                // The batch could not commit (or the storage is gone): every write in it failed.
                foreach (var item in batch)
                {
                    item.Fail(ex);
                }
            }

            // Leave only when the queue is empty; a writer that enqueued after the check restarts the drain itself.
            Volatile.Write(ref _draining, 0);
            if (_batched.IsEmpty || Interlocked.CompareExchange(ref _draining, 1, 0) != 0)
            {
                return;
            }
        }
    }

    private static async Task RunBatchAsync(SqliteConnection writer, List<IBatchedWrite> batch)
    {
        await using var tx = (SqliteTransaction)await writer.BeginTransactionAsync();
        var done = new List<IBatchedWrite>(batch.Count);
        foreach (var item in batch)
        {
            tx.Save("w");
            try
            {
                await item.RunAsync(writer, tx);
                tx.Release("w");
                done.Add(item);
            }
            catch (Exception ex)
            {
                tx.Rollback("w");
                tx.Release("w");
                item.Fail(ex);
            }
        }

        await tx.CommitAsync();
        foreach (var item in done)
        {
            item.Complete();
        }
    }

    private interface IBatchedWrite
    {
        Task RunAsync(SqliteConnection c, SqliteTransaction tx);

        void Complete();

        void Fail(Exception ex);
    }

    private sealed class BatchedWrite<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> work) : IBatchedWrite
    {
        private T? _result;

        public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task RunAsync(SqliteConnection c, SqliteTransaction tx) => _result = await work(c, tx);

        public void Complete() => Completion.TrySetResult(_result!);

        public void Fail(Exception ex) => Completion.TrySetException(ex);
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
