using System.Diagnostics.Metrics;
using Fleet.Abstractions;
using Fleet.Runtime.Diagnostics;
using Fleet.Runtime.Grains;
using Fleet.Runtime.Silo;
using Fleet.Runtime.Storage;
using Fleet.Runtime.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Fleet.Runtime;

/// <summary>Registers the grain runtime: <c>services.AddFleetRuntime(o => ...).AddGrain&lt;IFooGrain, FooGrain&gt;()</c>.</summary>
public static class FleetRuntimeServiceCollectionExtensions
{
    /// <summary>
    /// Adds the silo (a hosted service), <see cref="IGrainFactory"/>, <see cref="ISiloStatus"/> and the stores
    /// (<see cref="IResourceStore"/>, <see cref="IEventLog"/>, <see cref="IBlobStore"/>). Options can also be bound
    /// from configuration with <c>services.AddOptions&lt;FleetRuntimeOptions&gt;().BindConfiguration(...)</c>; they are
    /// validated when the silo is created. A <see cref="TimeProvider"/> registered before this call is used.
    /// </summary>
    public static FleetRuntimeBuilder AddFleetRuntime(this IServiceCollection services, Action<FleetRuntimeOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<FleetRuntimeOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        if (services.Any(d => d.ServiceType == typeof(GrainTypeRegistry)))
        {
            return new FleetRuntimeBuilder(services);
        }

        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp =>
        {
            var registry = new GrainTypeRegistry();
            foreach (var r in sp.GetServices<GrainRegistration>())
            {
                registry.Add(new GrainType(r.Name, r.Interface, r.Implementation));
            }

            return registry;
        });
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<FleetRuntimeOptions>>().Value;
            o.Validate();
            return o;
        });
        services.AddSingleton<IStorageProvider>(sp => CreateStorage(sp.GetRequiredService<FleetRuntimeOptions>(), sp.GetRequiredService<TimeProvider>(), sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance));
        services.AddSingleton(sp => new RuntimeMetrics(sp.GetService<IMeterFactory>(), sp.GetRequiredService<FleetRuntimeOptions>().SiloId));
        services.AddSingleton<ClusterMembershipHolder>(sp => new ClusterMembershipHolder(CreateCluster(sp)));
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<FleetRuntimeOptions>();
            var cluster = sp.GetRequiredService<ClusterMembershipHolder>().Cluster as Storage.Postgres.PostgresCluster;
            return new GrainRuntime(
                sp,
                sp.GetRequiredService<GrainTypeRegistry>(),
                sp.GetRequiredService<IStorageProvider>(),
                cluster ?? (IPartitionOwnership)new SingleSiloOwnership(o.PartitionCount),
                o,
                sp.GetRequiredService<TimeProvider>(),
                sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance,
                sp.GetRequiredService<RuntimeMetrics>())
            {
                Transport = cluster,
            };
        });
        services.AddSingleton<IGrainFactory>(sp => sp.GetRequiredService<GrainRuntime>());
        services.AddSingleton(sp => new FleetSilo(
            sp.GetRequiredService<GrainRuntime>(),
            sp.GetRequiredService<IStorageProvider>(),
            sp.GetRequiredService<FleetRuntimeOptions>(),
            sp.GetRequiredService<ClusterMembershipHolder>().Cluster));
        services.AddSingleton<ISiloStatus>(sp => sp.GetRequiredService<FleetSilo>());
        services.AddHostedService(sp => sp.GetRequiredService<FleetSilo>());
        services.AddSingleton(sp => sp.GetRequiredService<IStorageProvider>().Resources);
        services.AddSingleton(sp => sp.GetRequiredService<IStorageProvider>().Events);
        services.AddSingleton(sp => sp.GetRequiredService<IStorageProvider>().Blobs);
        return new FleetRuntimeBuilder(services);
    }

    internal static IStorageProvider CreateStorage(FleetRuntimeOptions o, TimeProvider time, ILoggerFactory loggers) => o.Storage switch
    {
        FleetStorageProvider.Sqlite => new SqliteStorageProvider(o.DataDirectory, time),
        FleetStorageProvider.Postgres => new Storage.Postgres.PostgresStorageProvider(o.ConnectionString!, o, time),
        _ => throw new InvalidOperationException($"Unknown storage provider {o.Storage}."),
    };

    private static IClusterMembership? CreateCluster(IServiceProvider sp)
    {
        var o = sp.GetRequiredService<FleetRuntimeOptions>();
        if (o.Storage != FleetStorageProvider.Postgres)
        {
            return null;
        }

        return new Storage.Postgres.PostgresCluster((Storage.Postgres.PostgresStorageProvider)sp.GetRequiredService<IStorageProvider>(), o);
    }
}

/// <summary>Adds grains to the runtime.</summary>
public sealed class FleetRuntimeBuilder(IServiceCollection services)
{
    public IServiceCollection Services { get; } = services;

    /// <summary>
    /// Registers grain class <typeparamref name="TGrain"/> for interface <typeparamref name="TInterface"/>. The
    /// <paramref name="name"/> identifies the grain's state, reminders and partition in storage (default: the class
    /// name); keep it stable once data exists.
    /// </summary>
    public FleetRuntimeBuilder AddGrain<TInterface, TGrain>(string? name = null)
        where TInterface : IGrainWithStringKey
        where TGrain : Grain, TInterface
    {
        Services.AddSingleton(new GrainRegistration(name ?? typeof(TGrain).Name, typeof(TInterface), typeof(TGrain)));
        return this;
    }
}

internal sealed record GrainRegistration(string Name, Type Interface, Type Implementation);

/// <summary>Holds the optional cluster membership (null with SQLite) so that DI can resolve it.</summary>
internal sealed record ClusterMembershipHolder(IClusterMembership? Cluster);
