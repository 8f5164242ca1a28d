using System.Text.Json.Nodes;
using Fleet.Abstractions;
using Fleet.Abstractions.Resources;
using Fleet.Gateway.Resources;
using Fleet.Gateway.Security;
using Fleet.Store;

namespace Fleet.Gateway.Services;

/// <summary>A request for a new API token. <see cref="Namespaces"/> null means all namespaces; no expiry means it never expires.</summary>
public sealed record ApiTokenRequest(string? Name, string? Role, IReadOnlyList<string>? Namespaces, TimeSpan? ExpiresIn);

/// <summary>A request for a new cluster registration token of a namespace.</summary>
public sealed record RegistrationTokenRequest(string? Name, TimeSpan? ExpiresIn, int? MaxUses, IReadOnlyDictionary<string, string>? ClusterLabels);

/// <summary>What a cluster sends to register itself: its name, API server URL, CA bundle (PEM) and a service-account token.</summary>
public sealed record ClusterRegistration(string? Name, string? Server, string? CaData, string? Token, IReadOnlyDictionary<string, string>? Labels);

/// <summary>A created token: its record and the bearer string, which is shown this once and never again.</summary>
public sealed record CreatedToken<T>(T Record, string Secret);

/// <summary>A registered cluster: the Cluster and its credentials Secret as stored, and who registered it.</summary>
public sealed record RegisteredCluster(StoredResource Cluster, StoredResource Secret, Caller Registrar);

/// <summary>
/// API tokens and cluster registration tokens, for every front end. Only admins manage tokens; an admin limited to
/// some namespaces can neither see nor grant beyond them. Secrets are made here, returned once, and only their
/// hashes are stored.
/// </summary>
public sealed class TokenService
{
    /// <summary>Registration tokens expire after a day unless asked otherwise.</summary>
    public static readonly TimeSpan DefaultRegistrationExpiry = TimeSpan.FromDays(1);

    private readonly ITokenStore _store;
    private readonly TimeProvider _time;
    private readonly RequestReader _reader;
    private readonly TokenAuthenticator _authenticator;

    internal TokenService(ITokenStore store, TimeProvider time, RequestReader reader, TokenAuthenticator authenticator)
    {
        _store = store;
        _time = time;
        _reader = reader;
        _authenticator = authenticator;
    }

    public async Task<CreatedToken<ApiTokenRecord>> CreateApiTokenAsync(Caller caller, ApiTokenRequest request, CancellationToken ct)
    {
        AuditScope.Describe(null, "ApiToken", "", request.Name ?? "");
        RequireAdmin(caller, "create API tokens");
        var errors = new List<FieldError>();
        errors.AddRange(ResourceValidation.ValidateNamespace(request.Name, "name").Select(e => e with { Message = e.Message.Replace("namespace", "token name", StringComparison.Ordinal) }));
        var role = ApiRoles.Parse(request.Role);
        if (role is null)
        {
            errors.Add(new FieldError("role", $"must be viewer, operator or admin, not \"{request.Role}\""));
        }
        if (request.Namespaces is { } namespaces)
        {
            if (namespaces.Count == 0)
            {
                errors.Add(new FieldError("namespaces", "must name at least one namespace (leave it out for all namespaces)"));
            }
            for (var i = 0; i < namespaces.Count; i++)
            {
                errors.AddRange(ResourceValidation.ValidateNamespace(namespaces[i], $"namespaces[{i}]"));
            }
        }
        if (request.ExpiresIn is { } expiresIn && expiresIn <= TimeSpan.Zero)
        {
            errors.Add(new FieldError("expiresIn", "must be positive"));
        }
        Invalid("API token", request.Name, errors);
        if (caller.Namespaces is not null)
        {
            // An admin limited to some namespaces grants only within them.
            if (request.Namespaces is null)
            {
                throw new ApiException(ApiErrorKind.Forbidden, $"{caller.Subject} may only grant its own namespaces ({string.Join(", ", caller.Namespaces.Order(StringComparer.Ordinal))}), not all namespaces");
            }
            var beyond = request.Namespaces.Where(n => !caller.CanSee(n)).ToList();
            if (beyond.Count > 0)
            {
                throw new ApiException(ApiErrorKind.Forbidden, $"{caller.Subject} may not grant namespaces it lacks: {string.Join(", ", beyond)}");
            }
        }
        var now = _time.GetUtcNow();
        var secret = TokenSecret.New(TokenSecret.ApiPrefix);
        var record = new ApiTokenRecord(secret.Id, request.Name!, ApiRoles.Name(role!.Value), request.Namespaces?.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList(), secret.Hash(),
            request.ExpiresIn is { } e ? now + e : null, null, caller.Subject, now);
        if (!await _store.CreateApiTokenAsync(record, ct))
        {
            throw new ApiException(ApiErrorKind.AlreadyExists, $"an API token named \"{request.Name}\" exists; revoke it first or choose another name");
        }
        return new CreatedToken<ApiTokenRecord>(record, secret.Text);
    }

    /// <summary>The API tokens this admin may see (a namespace-limited admin: those limited to its namespaces), revoked ones included.</summary>
    public async Task<IReadOnlyList<ApiTokenRecord>> ListApiTokensAsync(Caller caller, CancellationToken ct)
    {
        RequireAdmin(caller, "list API tokens");
        return (await _store.ListApiTokensAsync(ct)).Where(t => Manages(caller, t)).ToList();
    }

    /// <summary>Revokes the active token named <paramref name="name"/>; it stops working at once on this gateway and within a second on the others.</summary>
    public async Task RevokeApiTokenAsync(Caller caller, string name, CancellationToken ct)
    {
        RequireAdmin(caller, "revoke API tokens");
        var active = (await _store.ListApiTokensAsync(ct)).FirstOrDefault(t => t.Name == name && t.RevokedAt is null);
        if (active is null || !Manages(caller, active))
        {
            throw new ApiException(ApiErrorKind.NotFound, $"API token \"{name}\" not found (or already revoked)");
        }
        var revoked = await _store.RevokeApiTokenAsync(name, _time.GetUtcNow(), ct)
            ?? throw new ApiException(ApiErrorKind.NotFound, $"API token \"{name}\" not found (or already revoked)");
        _authenticator.Forget(revoked.Id);
    }

    public async Task<CreatedToken<RegistrationTokenRecord>> CreateRegistrationTokenAsync(Caller caller, string ns, RegistrationTokenRequest request, CancellationToken ct)
    {
        AuditScope.Describe(null, "RegistrationToken", ns, request.Name ?? "");
        RequireNamespaceAdmin(caller, ns, "create registration tokens");
        var errors = new List<FieldError>();
        errors.AddRange(ResourceValidation.ValidateNamespace(ns, "namespace"));
        errors.AddRange(ResourceValidation.ValidateName(request.Name, "name"));
        if (request.ExpiresIn is { } expiresIn && expiresIn <= TimeSpan.Zero)
        {
            errors.Add(new FieldError("expiresIn", "must be positive"));
        }
        if (request.MaxUses is < 1 or > 10_000)
        {
            errors.Add(new FieldError("maxUses", "must be between 1 and 10000"));
        }
        errors.AddRange(ResourceValidation.ValidateLabels(request.ClusterLabels, "clusterLabels"));
        Invalid("registration token", request.Name, errors);
        var now = _time.GetUtcNow();
        var secret = TokenSecret.New(TokenSecret.RegistrationPrefix);
        var record = new RegistrationTokenRecord(secret.Id, ns, request.Name!, secret.Hash(), now + (request.ExpiresIn ?? DefaultRegistrationExpiry), request.MaxUses ?? 1, 0,
            request.ClusterLabels ?? new Dictionary<string, string>(), null, caller.Subject, now);
        if (!await _store.CreateRegistrationTokenAsync(record, ct))
        {
            throw new ApiException(ApiErrorKind.AlreadyExists, $"a registration token named \"{request.Name}\" exists in namespace {ns}; revoke it first or choose another name");
        }
        return new CreatedToken<RegistrationTokenRecord>(record, secret.Text);
    }

    public async Task<IReadOnlyList<RegistrationTokenRecord>> ListRegistrationTokensAsync(Caller caller, string ns, CancellationToken ct)
    {
        RequireNamespaceAdmin(caller, ns, "list registration tokens");
        return await _store.ListRegistrationTokensAsync(ns, ct);
    }

    public async Task RevokeRegistrationTokenAsync(Caller caller, string ns, string name, CancellationToken ct)
    {
        RequireNamespaceAdmin(caller, ns, "revoke registration tokens");
        if (!await _store.RevokeRegistrationTokenAsync(ns, name, _time.GetUtcNow(), ct))
        {
            throw new ApiException(ApiErrorKind.NotFound, $"registration token {ns}/{name} not found (or already revoked)");
        }
    }

    /// <summary>
    /// Registers a cluster with a registration token (not an API token): checks the token, validates the Cluster and
    /// its credentials Secret as a PUT would (link-local and metadata servers refused), then takes one use of the
    /// token and creates both objects in one transaction. A wrong, revoked, expired or used-up token creates nothing.
    /// </summary>
    public async Task<RegisteredCluster> RegisterClusterAsync(string? bearerToken, ClusterRegistration registration, CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        var token = await CheckRegistrationTokenAsync(bearerToken, now, ct);
        var registrar = Registrar(token);
        var ns = token.Namespace;
        AuditScope.Describe("register", ResourceKinds.Cluster.Kind, ns, registration.Name ?? "");
        var errors = new List<FieldError>();
        errors.AddRange(ResourceValidation.ValidateName(registration.Name, "name"));
        if (string.IsNullOrEmpty(registration.Token))
        {
            errors.Add(new FieldError("token", "is required: the service-account token Fleet uses to reach the cluster"));
        }
        if (string.IsNullOrEmpty(registration.Server))
        {
            errors.Add(new FieldError("server", "is required: the cluster's API server URL"));
        }
        Invalid("registration", registration.Name, errors);

        var secretName = registration.Name + "-credentials";
        var labels = new Dictionary<string, string>(registration.Labels ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        foreach (var (k, v) in token.ClusterLabels)
        {
            labels[k] = v;
        }
        var secret = Validate(ResourceKinds.Secret, ns, secretName, new JsonObject
        {
            ["apiVersion"] = "fleet.dev/v1",
            ["kind"] = "Secret",
            ["metadata"] = new JsonObject { ["name"] = secretName },
            ["stringData"] = new JsonObject { ["token"] = registration.Token },
        });
        var labelJson = new JsonObject();
        foreach (var (k, v) in labels)
        {
            labelJson[k] = v;
        }
        var spec = new JsonObject { ["server"] = registration.Server, ["credentialsRef"] = new JsonObject { ["name"] = secretName } };
        if (!string.IsNullOrEmpty(registration.CaData))
        {
            spec["caData"] = registration.CaData;
        }
        var cluster = Validate(ResourceKinds.Cluster, ns, registration.Name!, new JsonObject
        {
            ["apiVersion"] = "fleet.dev/v1",
            ["kind"] = "Cluster",
            ["metadata"] = new JsonObject { ["name"] = registration.Name, ["labels"] = labelJson },
            ["spec"] = spec,
        });

        var result = await _store.RegisterAsync(token.Id, now, [ToNew(ResourceKinds.Secret, ns, secret), ToNew(ResourceKinds.Cluster, ns, cluster)], ct);
        return result.Outcome switch
        {
            RegistrationOutcome.Registered => new RegisteredCluster(result.Created[1], result.Created[0], registrar),
            RegistrationOutcome.AlreadyExists => throw new ApiException(ApiErrorKind.AlreadyExists, $"{result.Existing} already exists: nothing was created and the token's use was not taken"),
            _ => throw new ApiException(ApiErrorKind.Unauthenticated, $"registration token \"{token.Name}\" is used up"),
        };
    }

    /// <summary>Who a registration token stands for (for the audit log): throws 401 as <see cref="RegisterClusterAsync"/> would for a token that is not usable.</summary>
    public async Task<Caller> CheckRegistrationAsync(string? bearerToken, CancellationToken ct) =>
        Registrar(await CheckRegistrationTokenAsync(bearerToken, _time.GetUtcNow(), ct));

    private static Caller Registrar(RegistrationTokenRecord token) =>
        new($"registration:{token.Namespace}/{token.Name}", ApiRole.Operator, new HashSet<string>(StringComparer.Ordinal) { token.Namespace });

    private async Task<RegistrationTokenRecord> CheckRegistrationTokenAsync(string? bearerToken, DateTimeOffset now, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(bearerToken))
        {
            throw new ApiException(ApiErrorKind.Unauthenticated, "missing bearer token: send the header \"Authorization: Bearer <registration token>\"");
        }
        var parsed = TokenSecret.Parse(bearerToken, TokenSecret.RegistrationPrefix)
            ?? throw new ApiException(ApiErrorKind.Unauthenticated, "malformed registration token: registration tokens have the form fleetreg_<16 hex digits>_<64 hex digits>");
        var token = await _store.GetRegistrationTokenAsync(parsed.Id, ct);
        if (token is null || !parsed.Matches(token.SecretHash))
        {
            throw new ApiException(ApiErrorKind.Unauthenticated, "unknown registration token");
        }
        if (token.RevokedAt is not null)
        {
            throw new ApiException(ApiErrorKind.Unauthenticated, $"registration token \"{token.Name}\" was revoked");
        }
        if (token.ExpiresAt <= now)
        {
            throw new ApiException(ApiErrorKind.Unauthenticated, $"registration token \"{token.Name}\" has expired");
        }
        if (token.Uses >= token.MaxUses)
        {
            throw new ApiException(ApiErrorKind.Unauthenticated, $"registration token \"{token.Name}\" is used up");
        }
        return token;
    }

    private ValidObject Validate(ResourceKind kind, string ns, string name, JsonObject body)
    {
        var read = _reader.Read(body, kind, ns, name);
        return read.Object ?? throw new ApiException(ApiErrorKind.Invalid, $"registration of cluster \"{name}\" is invalid: {string.Join("; ", read.Errors)}", read.Errors);
    }

    private static ResourceWrite ToNew(ResourceKind kind, string ns, ValidObject o) => new(kind.Kind, ns, o.Name, o.Labels, o.Annotations, o.SpecJson, 0);

    /// <summary>Whether an admin may see and revoke a token: all-namespace admins every one, others those limited to their namespaces.</summary>
    private static bool Manages(Caller caller, ApiTokenRecord token) =>
        caller.Namespaces is null || (token.Namespaces is { Count: > 0 } granted && granted.All(caller.CanSee));

    private static void RequireAdmin(Caller caller, string what)
    {
        if (!caller.IsAdmin)
        {
            throw new ApiException(ApiErrorKind.Forbidden, $"{caller.Subject} ({ApiRoles.Name(caller.Role)}) may not {what}: admins only");
        }
    }

    private static void RequireNamespaceAdmin(Caller caller, string ns, string what)
    {
        if (!caller.CanSee(ns))
        {
            throw new ApiException(ApiErrorKind.NotFound, $"namespace {ns} not found");
        }
        RequireAdmin(caller, what);
    }

    private static void Invalid(string what, string? name, List<FieldError> errors)
    {
        if (errors.Count > 0)
        {
            throw new ApiException(ApiErrorKind.Invalid, $"{what}{(name is null ? "" : $" \"{name}\"")} is invalid: {string.Join("; ", errors)}", errors);
        }
    }
}
