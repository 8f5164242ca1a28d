using Fleet.Abstractions.Grains;
using Fleet.Grains.Applications;
using Fleet.Grains.Clusters;
using Fleet.Grains.Placements;
using Fleet.Kubernetes;
using Fleet.Sources;
using Fleet.Store;
using Fleet.Store.Secrets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fleet.Grains;

/// <summary>Limits of the work grains do at once on one silo (section <c>Fleet:Grains</c>).</summary>
public sealed class GrainOptions
{
    public const string Section = "Fleet:Grains";

    /// <summary>Git fetches running at once on one silo; the rest wait their turn.</summary>
    public int ConcurrentFetches { get; set; } = 4;

    /// <summary>Placement reconciles (reading, applying, pruning, reporting; not health waits) running at once on one silo.</summary>
    public int ApplySlotsPerSilo { get; set; } = 32;

    /// <summary>Applies running at once against one cluster.</summary>
    public int ApplySlotsPerCluster { get; set; } = 4;

    /// <summary>Let a Cluster's kubeconfig run exec credential plugins on the silo (off: a tenant must not run programs here).</summary>
    public bool AllowExecCredentialPlugins { get; set; }

    public void Validate()
    {
        if (ConcurrentFetches < 1 || ApplySlotsPerSilo < 1 || ApplySlotsPerCluster < 1)
        {
            throw new InvalidOperationException($"Options {Section}:ConcurrentFetches, ApplySlotsPerSilo and ApplySlotsPerCluster must be at least 1.");
        }
    }
}

/// <summary>Registers the engine services Fleet's grains share on a silo (the grain classes themselves are found by Orleans).</summary>
public static class GrainsServiceCollectionExtensions
{
    public static IServiceCollection AddFleetGrains(this IServiceCollection services, string dataDirectory)
    {
        services.AddOptions<GrainOptions>().BindConfiguration(GrainOptions.Section);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ClusterClients>();
        services.AddSingleton(sp => new GitMirror(
            Path.Combine(dataDirectory, "mirrors"),
            new SemaphoreSlim(Options(sp).ConcurrentFetches),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<GitMirror>(),
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new ArtifactCache(Path.Combine(dataDirectory, "artifacts"), sp.GetRequiredService<IBlobStore>()));
        services.AddSingleton(sp => new HelmChartSource(dataDirectory, sp.GetRequiredService<IResourceStore>(), sp.GetRequiredService<IBlobStore>(), sp.GetRequiredService<SecretReader>()));
        services.AddSingleton<HelmRenderer>();
        services.AddSingleton(sp => new Applier(sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<Applier>>()));
        services.AddSingleton(sp => new HealthChecker(sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<HealthChecker>>()));
        services.AddSingleton(sp => new ApplySlots(Options(sp).ApplySlotsPerSilo, Options(sp).ApplySlotsPerCluster));
        return services;
    }

    private static GrainOptions Options(IServiceProvider sp)
    {
        var o = sp.GetRequiredService<IOptions<GrainOptions>>().Value;
        o.Validate();
        return o;
    }
}
