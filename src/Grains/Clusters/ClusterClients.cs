using System.Collections.Concurrent;
using System.Text.Json;
using Fleet.Abstractions.Resources;
using Fleet.Kubernetes;
using Fleet.Store;
using Fleet.Store.Secrets;
using Microsoft.Extensions.Logging;

namespace Fleet.Grains.Clusters;

/// <summary>A cluster's connection could not be built: no such Cluster, a missing Secret, or bad settings.</summary>
internal sealed class ClusterUnavailableException(string reason, string message) : Exception(message)
{
    public string Reason { get; } = reason;
}

/// <summary>
/// One <see cref="KubeClient"/> per registered cluster for the whole silo (so the per-cluster rate limit and
/// connection pool are shared by the cluster's probe and all its placements), rebuilt when the Cluster or its
/// credentials Secret changes.
/// </summary>
internal sealed class ClusterClients(IResourceStore store, SecretReader secrets, ILoggerFactory loggers, Microsoft.Extensions.Options.IOptions<GrainOptions> options) : IDisposable
{
    private readonly ConcurrentDictionary<string, (string Fingerprint, KubeClient Client, string ClusterVersion, long CredentialsCheckedAt)> _clients = new();

    /// <summary>
    /// How long a client is used without reading its credentials Secret again to see whether it changed. The Secret
    /// was read on every placement reconcile (10,000 reads per commit at 10,000 clusters); the cluster's own probe
    /// always re-reads it (<c>recheckCredentials</c>), so a rotation reaches the probing silo at once and every
    /// other silo within this time.
    /// </summary>
    internal static readonly TimeSpan CredentialsRecheck = TimeSpan.FromSeconds(30);

    /// <summary>The cluster's client; <paramref name="cluster"/> is the Cluster object when the caller has just read it (saves a read).</summary>
    public async Task<(KubeClient Client, StoredResource Cluster, ClusterSpec Spec)> GetAsync(string ns, string name, CancellationToken ct, StoredResource? cluster = null,
        bool recheckCredentials = false)
    {
        var stored = cluster ?? await store.GetAsync(ResourceKinds.Cluster.Kind, ns, name, ct)
            ?? throw new ClusterUnavailableException("ClusterNotFound", $"Cluster {ns}/{name} is not registered");
        var spec = JsonSerializer.Deserialize<ClusterSpec>(stored.SpecJson, FleetJson.Options) ?? new ClusterSpec();
        // The generation moves with the spec only: status writes (every probe) must not rebuild the client.
        var clusterVersion = $"{stored.Uid}:{stored.Generation}";
        var key = $"{ns}/{name}";
        if (!recheckCredentials && _clients.TryGetValue(key, out var recent) && recent.ClusterVersion == clusterVersion &&
            System.Diagnostics.Stopwatch.GetElapsedTime(recent.CredentialsCheckedAt) < CredentialsRecheck)
        {
            return (recent.Client, stored, spec);
        }

        var secretVersion = "";
        StoredResource? secret = null;
        if (spec.CredentialsRef is { Name.Length: > 0 } secretRef)
        {
            secret = await store.GetAsync(ResourceKinds.Secret.Kind, ns, secretRef.Name, ct)
                ?? throw new ClusterUnavailableException(Reasons.CredentialsNotFound, $"the credentials Secret {ns}/{secretRef.Name} does not exist");
            secretVersion = secret.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        var fingerprint = $"{clusterVersion}:{secretVersion}";
        var checkedAt = System.Diagnostics.Stopwatch.GetTimestamp();
        if (_clients.TryGetValue(key, out var cached) && cached.Fingerprint == fingerprint)
        {
            _clients.TryUpdate(key, cached with { CredentialsCheckedAt = checkedAt }, cached);
            return (cached.Client, stored, spec);
        }
        // Decrypted only when the client is (re)built.
        var data = secret is null ? null : secrets.Read(secret);
        ClusterConnection connection;
        try
        {
            connection = ClusterConnection.FromClusterSpec(spec.Server, spec.CaData, spec.InsecureSkipTLSVerify, data,
                new KubeconfigOptions { AllowExecPlugins = options.Value.AllowExecCredentialPlugins });
        }
        catch (Exception ex) when (ex is ClusterConnectionException or FormatException or ArgumentException)
        {
            throw new ClusterUnavailableException(Reasons.InvalidSpec, ex.Message);
        }
        lock (_clients)
        {
            // Many placements of one cluster ask at once: the first builds the client, the others share it.
            if (_clients.TryGetValue(key, out cached) && cached.Fingerprint == fingerprint)
            {
                return (cached.Client, stored, spec);
            }
            var client = new KubeClient(connection, new KubeClientOptions(), loggers.CreateLogger<KubeClient>());
            _clients[key] = (fingerprint, client, clusterVersion, checkedAt);
            if (cached.Client is not null)
            {
                Retire(cached.Client);
            }
            return (client, stored, spec);
        }
    }

    /// <summary>A replaced client may still be in use by a placement's apply: dispose it only after requests have had time to finish.</summary>
    private static void Retire(KubeClient client) =>
        _ = Task.Delay(RetireAfter).ContinueWith(_ => client.Dispose(), TaskScheduler.Default);

    private static readonly TimeSpan RetireAfter = TimeSpan.FromMinutes(5);

    public void Forget(string ns, string name)
    {
        if (_clients.TryRemove($"{ns}/{name}", out var old))
        {
            Retire(old.Client);
        }
    }

    public void Dispose()
    {
        foreach (var (_, entry) in _clients)
        {
            entry.Client.Dispose();
        }
        _clients.Clear();
    }
}
