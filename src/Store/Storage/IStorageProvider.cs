namespace Fleet.Store.Storage;

/// <summary>One storage backend of the API store: objects, their change feed, events and blobs.</summary>
internal interface IStorageProvider : IAsyncDisposable
{
    string Description { get; }

    /// <summary>Opens the database, checks it and applies migrations. Throws <see cref="FleetStorageException"/> with a clear message.</summary>
    Task InitializeAsync(CancellationToken ct);

    IResourceStore Resources { get; }

    IEventLog Events { get; }

    IBlobStore Blobs { get; }

    ITokenStore Tokens { get; }

    IAuditLog Audit { get; }

    /// <summary>True for errors worth retrying: the database went away or is busy.</summary>
    bool IsTransient(Exception ex);
}
