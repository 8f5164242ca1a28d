namespace Fleet.Gateway.Services;

/// <summary>
/// What the API call in flight acts on, for its audit entry. A front end that audits around a whole call (the REST
/// middleware) opens a scope; the services name the object once they know it (a create by POST learns the name from
/// the body), so the entry never needs the body itself.
/// </summary>
internal sealed class AuditScope
{
    private static readonly AsyncLocal<AuditScope?> Current = new();

    public string? Verb { get; private set; }

    public string? Kind { get; private set; }

    public string? Namespace { get; private set; }

    public string? Name { get; private set; }

    /// <summary>Starts a scope for the calls that follow on this async flow.</summary>
    public static AuditScope Begin()
    {
        var scope = new AuditScope();
        Current.Value = scope;
        return scope;
    }

    /// <summary>Names the object (and, when not null, the verb) of the call in flight; nothing happens outside a scope.</summary>
    public static void Describe(string? verb, string kind, string ns, string name)
    {
        if (Current.Value is { } scope)
        {
            scope.Verb = verb ?? scope.Verb;
            scope.Kind = kind;
            scope.Namespace = ns;
            scope.Name = name;
        }
    }
}
