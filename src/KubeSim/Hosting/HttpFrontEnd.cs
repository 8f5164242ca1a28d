using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Fleet.KubeSim.Admin;
using Fleet.KubeSim.Api;
using Fleet.KubeSim.Json;
using Fleet.KubeSim.Store;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Fleet.KubeSim.Hosting;

/// <summary>
/// The one request handler behind Kestrel: routes <c>/clusters/NAME/…</c> to the cluster's API (after
/// bearer-token authentication, fault injection and the 3 MiB body limit) and <c>/_sim/…</c> to the admin
/// API. Routing by hand keeps the per-request cost low enough for thousands of requests a second.
/// </summary>
internal sealed partial class HttpFrontEnd
{
    private readonly ClusterRegistry _clusters;
    private readonly KubeApi _api;
    private readonly AdminApi _admin;
    private readonly KubeSimOptions _options;
    private readonly ILogger _log;
    private readonly byte[] _token;
    private readonly byte[]? _readOnlyToken;

    public HttpFrontEnd(ClusterRegistry clusters, KubeApi api, AdminApi admin, KubeSimOptions options, ILogger log)
    {
        _clusters = clusters;
        _api = api;
        _admin = admin;
        _options = options;
        _log = log;
        _token = Encoding.UTF8.GetBytes(options.Token);
        _readOnlyToken = options.ReadOnlyToken is { Length: > 0 } ro ? Encoding.UTF8.GetBytes(ro) : null;
    }

    private enum Access
    {
        None,
        ReadOnly,
        Full,
    }

    public async Task HandleAsync(HttpContext ctx)
    {
        var path = ctx.Request.Path.Value ?? "/";
        try
        {
            if (path.StartsWith("/clusters/", StringComparison.Ordinal))
            {
                await ClusterRequest(ctx, path);
                return;
            }

            if (path is "/healthz" or "/readyz" or "/livez")
            {
                await Write(ctx, new ApiResponse(200, "ok"u8.ToArray(), "text/plain; charset=utf-8"));
                return;
            }

            var access = Authenticate(ctx);
            if (access == Access.None)
            {
                await Write(ctx, Unauthorized());
                return;
            }

            if (path == "/version")
            {
                await Write(ctx, KubeApi.Json(200, Discovery.Version()));
                return;
            }

            if (path.StartsWith("/_sim/", StringComparison.Ordinal) || path == "/_sim")
            {
                var body = await ReadBody(ctx);
                if (body is null)
                {
                    await Write(ctx, TooLarge());
                    return;
                }

                await Write(ctx, await _admin.HandleAsync(ctx.Request.Method, Segments(path)[1..], Query(ctx), body, access == Access.ReadOnly));
                return;
            }

            await Write(ctx, KubeApi.Error(new KubeException(404, "NotFound",
                $"the server could not find the requested resource: clusters are served under /clusters/NAME, the admin API under /_sim/ (asked for {path})")));
        }
        catch (KubeException e)
        {
            if (!ctx.Response.HasStarted)
            {
                await Write(ctx, KubeApi.Error(e));
            }
        }
        catch (Exception e) when (e is not OperationCanceledException && !ctx.Response.HasStarted)
        {
            LogRequestFailed(_log, e, ctx.Request.Method, path);
            await Write(ctx, KubeApi.Error(new KubeException(500, "InternalError", $"Internal error occurred: {e.Message}")));
        }
    }

    private async Task ClusterRequest(HttpContext ctx, string path)
    {
        var segments = Segments(path);
        if (segments.Length < 2)
        {
            await Write(ctx, KubeApi.Error(new KubeException(404, "NotFound", "the server could not find the requested resource: no cluster name in the path")));
            return;
        }

        var cluster = _clusters.Find(segments[1]);
        var access = Authenticate(ctx);
        if (access == Access.None && cluster is not null && BearerToken(ctx) is { } presented
            && _api.Tokens.Authenticates(cluster, presented, _options.TimeProvider.GetUtcNow()))
        {
            // A service-account token from the cluster's TokenRequest API: KubeSim has no authorization, so full access.
            access = Access.Full;
        }

        if (access == Access.None)
        {
            await Write(ctx, Unauthorized());
            return;
        }

        if (cluster is null)
        {
            await Write(ctx, KubeApi.Error(new KubeException(404, "NotFound", $"cluster \"{segments[1]}\" not found")));
            return;
        }

        var faults = cluster.Faults;
        switch (faults.Down)
        {
            case DownMode.Refuse:
                ctx.Abort();
                return;
            case DownMode.Unavailable:
                await Write(ctx, KubeApi.Error(new KubeException(503, "ServiceUnavailable", $"the server is currently unable to handle the request (cluster \"{cluster.Name}\" is down)")));
                return;
        }

        if (faults.Latency > TimeSpan.Zero)
        {
            await Task.Delay(faults.Latency, _options.TimeProvider, ctx.RequestAborted);
        }

        var method = ctx.Request.Method;
        if (faults.WriteFailureRate > 0 && method is "POST" or "PUT" or "PATCH" or "DELETE" && Random.Shared.NextDouble() < faults.WriteFailureRate)
        {
            await Write(ctx, KubeApi.Error(new KubeException(500, "InternalError", "Internal error occurred: simulated write failure (fault injection)")));
            return;
        }

        var body = await ReadBody(ctx);
        if (body is null)
        {
            await Write(ctx, TooLarge());
            return;
        }

        var request = new ApiRequest(method, segments[2..], Query(ctx), ctx.Request.ContentType, ctx.Request.Headers.Accept.ToString(),
            body, ctx.Request.Headers.UserAgent.ToString(), access == Access.ReadOnly);

        if (method == "GET" && IsWatch(cluster, request, out var target))
        {
            cluster.Count(Verb.Watch);
            await WatchStreamer.RunAsync(ctx, cluster, target!, request, _options);
            return;
        }

        await Write(ctx, _api.Handle(cluster, request));
    }

    private bool IsWatch(SimCluster c, ApiRequest r, out ApiTarget? target)
    {
        target = null;
        var s = r.Segments;
        string group, version;
        string[] rest;
        if (s.Length >= 3 && s[0] == "api")
        {
            (group, version, rest) = (string.Empty, s[1], s[2..]);
        }
        else if (s.Length >= 4 && s[0] == "apis")
        {
            (group, version, rest) = (s[1], s[2], s[3..]);
        }
        else
        {
            return false;
        }

        var legacy = rest.Length > 0 && rest[0] == "watch";
        if (!legacy && r.Q("watch") is not ("true" or "1"))
        {
            return false;
        }

        _api.EnsureInitialized(c);
        target = KubeApi.ResolveTarget(c, group, version, rest);
        if (target.Name is not null)
        {
            throw KubeException.MethodNotAllowed("watch of a single object by path; use fieldSelector=metadata.name=NAME");
        }

        return true;
    }

    private static string? BearerToken(HttpContext ctx)
    {
        var header = ctx.Request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
    }

    private Access Authenticate(HttpContext ctx)
    {
        if (BearerToken(ctx) is not { } token)
        {
            return Access.None;
        }

        var presented = Encoding.UTF8.GetBytes(token);
        if (CryptographicOperations.FixedTimeEquals(presented, _token))
        {
            return Access.Full;
        }

        return _readOnlyToken is not null && CryptographicOperations.FixedTimeEquals(presented, _readOnlyToken)
            ? Access.ReadOnly
            : Access.None;
    }

    private static ApiResponse Unauthorized() =>
        KubeApi.Error(new KubeException(401, "Unauthorized", "Unauthorized"));

    private static ApiResponse TooLarge() =>
        KubeApi.Error(new KubeException(413, "RequestEntityTooLarge", $"Request entity too large: limit is {KubeApi.MaxBodyBytes}"));

    private static string[] Segments(string path) => path.Split('/', StringSplitOptions.RemoveEmptyEntries);

    private static Dictionary<string, string> Query(HttpContext ctx)
    {
        var q = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in ctx.Request.Query)
        {
            q[k] = v.ToString();
        }

        return q;
    }

    /// <summary>Reads the body up to the API server's 3 MiB limit; null when it is larger.</summary>
    private static async Task<byte[]?> ReadBody(HttpContext ctx)
    {
        var request = ctx.Request;
        if (request.ContentLength is > KubeApi.MaxBodyBytes)
        {
            return null;
        }

        if (request.ContentLength == 0 || (request.ContentLength is null && !request.Headers.ContainsKey("Transfer-Encoding")))
        {
            return [];
        }

        var buffer = new ArrayBufferWriter<byte>(request.ContentLength is { } len ? (int)len : 4096);
        while (true)
        {
            var memory = buffer.GetMemory(8192);
            var read = await request.Body.ReadAsync(memory, ctx.RequestAborted);
            if (read == 0)
            {
                break;
            }

            buffer.Advance(read);
            if (buffer.WrittenCount > KubeApi.MaxBodyBytes)
            {
                return null;
            }
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static async Task Write(HttpContext ctx, ApiResponse r)
    {
        var response = ctx.Response;
        response.StatusCode = r.Status;
        response.ContentType = r.ContentType;
        response.ContentLength = r.Body.Length;
        foreach (var warning in r.Warnings ?? [])
        {
            response.Headers.Append("Warning", $"299 - \"{warning.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\"");
        }

        if (ctx.Request.Method != "HEAD")
        {
            await response.Body.WriteAsync(r.Body, ctx.RequestAborted);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Request {Method} {Path} failed")]
    private static partial void LogRequestFailed(ILogger logger, Exception e, string method, string path);
}
