namespace Fleet.Store;

/// <summary>
/// An API token as stored: who it is, what it may do, and the SHA-256 of its secret (never the secret itself).
/// <see cref="Role"/> is <c>viewer</c>, <c>operator</c> or <c>admin</c>; <see cref="Namespaces"/> null means all.
/// </summary>
public sealed record ApiTokenRecord(
    string Id,
    string Name,
    string Role,
    IReadOnlyList<string>? Namespaces,
    string SecretHash,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? RevokedAt,
    string CreatedBy,
    DateTimeOffset CreatedAt)
{
    /// <summary>Neither revoked nor expired at <paramref name="now"/>.</summary>
    public bool IsActive(DateTimeOffset now) => RevokedAt is null && (ExpiresAt is null || ExpiresAt > now);
}

/// <summary>
/// A cluster registration token of one namespace: how many clusters it may still register, until when, and the labels
/// stamped on each; only the SHA-256 of its secret is stored.
/// </summary>
public sealed record RegistrationTokenRecord(
    string Id,
    string Namespace,
    string Name,
    string SecretHash,
    DateTimeOffset ExpiresAt,
    int MaxUses,
    int Uses,
    IReadOnlyDictionary<string, string> ClusterLabels,
    DateTimeOffset? RevokedAt,
    string CreatedBy,
    DateTimeOffset CreatedAt)
{
    /// <summary>Not revoked, not expired and not used up at <paramref name="now"/>.</summary>
    public bool IsUsable(DateTimeOffset now) => RevokedAt is null && ExpiresAt > now && Uses < MaxUses;
}

/// <summary>What <see cref="ITokenStore.RegisterAsync"/> did.</summary>
public enum RegistrationOutcome
{
    /// <summary>One use of the token was taken and every object created.</summary>
    Registered,

    /// <summary>The token is unknown, revoked, expired or used up: nothing was created.</summary>
    TokenNotUsable,

    /// <summary>One of the objects exists already: nothing was created and the use was not taken.</summary>
    AlreadyExists,
}

/// <summary>The outcome of a registration; <see cref="Existing"/> names the object that was in the way.</summary>
public sealed record RegistrationResult(RegistrationOutcome Outcome, IReadOnlyList<StoredResource> Created, string? Existing = null);

/// <summary>
/// API tokens and cluster registration tokens. Kept in tables of their own rather than as API objects, so that no
/// generic object API can ever list a secret's hash, and so that taking a registration use and creating the
/// cluster's objects is one database transaction.
/// </summary>
public interface ITokenStore
{
    /// <summary>Stores a new API token; false when an unrevoked token of that name exists.</summary>
    Task<bool> CreateApiTokenAsync(ApiTokenRecord token, CancellationToken ct = default);

    Task<ApiTokenRecord?> GetApiTokenAsync(string id, CancellationToken ct = default);

    /// <summary>Every API token, revoked ones included, ordered by name and creation.</summary>
    Task<IReadOnlyList<ApiTokenRecord>> ListApiTokensAsync(CancellationToken ct = default);

    /// <summary>Revokes the unrevoked token named <paramref name="name"/>; returns it as it was, or null when there is none.</summary>
    Task<ApiTokenRecord?> RevokeApiTokenAsync(string name, DateTimeOffset now, CancellationToken ct = default);

    /// <summary>Stores a new registration token; false when an unrevoked token of that namespace and name exists.</summary>
    Task<bool> CreateRegistrationTokenAsync(RegistrationTokenRecord token, CancellationToken ct = default);

    Task<RegistrationTokenRecord?> GetRegistrationTokenAsync(string id, CancellationToken ct = default);

    /// <summary>The registration tokens of a namespace, revoked ones included.</summary>
    Task<IReadOnlyList<RegistrationTokenRecord>> ListRegistrationTokensAsync(string ns, CancellationToken ct = default);

    /// <summary>Revokes the unrevoked registration token <paramref name="ns"/>/<paramref name="name"/>; false when there is none.</summary>
    Task<bool> RevokeRegistrationTokenAsync(string ns, string name, DateTimeOffset now, CancellationToken ct = default);

    /// <summary>
    /// In one transaction: takes one use of registration token <paramref name="tokenId"/> if it is usable at
    /// <paramref name="now"/>, and creates <paramref name="objects"/>, none of which may exist (their expected resource versions are ignored). Either all of it
    /// happens or none (two concurrent registrations with a last use: exactly one succeeds).
    /// </summary>
    Task<RegistrationResult> RegisterAsync(string tokenId, DateTimeOffset now, IReadOnlyList<ResourceWrite> objects, CancellationToken ct = default);
}
