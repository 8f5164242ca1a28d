using System.ComponentModel.DataAnnotations;

namespace Fleet.Silo;

/// <summary>What this process is.</summary>
public enum ProcessRole
{
    /// <summary>An Orleans silo hosting the grains (and, by default, the gateway in the same process).</summary>
    Silo,

    /// <summary>A gateway only: an Orleans client of the silos, serving the API; no grains run here.</summary>
    Gateway,
}

/// <summary>How silos find each other and keep grain state and reminders.</summary>
public enum SiloClustering
{
    /// <summary>One silo on this machine; grain state and reminders in the store's SQLite file (the embedded default).</summary>
    Localhost,

    /// <summary>Several silos sharing PostgreSQL through Orleans' ADO.NET clustering, persistence and reminders.</summary>
    AdoNet,

    /// <summary>Several silos on Azure Storage: Azure Table clustering, grain state and reminders.</summary>
    AzureStorage,
}

/// <summary>Host options (section <c>Fleet</c>); the store's are under <c>Fleet:Store</c>, the grains' under <c>Fleet:Grains</c>.</summary>
public sealed class SiloOptions
{
    public const string Section = "Fleet";

    /// <summary><c>Silo</c> (default) or <c>Gateway</c>; also given as <c>--role gateway</c>.</summary>
    public ProcessRole Role { get; set; } = ProcessRole.Silo;

    /// <summary>Where the silo keeps its SQLite file, git mirrors, rendered caches and the secret key file.</summary>
    [Required]
    public string DataDirectory { get; set; } = "data";

    /// <summary>Base64 of 32 random bytes; when absent, a key file is created in the data directory.</summary>
    public string? SecretKey { get; set; }

    /// <summary>Host the gateway (REST API, events, metrics) in this process.</summary>
    public bool Gateway { get; set; } = true;

    public SiloClustering Clustering { get; set; } = SiloClustering.Localhost;

    /// <summary>Orleans' cluster id: silos and gateways with the same id and database form one cluster.</summary>
    public string ClusterId { get; set; } = "fleet";

    /// <summary>The PostgreSQL connection string for <see cref="SiloClustering.AdoNet"/> (defaults to the store's).</summary>
    public string? AdoNetConnectionString { get; set; }

    /// <summary>The Azure Storage connection string for <see cref="SiloClustering.AzureStorage"/>.</summary>
    public string? AzureStorageConnectionString { get; set; }

    /// <summary>The silo-to-silo port.</summary>
    [Range(0, 65535)]
    public int SiloPort { get; set; } = 11111;

    /// <summary>The port Orleans clients (separate gateways) connect to.</summary>
    [Range(0, 65535)]
    public int GatewayPort { get; set; } = 30000;

    /// <summary>The address other silos reach this one on (default loopback, for one machine).</summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    /// <summary>Serve the Orleans Dashboard under <c>/orleans</c>. Off by default: it has no authentication of its own.</summary>
    public bool Dashboard { get; set; }

    /// <summary>
    /// Running in a Kubernetes pod: Orleans' Kubernetes hosting takes the silo's name, address and cluster id from the
    /// pod (POD_NAME, POD_NAMESPACE, POD_IP) and removes dead silos' pods from the membership. Clustering stays
    /// <see cref="Clustering"/> (AdoNet on PostgreSQL in <c>infra/kubernetes</c>).
    /// </summary>
    public bool KubernetesHosting { get; set; }

    /// <summary>The shortest reminder period Orleans accepts (its default is a minute; tests lower it).</summary>
    public TimeSpan MinimumReminderPeriod { get; set; } = TimeSpan.FromMinutes(1);
}
