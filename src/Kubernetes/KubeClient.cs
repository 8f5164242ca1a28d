using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fleet.Kubernetes;

/// <summary>
/// A client of one cluster's API server: one <see cref="HttpClient"/> (HTTP/2 where the server offers it,
/// keep-alive, bounded connections), a token-bucket rate limit, retries with back-off on 429/5xx and
/// connection errors, lazy per-group-version discovery, and generic objects as <see cref="JsonObject"/>.
/// Thread-safe; keep one per cluster.
/// </summary>
public sealed partial class KubeClient : IDisposable
{
    private static readonly MediaTypeWithQualityHeaderValue JsonAccept = new("application/json");
    private readonly HttpClient _http;
    private readonly TokenBucketRateLimiter? _limiter;
    private readonly ILogger _logger;
    private readonly Uri _server;
    private readonly string _serverPrefix;
    private readonly string? _token;
    private readonly ConcurrentDictionary<string, DiscoveryEntry> _discovery = new(StringComparer.Ordinal);
    private long _requests;
    private volatile string? _lastTlsRejection;

    public KubeClient(ClusterConnection connection, KubeClientOptions? options = null, ILogger<KubeClient>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        Connection = connection;
        Options = options ?? new KubeClientOptions();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _server = connection.Validate();
        _serverPrefix = _server.GetLeftPart(UriPartial.Path).TrimEnd('/');
        _token = connection.BearerToken;
        _http = new HttpClient(CreateHandler(connection, Options), disposeHandler: true)
        {
            // Each attempt has its own time-out below; watches must be able to stay open.
            Timeout = Timeout.InfiniteTimeSpan,
        };
        if (Options.Qps > 0)
        {
            // Tokens are replenished in small steps so that the rate is smooth, as client-go's flowcontrol does.
            var perSecondSteps = Math.Clamp((int)Math.Ceiling(Options.Qps), 1, 100);
            _limiter = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = Math.Max(1, Options.Burst),
                TokensPerPeriod = Math.Max(1, (int)Math.Round(Options.Qps / perSecondSteps)),
                ReplenishmentPeriod = TimeSpan.FromSeconds(1.0 / perSecondSteps),
                QueueLimit = int.MaxValue,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                AutoReplenishment = true,
            });
        }
    }

    public ClusterConnection Connection { get; }

    public KubeClientOptions Options { get; }

    public Uri Server => _server;

    /// <summary>HTTP requests sent so far (every attempt counts).</summary>
    public long RequestCount => Interlocked.Read(ref _requests);

    internal RateLimiter? RateLimiter => _limiter;

    public void Dispose()
    {
        _http.Dispose();
        _limiter?.Dispose();
    }

    /// <summary><c>GET /version</c>.</summary>
    public async Task<ServerVersion> GetVersionAsync(CancellationToken ct = default)
    {
        var (_, body) = await SendAsync(HttpMethod.Get, "/version", null, "GET /version", ct).ConfigureAwait(false);
        var o = ParseObject(body, "GET /version");
        return new ServerVersion(o.Str("major") ?? "", o.Str("minor") ?? "", o.Str("gitVersion") ?? "", o.Str("platform"));
    }

    /// <summary>The object, or null when it does not exist.</summary>
    public async Task<JsonObject?> GetAsync(string apiVersion, string kind, string? ns, string name, CancellationToken ct = default)
    {
        var resource = await ResolveAsync(apiVersion, kind, ct).ConfigureAwait(false);
        var path = ResourcePath(resource, ns, name);
        try
        {
            var (_, body) = await SendAsync(HttpMethod.Get, path, null, $"GET {path}", ct).ConfigureAwait(false);
            return ParseObject(body, path);
        }
        catch (KubeApiException ex) when (ex.Code == 404)
        {
            return null;
        }
    }

    /// <summary>LIST, following every page (<c>limit</c>/<c>continue</c>); <paramref name="ns"/> null lists all namespaces.</summary>
    public async Task<KubeList> ListAsync(string apiVersion, string kind, string? ns, ListOptions? options = null, CancellationToken ct = default)
    {
        options ??= new ListOptions();
        var resource = await ResolveAsync(apiVersion, kind, ct).ConfigureAwait(false);
        var basePath = ResourcePath(resource, ns, null);
        var items = new List<JsonObject>();
        string? resourceVersion = null;
        string? cont = null;
        do
        {
            var query = new StringBuilder($"?limit={options.PageSize}");
            AppendQuery(query, "labelSelector", options.LabelSelector);
            AppendQuery(query, "fieldSelector", options.FieldSelector);
            AppendQuery(query, "continue", cont);
            var (_, body) = await SendAsync(HttpMethod.Get, basePath + query, null, $"LIST {basePath}", ct).ConfigureAwait(false);
            var list = ParseObject(body, basePath);
            if (list["items"] is JsonArray array)
            {
                foreach (var item in array.OfType<JsonObject>().ToList())
                {
                    array.Remove(item);
                    // Items of a list lack apiVersion and kind; restore them so that they are whole objects.
                    item["apiVersion"] ??= resource.ApiVersion;
                    item["kind"] ??= resource.Kind;
                    items.Add(item);
                }
            }
            resourceVersion = list.Str("metadata", "resourceVersion") ?? resourceVersion;
            cont = list.Str("metadata", "continue");
        }
        while (!string.IsNullOrEmpty(cont));
        return new KubeList(items, resourceVersion);
    }

    /// <summary>
    /// WATCH from a resourceVersion. Ends when the server closes the stream (its time-out) or <paramref name="ct"/> fires;
    /// an ERROR event (for example 410 Gone) is thrown as <see cref="KubeApiException"/>.
    /// </summary>
    public async IAsyncEnumerable<WatchEvent> WatchAsync(string apiVersion, string kind, string? ns, string? resourceVersion,
        ListOptions? options = null, TimeSpan? timeout = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var resource = await ResolveAsync(apiVersion, kind, ct).ConfigureAwait(false);
        var basePath = ResourcePath(resource, ns, null);
        var query = new StringBuilder("?watch=true&allowWatchBookmarks=true");
        AppendQuery(query, "resourceVersion", resourceVersion);
        AppendQuery(query, "labelSelector", options?.LabelSelector);
        AppendQuery(query, "fieldSelector", options?.FieldSelector);
        AppendQuery(query, "timeoutSeconds", ((int)Math.Max(1, (timeout ?? TimeSpan.FromMinutes(5)).TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture));
        var operation = $"WATCH {basePath}";
        await AcquireAsync(ct).ConfigureAwait(false);
        using var request = NewRequest(HttpMethod.Get, basePath + query, null);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw ConnectionError(ex, operation, 1);
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                var errorBody = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
                throw new KubeApiException(operation, KubeStatus.Parse((int)response.StatusCode, errorBody));
            }
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false));
            while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
            {
                if (line.Length == 0)
                {
                    continue;
                }
                var e = ParseObject(line, operation);
                var type = e.Str("type") ?? "";
                if (e["object"] is not JsonObject obj)
                {
                    continue;
                }
                if (type == "ERROR")
                {
                    throw new KubeApiException(operation, KubeStatus.Parse((int)(obj.Long("code") ?? 500), obj.ToJsonString()));
                }
                e.Remove("object");
                obj["apiVersion"] ??= resource.ApiVersion;
                obj["kind"] ??= resource.Kind;
                yield return new WatchEvent(type, obj);
            }
        }
    }

    /// <summary>Server-side apply (<c>application/apply-patch+yaml</c>): JSON is YAML, so the object is sent as is.</summary>
    public async Task<ApplyResponse> ApplyAsync(JsonObject obj, ApplyRequest? request = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(obj);
        request ??= new ApplyRequest();
        var r = ObjectRef.FromObject(obj);
        var resource = await ResolveAsync(r.ApiVersion, r.Kind, ct).ConfigureAwait(false);
        var path = ResourcePath(resource, r.Namespace, r.Name);
        var query = new StringBuilder("?fieldManager=").Append(Uri.EscapeDataString(request.FieldManager));
        if (request.Force)
        {
            query.Append("&force=true");
        }
        if (request.DryRun)
        {
            query.Append("&dryRun=All");
        }
        var payload = obj.ToJsonString();
        var (status, body) = await SendAsync(HttpMethod.Patch, path + query, () =>
        {
            var content = new StringContent(payload, Encoding.UTF8);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/apply-patch+yaml");
            return content;
        }, $"apply {r}", ct).ConfigureAwait(false);
        return new ApplyResponse(ParseObject(body, path), status == HttpStatusCode.Created);
    }

    /// <summary>DELETE with a propagation policy; false when the object was already gone.</summary>
    public async Task<bool> DeleteAsync(string apiVersion, string kind, string? ns, string name,
        PropagationPolicy propagation = PropagationPolicy.Background, CancellationToken ct = default)
    {
        var resource = await ResolveAsync(apiVersion, kind, ct).ConfigureAwait(false);
        var path = ResourcePath(resource, ns, name);
        var payload = $$"""{"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"{{propagation}}"}""";
        try
        {
            await SendAsync(HttpMethod.Delete, $"{path}?propagationPolicy={propagation}",
                () => new StringContent(payload, Encoding.UTF8, "application/json"), $"DELETE {path}", ct).ConfigureAwait(false);
            return true;
        }
        catch (KubeApiException ex) when (ex.Code == 404)
        {
            return false;
        }
    }

    internal static string ResourcePath(ApiResource resource, string? ns, string? name)
    {
        var sb = new StringBuilder(resource.Group.Length == 0 ? $"/api/{resource.Version}" : $"/apis/{resource.Group}/{resource.Version}");
        if (resource.Namespaced && !string.IsNullOrEmpty(ns))
        {
            sb.Append("/namespaces/").Append(Uri.EscapeDataString(ns));
        }
        sb.Append('/').Append(resource.Plural);
        if (name is not null)
        {
            sb.Append('/').Append(Uri.EscapeDataString(name));
        }
        return sb.ToString();
    }

    private static void AppendQuery(StringBuilder sb, string key, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            sb.Append('&').Append(key).Append('=').Append(Uri.EscapeDataString(value));
        }
    }

    private static JsonObject ParseObject(string body, string where)
    {
        try
        {
            return JsonNode.Parse(body) as JsonObject ?? throw new KubeApiException($"{where}: the server answered with something other than a JSON object");
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new KubeApiException($"{where}: the server answered with invalid JSON ({ex.Message})", ex);
        }
    }

    private HttpRequestMessage NewRequest(HttpMethod method, string pathAndQuery, HttpContent? content)
    {
        // Servers behind a proxy carry a path prefix (https://proxy/k8s/clusters/c1): API paths go after it.
        var request = new HttpRequestMessage(method, new Uri(_serverPrefix + pathAndQuery))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
            Content = content,
        };
        request.Headers.Accept.Add(JsonAccept);
        if (_token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        }
        Interlocked.Increment(ref _requests);
        return request;
    }

    private async ValueTask AcquireAsync(CancellationToken ct)
    {
        if (_limiter is not null)
        {
            using var lease = await _limiter.AcquireAsync(1, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Sends with a per-attempt time-out and retries. Hand-written rather than a Polly pipeline because a request
    /// message cannot be sent twice (it is rebuilt per attempt) and the retry rules are a few lines.
    /// </summary>
    internal async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpMethod method, string pathAndQuery,
        Func<HttpContent>? content, string operation, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            await AcquireAsync(ct).ConfigureAwait(false);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(Options.RequestTimeout);
            TimeSpan? retryAfter;
            string reason;
            try
            {
                using var request = NewRequest(method, pathAndQuery, content?.Invoke());
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token).ConfigureAwait(false);
                var body = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
                var code = (int)response.StatusCode;
                if (response.IsSuccessStatusCode)
                {
                    return (response.StatusCode, body);
                }
                if (!IsRetryable(code) || attempt > Options.MaxRetries)
                {
                    throw new KubeApiException(operation, KubeStatus.Parse(code, body));
                }
                retryAfter = RetryAfter(response);
                reason = $"HTTP {code}";
            }
            catch (HttpRequestException ex) when (ex.InnerException is not AuthenticationException && attempt <= Options.MaxRetries && !ct.IsCancellationRequested)
            {
                retryAfter = null;
                reason = ex.Message;
            }
            catch (HttpRequestException ex)
            {
                throw ConnectionError(ex, operation, attempt);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                if (attempt > Options.MaxRetries)
                {
                    throw new KubeConnectionException(ConnectionFailure.Unreachable,
                        $"{operation} on {_server}: no answer within {Options.RequestTimeout.TotalSeconds:0.#}s (after {attempt} attempts)");
                }
                retryAfter = null;
                reason = "time-out";
            }
            var delay = BackoffDelay(attempt, retryAfter);
            Log.Retrying(_logger, operation, _server, reason, attempt, (long)delay.TotalMilliseconds);
            await Task.Delay(delay, Options.TimeProvider, ct).ConfigureAwait(false);
        }
    }

    internal static bool IsRetryable(int code) => code is 429 or 500 or 502 or 503 or 504;

    internal TimeSpan BackoffDelay(int attempt, TimeSpan? retryAfter)
    {
        if (retryAfter is { } ra)
        {
            return ra < TimeSpan.Zero ? TimeSpan.Zero : ra > Options.MaxRetryDelay ? Options.MaxRetryDelay : ra;
        }
        var exp = Options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 16));
        // Full jitter in the upper half, so that many clients retrying together spread out.
        var jittered = (exp / 2) + (Random.Shared.NextDouble() * exp / 2);
        return TimeSpan.FromMilliseconds(Math.Min(jittered, Options.MaxRetryDelay.TotalMilliseconds));
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta;
        }
        if (header?.Date is { } date)
        {
            return date - Options.TimeProvider.GetUtcNow();
        }
        return null;
    }

    private KubeConnectionException ConnectionError(HttpRequestException ex, string operation, int attempts)
    {
        var attemptsText = attempts > 1 ? $" (after {attempts} attempts)" : "";
        if (ex.InnerException is AuthenticationException auth)
        {
            var why = _lastTlsRejection ?? auth.Message;
            return new KubeConnectionException(ConnectionFailure.Tls, $"{operation} on {_server}: TLS handshake failed: {why}", ex);
        }
        var cause = ex.InnerException is SocketException se ? se.SocketErrorCode.ToString() : ex.Message;
        return new KubeConnectionException(ConnectionFailure.Unreachable, $"{operation} on {_server}: cannot connect: {cause}{attemptsText}", ex);
    }

    private SocketsHttpHandler CreateHandler(ClusterConnection connection, KubeClientOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = options.MaxConnections,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(90),
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
            ConnectTimeout = options.RequestTimeout,
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(15),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            EnableMultipleHttp2Connections = true,
            AutomaticDecompression = DecompressionMethods.GZip,
            UseProxy = false,
        };
        if (connection.TlsServerName is not null)
        {
            handler.SslOptions.TargetHost = connection.TlsServerName;
        }
        var roots = connection.CaCertificates();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
            ValidateServerCertificate(connection.InsecureSkipTlsVerify, roots, certificate, chain, errors);
        if (connection.ClientCertificatePem is not null && connection.ClientKeyPem is not null)
        {
            handler.SslOptions.ClientCertificates = [LoadClientCertificate(connection.ClientCertificatePem, connection.ClientKeyPem)];
        }
        return handler;
    }

    /// <summary>
    /// Trust only the given roots when a CA bundle is set (as kubectl does with certificate-authority-data),
    /// the system store otherwise, and anything only when insecureSkipTLSVerify is set.
    /// </summary>
    private bool ValidateServerCertificate(bool insecure, X509Certificate2Collection roots, X509Certificate? certificate,
        X509Chain? presented, SslPolicyErrors errors)
    {
        if (insecure)
        {
            return true;
        }
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            return Reject("no certificate presented");
        }
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            return Reject("the certificate does not name this server");
        }
        if (roots.Count == 0)
        {
            return errors == SslPolicyErrors.None || Reject("not trusted by the system roots (set caData)");
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }
        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        if (chain.Build(leaf))
        {
            return true;
        }
        var status = string.Join(", ", chain.ChainStatus.Select(s => s.Status.ToString()).Distinct());
        return Reject($"not signed by the configured CA ({status})");
    }

    private bool Reject(string reason)
    {
        _lastTlsRejection = reason;
        Log.CertificateRejected(_logger, _server, reason);
        return false;
    }

    private static X509Certificate2 LoadClientCertificate(string certPem, string keyPem)
    {
        try
        {
            using var ephemeral = X509Certificate2.CreateFromPem(certPem, keyPem);
            // Round-trip through PKCS#12 so that the private key is usable by the TLS stack on every platform.
            return X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null);
        }
        catch (CryptographicException ex)
        {
            throw new ClusterConnectionException($"client certificate or key: cannot be read as PEM ({ex.Message})", ex);
        }
    }
}
