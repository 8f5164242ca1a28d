using Fleet.Store.Orleans;
using Fleet.Store.Storage;
using Fleet.Store.Storage.Postgres;
using Fleet.Store.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Hosting;
using Orleans.Runtime.Hosting;
using Orleans.Storage;

namespace Fleet.Store;

/// <summary>Registers the API store and, for the embedded silo, Fleet's SQLite providers for Orleans.</summary>
public static class StoreServiceCollectionExtensions
{
    /// <summary>The name of the grain storage every Fleet grain uses.</summary>
    public const string GrainStorageName = "fleet";

    /// <summary>
    /// Adds <see cref="IResourceStore"/>, <see cref="IEventLog"/>, <see cref="IBlobStore"/>, <see cref="ITokenStore"/>,
    /// <see cref="IAuditLog"/>, <see cref="StoreChangeSignal"/>,
    /// a hosted service that opens the database (waiting, with backoff, for a PostgreSQL that is not up yet) and one
    /// that applies retention. Register it before Orleans so that the store is open when grains start.
    /// </summary>
    public static IServiceCollection AddFleetStore(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(IStorageProvider)))
        {
            return services;
        }

        services.AddOptions<StoreOptions>().BindConfiguration(StoreOptions.Section);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<StoreChangeSignal>();
        services.AddSingleton<IStorageProvider>(sp =>
        {
            var o = sp.GetRequiredService<IOptions<StoreOptions>>().Value;
            o.Validate();
            var time = sp.GetRequiredService<TimeProvider>();
            var signal = sp.GetRequiredService<StoreChangeSignal>();
            return o.Provider switch
            {
                StoreProvider.Sqlite => new SqliteStorageProvider(o.DataDirectory, time, signal),
                StoreProvider.Postgres => new PostgresStorageProvider(o.ConnectionString!, time, signal),
                _ => throw new InvalidOperationException($"Unknown store provider {o.Provider}."),
            };
        });
        services.AddSingleton(sp => sp.GetRequiredService<IStorageProvider>().Resources);
        services.AddSingleton(sp => sp.GetRequiredService<IStorageProvider>().Events);
        services.AddSingleton(sp =>
        {
            var blobs = sp.GetRequiredService<IStorageProvider>().Blobs;
            var cacheBytes = sp.GetRequiredService<IOptions<StoreOptions>>().Value.BlobCacheBytes;
            return cacheBytes > 0 ? new CachedBlobStore(blobs, cacheBytes) : blobs;
        });
        services.AddSingleton(sp => sp.GetRequiredService<IStorageProvider>().Tokens);
        services.AddSingleton(sp => sp.GetRequiredService<IStorageProvider>().Audit);
        services.AddSingleton<StoreStatus>();
        services.AddHostedService<StoreHostedService>();
        return services;
    }

    /// <summary>
    /// Keeps the silo's grain state (provider <see cref="GrainStorageName"/>) and reminders in the store's SQLite file:
    /// the embedded default, where nothing else must run. Requires <see cref="AddFleetStore"/> with the SQLite provider.
    /// </summary>
    public static ISiloBuilder UseFleetSqliteStorage(this ISiloBuilder silo)
    {
        silo.Services.AddGrainStorage(GrainStorageName, (sp, _) => new SqliteGrainStorage(
            Sqlite(sp),
            ActivatorUtilities.CreateInstance<OrleansGrainStorageSerializer>(sp),
            sp.GetRequiredService<TimeProvider>()));
        silo.AddReminders();
        silo.Services.AddSingleton<IReminderTable>(sp => new SqliteReminderTable(Sqlite(sp)));
        return silo;
    }

    private static SqliteStorageProvider Sqlite(IServiceProvider sp) =>
        sp.GetRequiredService<IStorageProvider>() as SqliteStorageProvider
        ?? throw new InvalidOperationException("Fleet's SQLite grain storage and reminders need the store on SQLite; with PostgreSQL use Orleans' ADO.NET providers.");
}

/// <summary>Whether the store is open, and the last error while opening it (for <c>/readyz</c>).</summary>
public sealed class StoreStatus
{
    public bool IsReady { get; internal set; }

    public string? LastError { get; internal set; }

    public string Description { get; internal set; } = "";
}

/// <summary>Opens the store at start (retrying transient failures) and runs the retention sweeps.</summary>
internal sealed partial class StoreHostedService(IStorageProvider storage, StoreStatus status, IOptions<StoreOptions> options, ILogger<StoreHostedService> logger) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task? _retention;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        status.Description = storage.Description;
        var delay = TimeSpan.FromSeconds(1);
        while (true)
        {
            try
            {
                await storage.InitializeAsync(linked.Token);
                break;
            }
            catch (Exception ex) when (ex is not FleetStorageException && storage.IsTransient(ex) && !linked.IsCancellationRequested)
            {
                // The database may come up after us (a container starting beside us): wait for it with backoff
                // rather than exiting and being restarted in a loop.
                status.LastError = ex.Message;
                LogWaiting(logger, storage.Description, ex.Message, delay);
                await Task.Delay(delay, linked.Token);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(15).Ticks));
            }
        }

        status.IsReady = true;
        status.LastError = null;
        LogOpened(logger, storage.Description);
        _retention = RetentionAsync(_stop.Token);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync();
        if (_retention is not null)
        {
            await _retention.ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    public void Dispose() => _stop.Dispose();

    private async Task RetentionAsync(CancellationToken ct)
    {
        var o = options.Value;
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(10));
        do
        {
            try
            {
                await storage.Events.ApplyRetentionAsync(o.EventRetention, o.EventRetentionCount, ct);
                await storage.Resources.TrimChangesAsync(o.ChangeRetentionCount, ct);
                await storage.Audit.ApplyRetentionAsync(o.AuditRetention, ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogRetentionFailed(logger, ex.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false));
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Store opened: {Description}")]
    private static partial void LogOpened(ILogger logger, string description);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Waiting for {Description}: {Error}; retrying in {Delay}")]
    private static partial void LogWaiting(ILogger logger, string description, string error, TimeSpan delay);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Retention sweep failed: {Error}")]
    private static partial void LogRetentionFailed(ILogger logger, string error);
}
