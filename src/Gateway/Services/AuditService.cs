using Fleet.Store;

namespace Fleet.Gateway.Services;

/// <summary>
/// The audit log as every front end sees it: <see cref="RecordAsync"/> after each mutating call (REST does it in one
/// middleware, the gRPC service per call), <see cref="ListAsync"/> for admins. Entries hold who, what, when and the
/// result, never a body or a secret.
/// </summary>
public sealed class AuditService
{
    private readonly IAuditLog _log;

    internal AuditService(IAuditLog log) => _log = log;

    /// <summary>Records one mutating call; <paramref name="status"/> is the HTTP status of the outcome (gRPC maps its code to one).</summary>
    public Task RecordAsync(Caller caller, string verb, string kind, string ns, string name, int status, CancellationToken ct) =>
        _log.AppendAsync(new AuditEntry(0, default, caller.Subject, verb, kind, ns, name, status), ct);

    /// <summary>
    /// Entries after sequence <paramref name="after"/>, oldest first. Admins only; an admin limited to some
    /// namespaces sees the entries of those namespaces only. <see cref="AuditPage.Last"/> is where to continue.
    /// </summary>
    public async Task<AuditPage> ListAsync(Caller caller, long after, int limit, CancellationToken ct)
    {
        if (!caller.IsAdmin)
        {
            throw new ApiException(ApiErrorKind.Forbidden, $"{caller.Subject} ({ApiRoles.Name(caller.Role)}) may not read the audit log: admins only");
        }
        if (limit is < 1 or > 1000)
        {
            throw new ApiException(ApiErrorKind.BadRequest, $"limit must be between 1 and 1000, not {limit}");
        }
        var entries = await _log.ListAsync(after, limit, ct);
        var last = entries.Count > 0 ? entries[^1].Sequence : after;
        return new AuditPage(entries.Where(e => caller.Namespaces is null || (e.Namespace.Length > 0 && caller.CanSee(e.Namespace))).ToList(), last, entries.Count == limit);
    }
}

/// <summary>A page of the audit log: <see cref="Last"/> is the last sequence read (pass it as <c>after</c>), <see cref="More"/> whether more may follow.</summary>
public sealed record AuditPage(IReadOnlyList<AuditEntry> Items, long Last, bool More);
