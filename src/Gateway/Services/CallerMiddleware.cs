using Fleet.Gateway.Apis;
using Microsoft.Net.Http.Headers;

namespace Fleet.Gateway.Services;

/// <summary>
/// Authenticates every API request (<c>/api/...</c>) from its <c>Authorization: Bearer</c> header and leaves the
/// <see cref="Caller"/> for the endpoints; a bad or missing token ends the request with 401. Webhooks (<c>/hook</c>)
/// and probes keep their own rules.
/// </summary>
internal sealed class CallerMiddleware(RequestDelegate next, IApiAuthenticator authenticator)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (!context.Request.Path.StartsWithSegments("/api"))
        {
            await next(context);
            return;
        }
        try
        {
            context.Items[Caller.HttpItemKey] = await authenticator.AuthenticateAsync(BearerToken(context.Request), context.RequestAborted);
        }
        catch (ApiException ex)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"fleet\"";
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
}
