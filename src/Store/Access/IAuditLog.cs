namespace Fleet.Store;

/// <summary>
/// One audited API call: who (<see cref="Subject"/>, the token's name), what (<see cref="Verb"/> on
/// <see cref="Kind"/> <see cref="Namespace"/>/<see cref="Name"/>), when, and the result (<see cref="Status"/>, an
/// HTTP status code whatever the front end). Never a request body or a secret.
/// </summary>
public sealed record AuditEntry(
    long Sequence,
    DateTimeOffset Time,
    string Subject,
    string Verb,
    string Kind,
    string Namespace,
    string Name,
    int Status);

/// <summary>The durable record of every mutating API call, readable by admins.</summary>
public interface IAuditLog
{
    /// <summary>Appends an entry stamped with the store's clock; <see cref="AuditEntry.Sequence"/> and <see cref="AuditEntry.Time"/> of <paramref name="entry"/> are ignored.</summary>
    Task<AuditEntry> AppendAsync(AuditEntry entry, CancellationToken ct = default);

    /// <summary>Entries with a sequence above <paramref name="after"/>, oldest first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<AuditEntry>> ListAsync(long after, int limit, CancellationToken ct = default);

    /// <summary>Deletes entries older than <paramref name="maxAge"/>; returns how many.</summary>
    Task<int> ApplyRetentionAsync(TimeSpan maxAge, CancellationToken ct = default);
}
