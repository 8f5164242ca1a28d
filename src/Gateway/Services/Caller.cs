namespace Fleet.Gateway.Services;

/// <summary>What a caller may do: read (<see cref="Viewer"/>), also change objects (<see cref="Operator"/>), also manage tokens and read the audit log (<see cref="Admin"/>).</summary>
public enum ApiRole
{
    Viewer,
    Operator,
    Admin,
}

/// <summary>
/// Who is calling the API and what they may touch. Every front end (REST, gRPC, console) turns its credentials into a
/// <see cref="Caller"/> and passes it to the services, which enforce the rules: a caller never sees what lies outside
/// its namespaces (it gets "not found", as Kubernetes does for tenants, not "forbidden").
/// </summary>
/// <param name="Subject">The token's name, written to the audit log.</param>
/// <param name="Role">What the caller may do.</param>
/// <param name="Namespaces">The namespaces the caller may touch; null means all.</param>
public sealed record Caller(string Subject, ApiRole Role, IReadOnlySet<string>? Namespaces)
{
    /// <summary>The HttpContext item key under which the authentication middleware leaves the caller.</summary>
    internal const string HttpItemKey = "fleet.caller";

    /// <summary>Fleet itself (start-up, tests of the services): everything, everywhere.</summary>
    public static Caller System { get; } = new("system:fleet", ApiRole.Admin, null);

    public bool IsAdmin => Role == ApiRole.Admin;

    /// <summary>Whether objects of namespace <paramref name="ns"/> exist for this caller.</summary>
    public bool CanSee(string ns) => Namespaces is null || Namespaces.Contains(ns);

    /// <summary>Whether this caller may create, change or delete objects in namespace <paramref name="ns"/>.</summary>
    public bool CanWrite(string ns) => Role >= ApiRole.Operator && CanSee(ns);

    /// <summary>Minimal API binding: endpoints take a <see cref="Caller"/> parameter; the authentication middleware has set it.</summary>
    public static ValueTask<Caller?> BindAsync(HttpContext context) =>
        ValueTask.FromResult(context.Items.TryGetValue(HttpItemKey, out var caller) ? caller as Caller : null);
}
