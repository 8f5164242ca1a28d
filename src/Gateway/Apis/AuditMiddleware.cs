using Fleet.Abstractions.Resources;
using Fleet.Gateway.Services;

namespace Fleet.Gateway.Apis;

/// <summary>
/// Records every mutating API call (POST, PUT, PATCH, DELETE under <c>/api</c>) of an authenticated caller in the
/// audit log once it is answered: who, the verb (<c>create</c>, <c>update</c>, <c>delete</c>, or an action such as
/// <c>reconcile</c>; <c>(dry run)</c> when nothing was to be written), the object, and the status. Calls refused for
/// want of a valid token are not recorded (anyone could flood the log with them); the 401 counts in the request metric.
/// </summary>
internal sealed class AuditMiddleware(RequestDelegate next, AuditService audit)
{
    /// <summary>Collections that are not resource kinds: the kind their audit entries name.</summary>
    private static readonly Dictionary<string, string> FixedKinds = new(StringComparer.Ordinal)
    {
        ["tokens"] = "ApiToken",
        ["registrationtokens"] = "RegistrationToken",
        ["registrations"] = ResourceKinds.Cluster.Kind,
    };

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (!request.Path.StartsWithSegments("/api") || HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method))
        {
            await next(context);
            return;
        }
        var scope = AuditScope.Begin();
        try
        {
            await next(context);
        }
        finally
        {
            if (context.Items.TryGetValue(Caller.HttpItemKey, out var value) && value is Caller caller)
            {
                var (verb, kind, ns, name) = Describe(context, scope);
                // Recorded even when the client has gone away: the change may have been made.
                await audit.RecordAsync(caller, verb, kind, ns, name, context.Response.StatusCode, CancellationToken.None);
            }
        }
    }

    private static (string Verb, string Kind, string Namespace, string Name) Describe(HttpContext context, AuditScope scope)
    {
        var request = context.Request;
        var route = request.RouteValues;
        var segments = request.Path.Value!.Split('/', StringSplitOptions.RemoveEmptyEntries);
        // Resource routes are mapped per kind (/api/v1/namespaces/{ns}/clusters/...): the plural is a path segment.
        var plural = route["plural"] as string
            ?? (segments.Length >= 5 && segments[2] == "namespaces" && ResourceKinds.ByPlural(segments[4]) is not null ? segments[4] : null);
        var collection = plural ?? segments.LastOrDefault(FixedKinds.ContainsKey);
        var kind = scope.Kind
            ?? (plural is not null ? ResourceKinds.ByPlural(plural)?.Kind ?? plural : collection is not null ? FixedKinds[collection] : "");
        var ns = scope.Namespace ?? route["ns"] as string ?? "";
        var name = scope.Name ?? route["name"] as string ?? "";
        var last = segments.Length > 0 ? segments[^1] : "";
        var verb = scope.Verb ?? request.Method.ToUpperInvariant() switch
        {
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" => "delete",
            // A POST to a collection creates; a POST to anything else (an object's action, /apply) is that action.
            _ => last == collection || route.Values.Contains(last) ? "create" : last,
        };
        if (request.Query.ContainsKey("dryRun"))
        {
            verb += " (dry run)";
        }
        return (verb, kind, ns, name);
    }
}
