using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;

namespace Fleet.Gateway.Apis;

/// <summary>
/// Refuses requests a browser could be tricked into sending: a Host header the gateway does not serve (DNS
/// rebinding, 400), a mutating request carrying another site's <c>Origin</c> (cross-site request forgery, 403), and
/// bodies that are neither JSON nor YAML (415; form and text/plain posts need no CORS preflight). Webhooks keep
/// their providers' content types and are checked by their signatures instead.
/// </summary>
internal sealed partial class RequestGuard(RequestDelegate next, GatewayOptions options, ILogger<RequestGuard> logger)
{
    private static readonly string[] BodyTypes = ["application/json", "application/yaml", "application/x-yaml", "text/yaml", "application/merge-patch+json"];

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (!options.IsAllowedHost(request.Host) && !IsProbe(request.Path))
        {
            await Problems.BadRequest($"host \"{request.Host.Value}\" is not served here: add it to Fleet:Gateway:AllowedHosts").ExecuteAsync(context);
            return;
        }
        var mutating = !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method));
        if (mutating && request.Headers.Origin is { Count: > 0 } origin && !IsSameOrigin(origin.ToString(), request))
        {
            await Problems.Forbidden($"cross-site request from origin \"{origin}\" refused").ExecuteAsync(context);
            return;
        }
        var hasBody = request.ContentLength > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0);
        if (mutating && hasBody && !request.Path.StartsWithSegments("/hook") && !IsBodyType(request.ContentType))
        {
            var sent = string.IsNullOrEmpty(request.ContentType) ? "no content type" : $"content type \"{request.ContentType}\"";
            await Problems.UnsupportedMediaType($"{sent} is not accepted: send application/json or application/yaml").ExecuteAsync(context);
            return;
        }
        try
        {
            await next(context);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && !context.Response.HasStarted)
        {
            // The stack trace goes to the log; the client gets problem+json without .NET names.
            LogUnhandled(logger, ex, request.Method, request.Path);
            context.Response.Clear();
            await Problems.Status(StatusCodes.Status500InternalServerError, $"{request.Method} {request.Path} failed on the server; the silo's log has the details").ExecuteAsync(context);
            return;
        }
        var response = context.Response;
        if (response is { HasStarted: false, StatusCode: >= 400, ContentType: null, ContentLength: null })
        {
            // Unknown routes (404), wrong methods (405) and other bodiless errors from routing: problem+json too.
            var detail = response.StatusCode switch
            {
                StatusCodes.Status404NotFound => $"no API at {request.Method} {request.Path}",
                StatusCodes.Status405MethodNotAllowed => $"{request.Method} is not allowed on {request.Path}",
                _ => $"{request.Method} {request.Path} failed",
            };
            await Problems.Status(response.StatusCode, detail).ExecuteAsync(context);
        }
    }

    private static bool IsProbe(PathString path) => path == "/healthz" || path == "/readyz";

    private static bool IsBodyType(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var parsed)
        && BodyTypes.Contains(parsed.MediaType.Value, StringComparer.OrdinalIgnoreCase);

    private static bool IsSameOrigin(string origin, HttpRequest request) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri)
        && string.Equals(uri.Scheme, request.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled error answering {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception ex, string method, string path);
}
