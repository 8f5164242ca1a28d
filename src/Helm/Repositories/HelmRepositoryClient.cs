using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Fleet.Helm.Formats;
using Fleet.Helm.Functions;
using Fleet.Helm.Template;

namespace Fleet.Helm.Repositories;

/// <summary>How to authenticate to a chart repository: basic auth or a bearer token (never both).</summary>
public sealed class HelmRepositoryCredentials
{
    public string? Username { get; init; }

    public string? Password { get; init; }

    public string? BearerToken { get; init; }

    internal AuthenticationHeaderValue? Header() =>
        BearerToken is { Length: > 0 } token
            ? new AuthenticationHeaderValue("Bearer", token)
            : Username is { Length: > 0 } user
                ? new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + (Password ?? ""))))
                : null;
}

/// <summary>One chart version listed in a repository's index.yaml.</summary>
public sealed record HelmChartVersion(string Name, string Version, string AppVersion, IReadOnlyList<string> Urls, string Digest);

/// <summary>
/// A client for HTTP chart repositories (index.yaml and chart archives, as `helm repo add` / `helm pull` use them):
/// basic or bearer auth, selection by exact version or semver range, and archives cached by their digest.
/// </summary>
public sealed class HelmRepositoryClient(HttpClient http, string cacheDirectory)
{
    /// <summary>The charts of a repository's index.yaml: name to versions, newest first.</summary>
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<HelmChartVersion>>> GetIndexAsync(Uri repository, HelmRepositoryCredentials? credentials, CancellationToken cancellationToken) =>
        ParseIndex(await DownloadIndexAsync(repository, credentials, cancellationToken).ConfigureAwait(false), repository);

    /// <summary>The bytes of a repository's index.yaml, as served.</summary>
    public Task<byte[]> DownloadIndexAsync(Uri repository, HelmRepositoryCredentials? credentials, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        return GetAsync(IndexUri(repository), repository, credentials, cancellationToken);
    }

    private static Uri IndexUri(Uri repository) => new(WithSlash(repository), "index.yaml");

    /// <summary>Reads an index.yaml (as downloaded before) into chart name to versions, newest first.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<HelmChartVersion>> ParseIndex(byte[] index, Uri repository)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(repository);
        var indexUri = IndexUri(repository);
        object? doc;
        try
        {
            doc = GoYaml.Load(Encoding.UTF8.GetString(index), floatNumbers: false);
        }
        catch (HelmYamlException e)
        {
            throw new HelmException($"{Redact(indexUri)}: invalid index: {e.Message}");
        }

        if (doc is not IDictionary<string, object?> root || root.Get("entries") is not IDictionary<string, object?> entries)
        {
            throw new HelmException($"{Redact(indexUri)}: invalid index: no entries");
        }

        var result = new Dictionary<string, IReadOnlyList<HelmChartVersion>>(StringComparer.Ordinal);
        foreach (var (name, list) in entries)
        {
            var versions = new List<HelmChartVersion>();
            foreach (var item in list as IList<object?> ?? [])
            {
                if (item is not IDictionary<string, object?> e)
                {
                    continue;
                }

                versions.Add(new HelmChartVersion(
                    name,
                    GoValues.StrVal(e.Get("version")),
                    e.Get("appVersion") is { } av ? GoValues.StrVal(av) : "",
                    (e.Get("urls") as IList<object?> ?? []).Select(GoValues.StrVal).ToList(),
                    e.Get("digest") is string d ? d : ""));
            }

            result[name] = NewestFirst(versions);
        }

        return result;
    }

    /// <summary>Versions sorted newest first by semver (versions that are not semver last).</summary>
    internal static List<HelmChartVersion> NewestFirst(List<HelmChartVersion> versions)
    {
        versions.Sort((a, b) => (SemVer.TryParse(b.Version) ?? Zero).CompareTo(SemVer.TryParse(a.Version) ?? Zero));
        return versions;
    }

    private static readonly SemVer Zero = SemVer.Parse("0.0.0-0");

    /// <summary>
    /// The version of <paramref name="chart"/> to use: an exact version, or the newest matching a semver range
    /// ("^1.2", "~1.2.3", ">=1 <2"), or the newest stable one when <paramref name="versionOrRange"/> is empty
    /// (prereleases only when the range names one, as Helm selects).
    /// </summary>
    public static HelmChartVersion Select(IReadOnlyDictionary<string, IReadOnlyList<HelmChartVersion>> index, string chart, string? versionOrRange)
    {
        ArgumentNullException.ThrowIfNull(index);
        if (!index.TryGetValue(chart, out var versions) || versions.Count == 0)
        {
            throw new HelmException($"chart {GoStrings.Quote(chart)} not found in repository");
        }

        if (string.IsNullOrWhiteSpace(versionOrRange))
        {
            var stable = versions.FirstOrDefault(v => SemVer.TryParse(v.Version) is { Prerelease.Length: 0 });
            return stable ?? versions[0];
        }

        var wanted = versionOrRange.Trim();

        var exact = versions.FirstOrDefault(v => v.Version == wanted || v.Version == "v" + wanted);
        if (exact is not null)
        {
            return exact;
        }

        foreach (var v in versions)
        {
            if (SemVer.TryParse(v.Version) is { } sv)
            {
                try
                {
                    if (SemVer.Satisfies(wanted, sv))
                    {
                        return v;
                    }
                }
                catch (GoFuncException e)
                {
                    throw new HelmException($"invalid version range {GoStrings.Quote(wanted)}: {e.Message}");
                }
            }
        }

        throw new HelmException($"chart {GoStrings.Quote(chart)} has no version matching {GoStrings.Quote(wanted)}");
    }

    /// <summary>
    /// The local path of the chart archive, downloaded once and kept under its sha256 digest (checked against the
    /// index's digest when it has one). Credentials go only to the repository's own host.
    /// </summary>
    public async Task<string> FetchChartAsync(Uri repository, HelmChartVersion version, HelmRepositoryCredentials? credentials, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(version);
        Directory.CreateDirectory(cacheDirectory);
        if (version.Digest.Length == 64 && File.Exists(CachePath(version.Digest)))
        {
            return CachePath(version.Digest);
        }

        if (version.Urls.Count == 0)
        {
            throw new HelmException($"chart {version.Name} {version.Version} has no download URL in the index");
        }

        var url = new Uri(WithSlash(repository), version.Urls[0]);
        var bytes = await GetAsync(url, repository, credentials, cancellationToken).ConfigureAwait(false);
        var digest = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (version.Digest.Length > 0 && !string.Equals(version.Digest, digest, StringComparison.OrdinalIgnoreCase))
        {
            throw new HelmException($"chart {version.Name} {version.Version}: digest mismatch: the index says {version.Digest}, the archive is {digest}");
        }

        var path = CachePath(digest);
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        await File.WriteAllBytesAsync(temp, bytes, cancellationToken).ConfigureAwait(false);
        File.Move(temp, path, overwrite: true);
        return path;
    }

    private string CachePath(string digest) => Path.Combine(cacheDirectory, digest.ToLowerInvariant() + ".tgz");

    internal static Uri WithSlash(Uri u) => u.AbsoluteUri.EndsWith('/') ? u : new Uri(u.AbsoluteUri + "/");

    /// <summary>A URL fit for messages: no user info, no query (which may hold tokens).</summary>
    internal static string Redact(Uri u) => new UriBuilder(u) { UserName = "", Password = "", Query = "" }.Uri.GetLeftPart(UriPartial.Path);

    private async Task<byte[]> GetAsync(Uri url, Uri repository, HelmRepositoryCredentials? credentials, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (string.Equals(url.Authority, repository.Authority, StringComparison.OrdinalIgnoreCase) && credentials?.Header() is { } header)
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
            throw new HelmException($"{Redact(url)}: {e.Message}", HelmFailure.Unavailable);
        }

        using (response)
        {
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            {
                throw new HelmException($"{Redact(url)}: {(int)response.StatusCode} {response.ReasonPhrase}: the repository refused the credentials", HelmFailure.Unauthorized);
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new HelmException($"{Redact(url)}: {(int)response.StatusCode} {response.ReasonPhrase}", HelmFailure.Unavailable);
            }

            return await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
