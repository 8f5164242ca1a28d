using System.Collections.Concurrent;
using System.Globalization;
using Fleet.Gateway.Services;
using Fleet.Store;

namespace Fleet.Gateway.Security;

/// <summary>
/// Authenticates API tokens (<c>fleet_&lt;id&gt;_&lt;secret&gt;</c>): the token's record is looked up by id, its hash
/// compared in constant time, and its expiry and revocation checked. Records are cached for
/// <see cref="CacheTtl"/> so that busy clients cost no database read per request; a revocation made through this
/// gateway takes effect at once (<see cref="Forget"/>), one made through another gateway within <see cref="CacheTtl"/>.
/// Errors say what is wrong (missing, malformed, unknown, expired, revoked) and never repeat the token.
/// </summary>
internal sealed class TokenAuthenticator(ITokenStore store, TimeProvider time) : IApiAuthenticator
{
    /// <summary>How long a looked-up token record is trusted before it is read again.</summary>
    public static readonly TimeSpan CacheTtl = TimeSpan.FromSeconds(1);

    /// <summary>Entries beyond this (a client trying many ids) clear the cache rather than grow it.</summary>
    private const int MaxCached = 10_000;

    private readonly ConcurrentDictionary<string, Cached> _cache = new(StringComparer.Ordinal);

    public async ValueTask<Caller> AuthenticateAsync(string? bearerToken, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(bearerToken))
        {
            throw Unauthenticated("missing bearer token: send the header \"Authorization: Bearer <API token>\"");
        }
        var token = TokenSecret.Parse(bearerToken, TokenSecret.ApiPrefix)
            ?? throw Unauthenticated(TokenSecret.Parse(bearerToken, TokenSecret.RegistrationPrefix) is null
                ? "malformed bearer token: Fleet API tokens have the form fleet_<16 hex digits>_<64 hex digits>"
                : "a cluster registration token only serves POST /api/v1/registrations; use an API token");
        var now = time.GetUtcNow();
        var record = await LookupAsync(token.Id, now, ct);
        if (record is null || !token.Matches(record.SecretHash))
        {
            throw Unauthenticated("unknown API token");
        }
        if (record.RevokedAt is { } revoked)
        {
            throw Unauthenticated($"API token \"{record.Name}\" was revoked at {Format(revoked)}");
        }
        if (record.ExpiresAt is { } expires && expires <= now)
        {
            throw Unauthenticated($"API token \"{record.Name}\" expired at {Format(expires)}");
        }
        return ToCaller(record);
    }

    /// <summary>Drops a token's cached record (after a revocation through this gateway).</summary>
    public void Forget(string id) => _cache.TryRemove(id, out _);

    public static Caller ToCaller(ApiTokenRecord record) => new(
        record.Name,
        ApiRoles.Parse(record.Role) ?? ApiRole.Viewer,
        record.Namespaces is null ? null : new HashSet<string>(record.Namespaces, StringComparer.Ordinal));

    private async ValueTask<ApiTokenRecord?> LookupAsync(string id, DateTimeOffset now, CancellationToken ct)
    {
        if (_cache.TryGetValue(id, out var cached) && now - cached.ReadAt < CacheTtl)
        {
            return cached.Record;
        }
        var record = await store.GetApiTokenAsync(id, ct);
        if (_cache.Count >= MaxCached)
        {
            _cache.Clear();
        }
        _cache[id] = new Cached(record, now);
        return record;
    }

    private static string Format(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    private static ApiException Unauthenticated(string detail) => new(ApiErrorKind.Unauthenticated, detail);

    private sealed record Cached(ApiTokenRecord? Record, DateTimeOffset ReadAt);
}
