using Fleet.Abstractions.Grains;
using Fleet.Grains.Applications;
using Fleet.Grains.Clusters;
using Fleet.Grains.Placements;
using Fleet.Kubernetes;
using Fleet.Grains.Sources;
using Fleet.Runtime;
using Fleet.Sources;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Fleet.Grains;

/// <summary>Registers Fleet's grains and the engine services they share on a silo.</summary>
public static class GrainsServiceCollectionExtensions
{
    /// <summary>Git fetches running at once on one silo; the rest wait their turn.</summary>
    public const int ConcurrentFetches = 4;

    public static FleetRuntimeBuilder AddFleetGrains(this FleetRuntimeBuilder builder, string dataDirectory)
    {
        var services = builder.Services;
        services.AddSingleton<ClusterClients>();
        services.AddSingleton(sp => new GitMirror(
            Path.Combine(dataDirectory, "mirrors"),
            new SemaphoreSlim(ConcurrentFetches),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<GitMirror>(),
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new ArtifactCache(Path.Combine(dataDirectory, "artifacts"), sp.GetRequiredService<IBlobStore>()));
        services.AddSingleton(sp => new Applier(sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<Applier>>()));
        services.AddSingleton(_ => new ApplySlots());
        return builder
            .AddGrain<IClusterGrain, ClusterGrain>("Cluster")
            .AddGrain<IGitRepositoryGrain, GitRepositoryGrain>("GitRepository")
            .AddGrain<IApplicationGrain, ApplicationGrain>("Application")
            .AddGrain<IPlacementGrain, PlacementGrain>("Placement");
    }
}
