using System.Net;
using Fleet.Abstractions.Grains;
using Fleet.Gateway;
using Fleet.Gateway.Grpc;
using Fleet.Grains;
using Fleet.Store;
using Fleet.Store.Secrets;
using Fleet.WebConsole;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.Storage;

namespace Fleet.Silo;

/// <summary>
/// Wires a Fleet process: options, the API store, and either an Orleans silo with the grains (and the gateway
/// in-process, the default) or, with <c>--role gateway</c>, the gateway alone as an Orleans client of the silos.
/// </summary>
internal static class SiloHostExtensions
{
    public static WebApplicationBuilder AddFleetSilo(this WebApplicationBuilder builder)
    {
        // Until the API has authentication, the gateway listens on loopback only.
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
        {
            builder.WebHost.UseUrls("http://127.0.0.1:8080");
        }

        if (builder.Configuration["role"] is { Length: > 0 } role)
        {
            builder.Configuration[$"{SiloOptions.Section}:Role"] = role;
        }

        builder.Services.AddOptions<SiloOptions>().BindConfiguration(SiloOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        var options = builder.Configuration.GetSection(SiloOptions.Section).Get<SiloOptions>() ?? new SiloOptions();
        var dataDirectory = Path.GetFullPath(options.DataDirectory);
        builder.Services.AddOptions<StoreOptions>().Configure(o => o.DataDirectory = dataDirectory);
        builder.Services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<SiloOptions>>().Value;
            return SecretCipher.Create(o.SecretKey, Path.Combine(dataDirectory, "secret.key"));
        });
        builder.Services.AddSingleton<SecretReader>();

        // The store opens before Orleans starts (hosted services start in registration order).
        builder.Services.AddFleetStore();
        if (options.Role == ProcessRole.Gateway)
        {
            builder.UseOrleansClient(client => ConfigureClient(client, options, builder.Configuration));
        }
        else
        {
            builder.Services.AddFleetGrains(dataDirectory);
            builder.UseOrleans(silo => ConfigureSilo(silo, options, builder.Configuration));
        }

        // Registered after Orleans, so that it stops hinting before Orleans stops (hosted services stop in reverse order).
        builder.Services.AddHostedService<DispatcherNudger>();
        builder.Services.AddFleetGateway(builder.Configuration);
        // Run from build output (not published), the console's scripts and styles are found through the static web
        // assets manifest, in every environment (ASP.NET Core does this by itself in Development only).
        builder.WebHost.UseStaticWebAssets();
        builder.Services.AddFleetConsole();
        if (options.Gateway || options.Role == ProcessRole.Gateway)
        {
            // The gRPC API on its own HTTP/2 port (Fleet:Grpc:Port, default 5081).
            builder.AddFleetGrpcEndpoint();
        }
        return builder;
    }

    public static WebApplication MapFleetSilo(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<SiloOptions>>().Value;
        if (options.Gateway || options.Role == ProcessRole.Gateway)
        {
            app.MapFleetGateway();
            app.MapFleetConsole();
        }
        else
        {
            // No API, but the probes and the metrics of a silo still answer.
            Fleet.Gateway.Apis.OperationsApi.MapOperationsApi(app);
        }

        if (options.Dashboard && options.Role == ProcessRole.Silo)
        {
            app.MapOrleansDashboard(routePrefix: "/orleans");
        }

        return app;
    }

    private static void ConfigureSilo(ISiloBuilder silo, SiloOptions options, IConfiguration configuration)
    {
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = options.ClusterId;
            o.ServiceId = "fleet";
        });
        silo.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = options.MinimumReminderPeriod);
        switch (options.Clustering)
        {
            case SiloClustering.Localhost:
                silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort);
                silo.UseFleetSqliteStorage();
                break;
            case SiloClustering.AdoNet:
                var pg = AdoNetConnectionString(options, configuration);
                silo.ConfigureEndpoints(IPAddress.Parse(options.AdvertisedAddress), options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: false);
                silo.UseAdoNetClustering(o =>
                {
                    o.Invariant = "Npgsql";
                    o.ConnectionString = pg;
                });
                silo.AddAdoNetGrainStorage(StoreServiceCollectionExtensions.GrainStorageName, o =>
                {
                    o.Invariant = "Npgsql";
                    o.ConnectionString = pg;
                });
                silo.UseAdoNetReminderService(o =>
                {
                    o.Invariant = "Npgsql";
                    o.ConnectionString = pg;
                });
                break;
            case SiloClustering.AzureStorage:
                var azure = options.AzureStorageConnectionString
                    ?? throw new InvalidOperationException($"Option {SiloOptions.Section}:AzureStorageConnectionString must be set when Clustering is AzureStorage.");
                silo.ConfigureEndpoints(IPAddress.Parse(options.AdvertisedAddress), options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: false);
                silo.UseAzureStorageClustering(o => o.TableServiceClient = new Azure.Data.Tables.TableServiceClient(azure));
                silo.AddAzureTableGrainStorage(StoreServiceCollectionExtensions.GrainStorageName, o => o.TableServiceClient = new Azure.Data.Tables.TableServiceClient(azure));
                silo.UseAzureTableReminderService(o => o.TableServiceClient = new Azure.Data.Tables.TableServiceClient(azure));
                break;
        }

        if (options.KubernetesHosting)
        {
            silo.UseKubernetesHosting();
        }

        // Grain state in Orleans' version-tolerant binary format ([GenerateSerializer] records with [Id]s).
        silo.Services.AddSingleton<IGrainStorageSerializer, OrleansGrainStorageSerializer>();
        if (options.Dashboard)
        {
            silo.AddDashboard();
        }

        // The change dispatcher starts with the silo and catches up with what was written while none ran.
        silo.AddStartupTask(async (sp, ct) => await sp.GetRequiredService<IGrainFactory>().GetGrain<IChangeDispatcherGrain>(IChangeDispatcherGrain.Key).CatchUp().WaitAsync(ct));
    }

    private static void ConfigureClient(IClientBuilder client, SiloOptions options, IConfiguration configuration)
    {
        client.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = options.ClusterId;
            o.ServiceId = "fleet";
        });
        switch (options.Clustering)
        {
            case SiloClustering.Localhost:
                client.UseLocalhostClustering(options.GatewayPort);
                break;
            case SiloClustering.AdoNet:
                client.UseAdoNetClustering(o =>
                {
                    o.Invariant = "Npgsql";
                    o.ConnectionString = AdoNetConnectionString(options, configuration);
                });
                break;
            case SiloClustering.AzureStorage:
                client.UseAzureStorageClustering(o => o.TableServiceClient = new Azure.Data.Tables.TableServiceClient(options.AzureStorageConnectionString));
                break;
        }
    }

    private static string AdoNetConnectionString(SiloOptions options, IConfiguration configuration)
    {
        var connectionString = options.AdoNetConnectionString ?? configuration[$"{StoreOptions.Section}:ConnectionString"]
            ?? throw new InvalidOperationException($"Option {SiloOptions.Section}:AdoNetConnectionString (or {StoreOptions.Section}:ConnectionString) must be set when Clustering is AdoNet.");
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        if (builder.MaxAutoPrepare == 0)
        {
            // Orleans sends the same few statements (grain state, reminders, membership) for every grain: prepared
            // once per connection, PostgreSQL no longer parses and plans each of them again.
            builder.MaxAutoPrepare = 64;
        }

        // Orleans keeps no session state on its connections either: no reset statements each time one goes back to the pool.
        builder.NoResetOnClose = true;

        return builder.ConnectionString;
    }
}

/// <summary>
/// Hints the change dispatcher when this process's store commits, so that a write reaches the grains that depend on
/// it at once (the dispatcher also polls, which covers writes from other processes). Bursts of commits make one hint
/// at a time.
/// </summary>
internal sealed class DispatcherNudger(StoreChangeSignal signal, IGrainFactory grains, ILogger<DispatcherNudger> logger) : IHostedService
{
    private int _scheduled;
    private volatile bool _running;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _running = true;
        signal.Committed += OnCommitted;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _running = false;
        signal.Committed -= OnCommitted;
        return Task.CompletedTask;
    }

    private void OnCommitted()
    {
        if (!_running || Interlocked.Exchange(ref _scheduled, 1) == 1)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            // A short pause lets a burst of commits (an apply of many objects) become one read of the feed.
            await Task.Delay(TimeSpan.FromMilliseconds(50));
            Interlocked.Exchange(ref _scheduled, 0);
            try
            {
                await grains.GetGrain<IChangeDispatcherGrain>(IChangeDispatcherGrain.Key).HintCommitted();
            }
            catch (Exception ex)
            {
                // Orleans not up yet, or shutting down: the dispatcher's own poll picks the change up.
                logger.LogDebug(ex, "Hinting the change dispatcher failed");
            }
        });
    }
}
