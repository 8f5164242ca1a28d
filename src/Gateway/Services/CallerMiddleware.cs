using System.Text;
using Fleet.Gateway.Apis;
using Microsoft.Net.Http.Headers;

namespace Fleet.Gateway.Services;

/// <summary>
/// Authenticates every API request (<c>/api/...</c>) from its <c>Authorization: Bearer</c> header and leaves the
/// <see cref="Caller"/> for the endpoints; a bad or missing token ends the request with 401. Cluster registration
/// (<c>POST /api/v1/registrations</c>) checks its own registration token instead. The Orleans Dashboard
/// (<c>/orleans</c>, when enabled) needs an admin token, as a bearer token or as the password of HTTP Basic
/// authentication (which browsers prompt for). Webhooks (<c>/hook</c>) and probes keep their own rules.
/// </summary>
internal sealed class CallerMiddleware(RequestDelegate next, IApiAuthenticator authenticator)
{
    public const string DashboardPath = "/orleans";

    public async Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path;
        var dashboard = path.StartsWithSegments(DashboardPath);
        if (!(path.StartsWithSegments("/api") || dashboard) || path.StartsWithSegments(RegistrationsApi.Path))
        {
            await next(context);
            return;
        }
        try
        {
            var caller = await authenticator.AuthenticateAsync(dashboard ? BearerOrBasicPassword(context.Request) : BearerToken(context.Request), context.RequestAborted);
            if (dashboard && !caller.IsAdmin)
            {
                await Problems.Forbidden($"{caller.Subject} ({ApiRoles.Name(caller.Role)}) may not open the Orleans Dashboard: admins only").ExecuteAsync(context);
                return;
            }
            context.Items[Caller.HttpItemKey] = caller;
        }
        catch (ApiException ex)
        {
            context.Response.Headers.WWWAuthenticate = dashboard ? "Basic realm=\"fleet\", charset=\"UTF-8\"" : "Bearer realm=\"fleet\"";
            await Problems.From(ex).ExecuteAsync(context);
            return;
        }
        await next(context);
    }

    /// <summary>The token of an <c>Authorization: Bearer ...</c> header, or null.</summary>
    public static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers[HeaderNames.Authorization].ToString();
        const string scheme = "Bearer ";
        return header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? header[scheme.Length..].Trim() : null;
    }

    /// <summary>A bearer token, or the password of <c>Authorization: Basic</c> (any user name), or null.</summary>
    private static string? BearerOrBasicPassword(HttpRequest request)
    {
        var header = request.Headers[HeaderNames.Authorization].ToString();
        const string scheme = "Basic ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return BearerToken(request);
        }
        try
        {
            var pair = Encoding.UTF8.GetString(Convert.FromBase64String(header[scheme.Length..].Trim()));
            var colon = pair.IndexOf(':', StringComparison.Ordinal);
            return colon < 0 ? null : pair[(colon + 1)..];
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
