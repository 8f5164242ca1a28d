using Fleet.Runtime.Grains;
using Fleet.Runtime.Silo;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fleet.Runtime.Tests;

/// <summary>An in-process silo (a real host) with the test grains, on a fresh temp data directory or a given database.</summary>
internal sealed class TestSilo : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly string? _dataDirectory;
    private bool _stopped;

    private TestSilo(IHost host, string? dataDirectory)
    {
        _host = host;
        _dataDirectory = dataDirectory;
    }

    /// <summary>Silos whose host is starting, by their log: lets a test watch the status of a silo that waits for its database.</summary>
    public static System.Collections.Concurrent.ConcurrentDictionary<ActivationLog, ISiloStatus> Starting { get; } = new();

    public IServiceProvider Services => _host.Services;

    public IGrainFactory Grains => Services.GetRequiredService<IGrainFactory>();

    public GrainRuntime Runtime => Services.GetRequiredService<GrainRuntime>();

    public FleetSilo Silo => Services.GetRequiredService<FleetSilo>();

    public ActivationLog Log => Services.GetRequiredService<ActivationLog>();

    public string? DataDirectory => _dataDirectory;

    public static string NewDataDirectory() => Directory.CreateTempSubdirectory("fleet-rt-").FullName;

    public static Task<TestSilo> StartSqliteAsync(string? dataDirectory = null, TimeProvider? time = null, Action<FleetRuntimeOptions>? configure = null, ActivationLog? log = null)
    {
        var dir = dataDirectory ?? NewDataDirectory();
        return StartAsync(
            o =>
            {
                o.Storage = FleetStorageProvider.Sqlite;
                o.DataDirectory = dir;
                configure?.Invoke(o);
            },
            time,
            dataDirectory is null ? dir : null,
            log);
    }

    public static Task<TestSilo> StartPostgresAsync(string connectionString, string siloId, TimeProvider? time = null, Action<FleetRuntimeOptions>? configure = null, ActivationLog? log = null) =>
        StartAsync(
            o =>
            {
                o.Storage = FleetStorageProvider.Postgres;
                o.ConnectionString = connectionString;
                o.SiloId = siloId;
                o.PartitionCount = 12;
                o.LeaseDuration = TimeSpan.FromSeconds(3);
                configure?.Invoke(o);
            },
            time,
            null,
            log);

    public static async Task<TestSilo> StartAsync(Action<FleetRuntimeOptions> configure, TimeProvider? time, string? ownedDirectory, ActivationLog? log = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        if (time is not null)
        {
            builder.Services.AddSingleton(time);
        }

        builder.Services.AddSingleton(log ?? new ActivationLog());
        builder.Services.AddFleetRuntime(configure)
            .AddGrain<ICounterGrain, CounterGrain>()
            .AddGrain<ITimerGrain, TimerGrain>()
            .AddGrain<IReminderGrain, ReminderGrain>()
            .AddGrain<IVersionedGrain, VersionedGrain>();
        var host = builder.Build();
        var silo = new TestSilo(host, ownedDirectory);
        var activationLog = host.Services.GetRequiredService<ActivationLog>();
        Starting[activationLog] = silo.Silo;
        try
        {
            await host.StartAsync();
        }
        catch
        {
            await silo.DisposeAsync();
            throw;
        }
        finally
        {
            Starting.TryRemove(activationLog, out _);
        }

        return silo;
    }

    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await _host.StopAsync();
        }
    }

    /// <summary>Stops as if the process died: no deactivation, no lease release.</summary>
    public async Task HaltAsync()
    {
        _stopped = true;
        await Silo.HaltAsync();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            if (_host is IAsyncDisposable d)
            {
                await d.DisposeAsync();
            }
            else
            {
                _host.Dispose();
            }

            if (_dataDirectory is not null)
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                try
                {
                    Directory.Delete(_dataDirectory, recursive: true);
                }
                catch (IOException)
                {
                }
            }
        }
    }
}
