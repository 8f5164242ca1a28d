using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Exceptions;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fleet.Kubernetes;

/// <summary>
/// A client of one cluster's API server on KubernetesClient: the connection is a <c>KubernetesClientConfiguration</c>
/// (kubeconfig contexts, tokens, token files, client certificates, CAs, exec plugins), requests go through the library's
/// HTTP pipeline and credentials, watches through its watcher, built-in API shapes (version, discovery, Status,
/// DeleteOptions) are its typed models. Objects of any kind are generic <see cref="JsonObject"/>s addressed through
/// discovery, since the library has no dynamic client for kinds it was not generated for.
/// Thread-safe; keep one per cluster.
/// </summary>
public sealed partial class KubeClient : IDisposable
{
    private readonly KubeApi _api;
    private readonly KubeTransportHandler _transport;
    private readonly ILogger _logger;
    private readonly Uri _server;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DiscoveryEntry> _discovery = new(StringComparer.Ordinal);

    public KubeClient(ClusterConnection connection, KubeClientOptions? options = null, ILogger<KubeClient>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        Connection = connection;
        Options = options ?? new KubeClientOptions();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _server = connection.Validate();
        var tls = new TlsRejections();
        _transport = new KubeTransportHandler(Options, tls, _server, _logger);
        try
        {
            _api = new KubeApi(connection.ToConfiguration(Options, tls, _logger), _transport);
        }
        catch (Exception ex) when (ex is KubeConfigException or System.Security.Cryptography.CryptographicException or FormatException)
        {
            _transport.Dispose();
            throw new ClusterConnectionException($"cluster connection: {ex.Message}", ex);
        }
    }

    public ClusterConnection Connection { get; }

    public KubeClientOptions Options { get; }

    public Uri Server => _server;

    /// <summary>HTTP requests sent so far (every attempt counts).</summary>
    public long RequestCount => _transport.Requests;

    internal TokenBucket? RateLimiter => _transport.RateLimiter;

    internal TimeSpan BackoffDelay(int attempt, TimeSpan? retryAfter) => _transport.BackoffDelay(attempt, retryAfter);

    public void Dispose()
    {
        _api.Dispose();
        _transport.Dispose();
    }

    /// <summary><c>GET /version</c>.</summary>
    public async Task<ServerVersion> GetVersionAsync(CancellationToken ct = default)
    {
        var v = await CallAsync("GET /version", () => _api.Version.GetCodeAsync(ct)).ConfigureAwait(false);
        return new ServerVersion(v.Major ?? "", v.Minor ?? "", v.GitVersion ?? "", v.Platform);
    }

    /// <summary>The object, or null when it does not exist.</summary>
    public async Task<JsonObject?> GetAsync(string apiVersion, string kind, string? ns, string name, CancellationToken ct = default)
    {
        var resource = await ResolveAsync(apiVersion, kind, ct).ConfigureAwait(false);
        var path = ResourcePath(resource, ns, name);
        try
        {
            var (_, body) = await SendAsync<JsonObject>(HttpMethod.Get, path, null, $"GET {path}", ct).ConfigureAwait(false);
            return body;
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
            var (_, list) = await SendAsync<JsonObject>(HttpMethod.Get, basePath + query, null, $"LIST {basePath}", ct).ConfigureAwait(false);
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
    /// WATCH from a resourceVersion, read by KubernetesClient's watcher. Ends when the server closes the stream (its
    /// time-out) or <paramref name="ct"/> fires; an ERROR event (for example 410 Gone) is thrown as <see cref="KubeApiException"/>.
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
        var response = await CallAsync(operation, () => _api.OpenWatchAsync<JsonObject>(basePath + query, ct)).ConfigureAwait(false);
        if (response is null)
        {
            yield break;
        }
        using var _ = response;
        Exception? error = null;
#pragma warning disable CS0618 // The library marks this generic watch obsolete in favour of typed Watch*Async methods, which exist only for built-in kinds.
        var events = Task.FromResult(response).WatchAsync<JsonObject, JsonObject>(e => error ??= e, ct);
#pragma warning restore CS0618
        await foreach (var (type, obj) in events.ConfigureAwait(false))
        {
            if (error is not null)
            {
                break;
            }
            obj["apiVersion"] ??= resource.ApiVersion;
            obj["kind"] ??= resource.Kind;
            yield return new WatchEvent(type.ToString().ToUpperInvariant(), obj);
        }
        switch (error)
        {
            case null:
                break;
            case KubernetesException k when k.Status is { } status:
                throw new KubeApiException(operation, KubeStatus.From(status, (int)(status.Code ?? 500)));
            default:
                throw new KubeApiException($"{operation}: {error.Message}", error);
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
        // The library writes a string patch as it is: no second serialisation of the object.
        var patch = new V1Patch(obj.ToJsonString(), V1Patch.PatchType.ApplyPatch);
        var (status, body) = await SendAsync<JsonObject>(HttpMethod.Patch, path + query, patch, $"apply {r}", ct).ConfigureAwait(false);
        return new ApplyResponse(body, status == HttpStatusCode.Created);
    }

    /// <summary>DELETE with a propagation policy; false when the object was already gone.</summary>
    public async Task<bool> DeleteAsync(string apiVersion, string kind, string? ns, string name,
        PropagationPolicy propagation = PropagationPolicy.Background, CancellationToken ct = default)
    {
        var resource = await ResolveAsync(apiVersion, kind, ct).ConfigureAwait(false);
        var path = ResourcePath(resource, ns, name);
        var options = new V1DeleteOptions { ApiVersion = "v1", Kind = "DeleteOptions", PropagationPolicy = propagation.ToString() };
        try
        {
            await SendAsync<JsonObject>(HttpMethod.Delete, $"{path}?propagationPolicy={propagation}", options, $"DELETE {path}", ct).ConfigureAwait(false);
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

    /// <summary>One request through the library's pipeline, its answer read as <typeparamref name="T"/>.</summary>
    internal Task<(HttpStatusCode Status, T Body)> SendAsync<T>(HttpMethod method, string pathAndQuery, object? body, string operation,
        CancellationToken ct) =>
        CallAsync(operation, () => _api.SendAsync<T>(method, pathAndQuery, body, ct));

    /// <summary>Runs one library call and turns its failures into Fleet's exceptions, naming the operation.</summary>
    private static async Task<T> CallAsync<T>(string operation, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (HttpOperationException ex)
        {
            throw new KubeApiException(operation, KubeStatus.Parse((int)(ex.Response?.StatusCode ?? 0), ex.Response?.Content));
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new KubeApiException($"{operation}: the server answered with invalid JSON ({ex.Message})", ex);
        }
        catch (KubeConfigException ex)
        {
            // For example an exec credential plugin that failed when its token was refreshed.
            throw new KubeConnectionException(ConnectionFailure.Unreachable, $"{operation}: credentials: {ex.Message}", ex);
        }
    }
}

/// <summary>
/// KubernetesClient's client with its generic request primitive opened up: <c>SendRequest</c> (credentials, TLS server
/// name, the handler pipeline, Status errors) and <c>CreateResultAsync</c> (JSON or a watch stream) are protected, and
/// the generated operations cover built-in kinds only.
/// </summary>
internal sealed class KubeApi : k8s.Kubernetes
{
    public KubeApi(KubernetesClientConfiguration configuration, params DelegatingHandler[] handlers)
        : base(configuration, handlers)
    {
    }

    public async Task<(HttpStatusCode, T)> SendAsync<T>(HttpMethod method, string pathAndQuery, object? body, CancellationToken ct)
    {
        // Relative to BaseUri, so that a server behind a proxy path (https://proxy/k8s/clusters/c1) keeps its prefix.
        using var response = await SendRequest(pathAndQuery.TrimStart('/'), method, null, body, ct).ConfigureAwait(false);
        var result = await CreateResultAsync<T>(response.RequestMessage!, response, false, ct).ConfigureAwait(false);
        return (response.StatusCode, result.Body);
    }

    /// <summary>The open watch stream, or null when the server closed it without a single event.</summary>
    public async Task<HttpOperationResponse<T>?> OpenWatchAsync<T>(string pathAndQuery, CancellationToken ct)
    {
        var response = await SendRequest<object?>(pathAndQuery.TrimStart('/'), HttpMethod.Get, null, null, ct).ConfigureAwait(false);
        try
        {
            return await CreateResultAsync<T>(response.RequestMessage!, response, true, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException ex) when (ex.InnerException is EndOfStreamException)
        {
            // The library peeks at the first line of a watch and fails on an empty stream, which a server may send.
            response.Dispose();
            return null;
        }
    }
}
