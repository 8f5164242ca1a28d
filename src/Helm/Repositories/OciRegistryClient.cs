using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fleet.Helm.Functions;
using Fleet.Helm.Template;

namespace Fleet.Helm.Repositories;

/// <summary>A chart pulled from an OCI registry: its version, the digest of its archive and where the archive is kept.</summary>
public sealed record OciChart(string Name, string Version, string Digest, string ArchivePath);

/// <summary>
/// Charts in OCI registries (<c>oci://host[:port]/path</c>) through the Docker Registry HTTP API v2, as `helm pull`
/// reads them: tags listed (`_` in a tag stands for `+` in a version), the version chosen by exact version or semver
/// range, the manifest read and its chart layer (<c>application/vnd.cncf.helm.chart.content.v1.tar+gzip</c>) fetched
/// once and kept under its digest, checked against it. Credentials: basic auth or a bearer token; a registry that
/// answers 401 with a <c>Bearer</c> challenge is asked for a token at its realm (the registry token flow).
/// Hand-written: no .NET library on the package registry these machines reach speaks the registry API.
/// </summary>
public sealed class OciRegistryClient(HttpClient http, string cacheDirectory)
{
    public const string ChartLayerMediaType = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
    public const string ConfigMediaType = "application/vnd.cncf.helm.config.v1+json";
    public const string ManifestMediaType = "application/vnd.oci.image.manifest.v1+json";

    /// <summary>Tokens from the registry token flow, by scope, for this client's life.</summary>
    private readonly Dictionary<string, string> _tokens = new(StringComparer.Ordinal);

    /// <summary>
    /// The chart versions a registry holds under <paramref name="repository"/>/<paramref name="chart"/>, newest first,
    /// in the shape of an index (one entry, no URLs, no digests).
    /// </summary>
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<HelmChartVersion>>> ListVersionsAsync(
        Uri repository, string chart, HelmRepositoryCredentials? credentials, bool plainHttp, CancellationToken cancellationToken)
    {
        var (baseUri, name) = Split(repository, chart, plainHttp);
        var body = await SendAsync(HttpMethod.Get, new Uri(baseUri, $"v2/{name}/tags/list"), name, null, credentials, cancellationToken).ConfigureAwait(false);
        var versions = new List<HelmChartVersion>();
        try
        {
            foreach (var tag in (JsonNode.Parse(body.Content)?["tags"] as JsonArray ?? []).Select(t => t?.GetValue<string>()).OfType<string>())
            {
                // Helm stores a version's '+' as '_' in a tag (tags may not hold '+').
                var version = tag.Replace('_', '+');
                if (SemVer.TryParse(version) is not null)
                {
                    versions.Add(new HelmChartVersion(chart, version, "", [], ""));
                }
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new HelmException($"{Where(baseUri, name)}: invalid tag list: {e.Message}");
        }

        return new Dictionary<string, IReadOnlyList<HelmChartVersion>>(StringComparer.Ordinal) { [chart] = HelmRepositoryClient.NewestFirst(versions) };
    }

    /// <summary>The digest (<c>sha256:&lt;hex&gt;</c>) of a chart version's archive, from its manifest.</summary>
    public async Task<string> ResolveDigestAsync(Uri repository, string chart, string version, HelmRepositoryCredentials? credentials, bool plainHttp, CancellationToken cancellationToken)
    {
        var (baseUri, name) = Split(repository, chart, plainHttp);
        var tag = version.Replace('+', '_');
        var body = await SendAsync(HttpMethod.Get, new Uri(baseUri, $"v2/{name}/manifests/{tag}"), name, ManifestMediaType, credentials, cancellationToken).ConfigureAwait(false);
        JsonNode? manifest;
        try
        {
            manifest = JsonNode.Parse(body.Content);
        }
        catch (JsonException e)
        {
            throw new HelmException($"{Where(baseUri, name)}:{tag}: invalid manifest: {e.Message}");
        }

        var layers = (manifest?["layers"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var chartLayers = layers.Where(l => l["mediaType"]?.GetValue<string>() == ChartLayerMediaType).ToList();
        if (chartLayers.Count != 1 || chartLayers[0]["digest"]?.GetValue<string>() is not { } digest || !digest.StartsWith("sha256:", StringComparison.Ordinal))
        {
            throw new HelmException($"{Where(baseUri, name)}:{tag}: not a Helm chart: the manifest must hold exactly one layer of type {ChartLayerMediaType} with a sha256 digest (found {layers.Count} layers)");
        }

        return digest;
    }

    /// <summary>
    /// Pulls a chart version (by exact version; pick it with <see cref="HelmRepositoryClient.Select"/> from
    /// <see cref="ListVersionsAsync"/>): its archive is downloaded once and kept under its digest.
    /// </summary>
    public async Task<OciChart> PullAsync(Uri repository, string chart, string version, HelmRepositoryCredentials? credentials, bool plainHttp, CancellationToken cancellationToken)
    {
        var digest = await ResolveDigestAsync(repository, chart, version, credentials, plainHttp, cancellationToken).ConfigureAwait(false);
        var path = Path.Combine(cacheDirectory, digest["sha256:".Length..].ToLowerInvariant() + ".tgz");
        if (File.Exists(path))
        {
            return new OciChart(chart, version, digest, path);
        }

        var (baseUri, name) = Split(repository, chart, plainHttp);
        var blob = await SendAsync(HttpMethod.Get, new Uri(baseUri, $"v2/{name}/blobs/{digest}"), name, null, credentials, cancellationToken).ConfigureAwait(false);
        var actual = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(blob.Content));
        if (actual != digest)
        {
            throw new HelmException($"{Where(baseUri, name)}:{version}: digest mismatch: the manifest says {digest}, the layer is {actual}");
        }

        Directory.CreateDirectory(cacheDirectory);
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        await File.WriteAllBytesAsync(temp, blob.Content, cancellationToken).ConfigureAwait(false);
        File.Move(temp, path, overwrite: true);
        return new OciChart(chart, version, digest, path);
    }

    /// <summary>The registry's base URL and the repository name of a chart: <c>oci://host/charts</c> + <c>web</c> is <c>charts/web</c> on host.</summary>
    internal static (Uri Base, string Name) Split(Uri repository, string chart, bool plainHttp)
    {
        ArgumentNullException.ThrowIfNull(repository);
        if (repository.Scheme != "oci")
        {
            throw new HelmException($"{HelmRepositoryClient.Redact(repository)}: an OCI repository URL starts with oci://");
        }

        if (string.IsNullOrEmpty(chart) || chart.Contains("..", StringComparison.Ordinal) || chart.StartsWith('/'))
        {
            throw new HelmException($"invalid chart name {GoStrings.Quote(chart)}");
        }

        var path = repository.AbsolutePath.Trim('/');
        var name = (path.Length == 0 ? "" : path + "/") + chart;
        var port = repository.IsDefaultPort || repository.Port < 0 ? "" : ":" + repository.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return (new Uri($"{(plainHttp ? "http" : "https")}://{repository.Host}{port}/"), name);
    }

    private static string Where(Uri baseUri, string name) => $"oci://{baseUri.Authority}/{name}";

    private sealed record Response(byte[] Content);

    private async Task<Response> SendAsync(HttpMethod method, Uri url, string name, string? accept, HelmRepositoryCredentials? credentials, CancellationToken cancellationToken)
    {
        var scope = $"repository:{name}:pull";
        for (var attempt = 0; ; attempt++)
        {
            using var request = new HttpRequestMessage(method, url);
            if (accept is not null)
            {
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
            }

            if (_tokens.TryGetValue(scope, out var token))
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }
            else if (credentials?.Header() is { } header)
            {
                request.Headers.Authorization = header;
            }

            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                throw new HelmException($"{HelmRepositoryClient.Redact(url)}: {e.Message}", HelmFailure.Unavailable);
            }

            using (response)
            {
                if (response.StatusCode == HttpStatusCode.Unauthorized && attempt == 0 &&
                    response.Headers.WwwAuthenticate.FirstOrDefault(h => h.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase)) is { } challenge &&
                    credentials?.BearerToken is null)
                {
                    _tokens[scope] = await TokenAsync(challenge, scope, credentials, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                {
                    throw new HelmException($"{HelmRepositoryClient.Redact(url)}: {(int)response.StatusCode} {response.ReasonPhrase}: the registry refused the credentials", HelmFailure.Unauthorized);
                }

                if (response.StatusCode == HttpStatusCode.NotFound)
                {
                    throw new HelmException($"{HelmRepositoryClient.Redact(url)}: 404 Not Found: no such chart or version in the registry");
                }

                if (!response.IsSuccessStatusCode)
                {
                    throw new HelmException($"{HelmRepositoryClient.Redact(url)}: {(int)response.StatusCode} {response.ReasonPhrase}", HelmFailure.Unavailable);
                }

                return new Response(await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false));
            }
        }
    }

    /// <summary>The registry token flow: GET the challenge's realm with its service and the scope, with basic credentials if any.</summary>
    private async Task<string> TokenAsync(AuthenticationHeaderValue challenge, string scope, HelmRepositoryCredentials? credentials, CancellationToken cancellationToken)
    {
        var parameters = ParseChallenge(challenge.Parameter ?? "");
        if (!parameters.TryGetValue("realm", out var realm) || !Uri.TryCreate(realm, UriKind.Absolute, out var realmUri) || realmUri.Scheme is not ("https" or "http"))
        {
            throw new HelmException("the registry asked for a bearer token without a valid realm");
        }

        var query = new StringBuilder("?scope=").Append(Uri.EscapeDataString(parameters.GetValueOrDefault("scope") ?? scope));
        if (parameters.TryGetValue("service", out var service))
        {
            query.Append("&service=").Append(Uri.EscapeDataString(service));
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(realmUri.GetLeftPart(UriPartial.Path) + query));
        if (credentials?.Header() is { } header)
        {
            request.Headers.Authorization = header;
        }

        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new HelmException($"{HelmRepositoryClient.Redact(realmUri)}: {(int)response.StatusCode} {response.ReasonPhrase}: the registry's token service refused the credentials", HelmFailure.Unauthorized);
        }

        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
        return (body?["token"] ?? body?["access_token"])?.GetValue<string>()
            ?? throw new HelmException($"{HelmRepositoryClient.Redact(realmUri)}: the token service answered without a token");
    }

    /// <summary>The parameters of a challenge: <c>realm="https://auth",service="registry",scope="repository:a:pull"</c>.</summary>
    internal static Dictionary<string, string> ParseChallenge(string parameter)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var i = 0;
        while (i < parameter.Length)
        {
            var eq = parameter.IndexOf('=', i);
            if (eq < 0)
            {
                break;
            }

            var key = parameter[i..eq].Trim().TrimStart(',').Trim();
            string value;
            i = eq + 1;
            if (i < parameter.Length && parameter[i] == '"')
            {
                var end = parameter.IndexOf('"', i + 1);
                end = end < 0 ? parameter.Length : end;
                value = parameter[(i + 1)..end];
                i = end + 1;
            }
            else
            {
                var end = parameter.IndexOf(',', i);
                end = end < 0 ? parameter.Length : end;
                value = parameter[i..end].Trim();
                i = end;
            }

            result[key] = value;
            while (i < parameter.Length && (parameter[i] == ',' || parameter[i] == ' '))
            {
                i++;
            }
        }

        return result;
    }
}
