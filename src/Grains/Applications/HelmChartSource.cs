using System.Text.Json;
using Fleet.Abstractions.Resources;
using Fleet.Helm;
using Fleet.Helm.Repositories;
using Fleet.Store;
using Fleet.Store.Secrets;

namespace Fleet.Grains.Applications;

/// <summary>
/// Charts of <c>HelmRepository</c> sources, for the grains: the repository's credentials from its Secret, its index
/// (HTTP) or tags (OCI), the version an application asks for, and the chart archive stored once in the blob store
/// under its digest, so every silo renders the same bytes and a chart is downloaded once per digest.
/// </summary>
internal sealed class HelmChartSource
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    private readonly IResourceStore _store;
    private readonly IBlobStore _blobs;
    private readonly SecretReader _secrets;
    private readonly string _charts;

    public HelmChartSource(string dataDirectory, IResourceStore store, IBlobStore blobs, SecretReader secrets, HttpMessageHandler? handler = null)
    {
        _store = store;
        _blobs = blobs;
        _secrets = secrets;
        _charts = Path.Combine(dataDirectory, "charts");
        var http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        http.Timeout = Timeout.InfiniteTimeSpan;
        Http = new HelmRepositoryClient(http, Path.Combine(_charts, "downloads"));
        Oci = new OciRegistryClient(http, Path.Combine(_charts, "downloads"));
    }

    public HelmRepositoryClient Http { get; }

    public OciRegistryClient Oci { get; }

    /// <summary>The credentials a HelmRepository's <c>secretRef</c> names (<c>username</c>/<c>password</c> or <c>bearerToken</c>), or none.</summary>
    /// <exception cref="HelmException">The Secret does not exist.</exception>
    public async Task<HelmRepositoryCredentials?> CredentialsAsync(string ns, HelmRepositorySpec spec, CancellationToken ct)
    {
        if (spec.SecretRef is not { Name.Length: > 0 } secretRef)
        {
            return null;
        }

        var data = await _secrets.GetAsync(ns, secretRef.Name, ct)
            ?? throw new HelmException($"the Secret {ns}/{secretRef.Name} named by spec.secretRef does not exist", HelmFailure.Unauthorized);
        return new HelmRepositoryCredentials { Username = data.GetValueOrDefault("username"), Password = data.GetValueOrDefault("password"), BearerToken = data.GetValueOrDefault("bearerToken") };
    }

    /// <summary>
    /// The chart an application asks for as an artifact: revision <c>chart@version</c>, digest of the archive in the
    /// blob store. Null with the reason when the repository, its index or the chart cannot be had.
    /// </summary>
    public async Task<(ArtifactStatus? Artifact, string? Why)> ResolveAsync(string ns, ApplicationSpec spec, CancellationToken ct)
    {
        var name = spec.SourceRef.Name;
        var stored = await _store.GetAsync(ResourceKinds.HelmRepository.Kind, ns, name, ct);
        if (stored is null)
        {
            return (null, $"HelmRepository {ns}/{name} does not exist");
        }

        var repository = JsonSerializer.Deserialize<HelmRepositorySpec>(stored.SpecJson, FleetJson.Options)!;
        var status = stored.StatusJson is { } json ? JsonSerializer.Deserialize<HelmRepositoryStatus>(json, FleetJson.Options) : null;
        var chart = spec.Helm?.Chart ?? "";
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(GoDuration.Parse(repository.Timeout, DefaultTimeout));
        try
        {
            var credentials = await CredentialsAsync(ns, repository, timeout.Token);
            var url = new Uri(repository.Url);
            if (repository.IsOci)
            {
                var tags = await Oci.ListVersionsAsync(url, chart, credentials, repository.Insecure, timeout.Token);
                var version = HelmRepositoryClient.Select(tags, chart, spec.Helm?.Version).Version;
                var digest = await Oci.ResolveDigestAsync(url, chart, version, credentials, repository.Insecure, timeout.Token);
                if (!await _blobs.ExistsAsync(digest, timeout.Token))
                {
                    var pulled = await Oci.PullAsync(url, chart, version, credentials, repository.Insecure, timeout.Token);
                    await StoreAsync(pulled.ArchivePath, digest, timeout.Token);
                }

                return (Artifact(chart, version, digest), null);
            }

            if (status?.Artifact is not { } index)
            {
                return (null, $"HelmRepository {ns}/{name} has no index yet");
            }

            var bytes = await _blobs.GetAsync(index.Digest, timeout.Token);
            if (bytes is null)
            {
                return (null, $"HelmRepository {ns}/{name}: its index {index.Digest} is not in the store yet");
            }

            var entry = HelmRepositoryClient.Select(HelmRepositoryClient.ParseIndex(bytes, url), chart, spec.Helm?.Version);
            var known = entry.Digest.Length == 64 ? "sha256:" + entry.Digest.ToLowerInvariant() : null;
            if (known is null || !await _blobs.ExistsAsync(known, timeout.Token))
            {
                var path = await Http.FetchChartAsync(url, entry, credentials, timeout.Token);
                known = await StoreAsync(path, known, timeout.Token);
            }

            return (Artifact(chart, entry.Version, known), null);
        }
        catch (HelmException ex)
        {
            return (null, $"HelmRepository {ns}/{name}: {ex.Message}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return (null, $"HelmRepository {ns}/{name}: timed out after {GoDuration.Parse(repository.Timeout, DefaultTimeout).TotalSeconds:0}s");
        }
    }

    private static ArtifactStatus Artifact(string chart, string version, string digest) => new() { Revision = $"{chart}@{version}", Digest = digest };

    /// <summary>Puts a downloaded archive into the blob store; checks it is what the index or manifest promised.</summary>
    private async Task<string> StoreAsync(string path, string? expected, CancellationToken ct)
    {
        var digest = await _blobs.PutAsync(await File.ReadAllBytesAsync(path, ct), ct);
        if (expected is not null && digest != expected)
        {
            throw new HelmException($"the chart archive is {digest}, not the {expected} the repository promised");
        }

        return digest;
    }

    /// <summary>A local file holding the chart archive stored under <paramref name="digest"/> (written once per silo).</summary>
    public async Task<string> ArchiveAsync(string digest, CancellationToken ct)
    {
        var path = Path.Combine(_charts, digest.Replace(':', '-') + ".tgz");
        if (File.Exists(path))
        {
            return path;
        }

        var bytes = await _blobs.GetAsync(digest, ct) ?? throw new HelmException($"chart archive {digest} is not in the store");
        Directory.CreateDirectory(_charts);
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        await File.WriteAllBytesAsync(temp, bytes, ct);
        File.Move(temp, path, overwrite: true);
        return path;
    }
}
