using System.Text.Json.Nodes;
using Fleet.Abstractions;
using Fleet.Abstractions.Resources;
using Fleet.Gateway.Resources;
using Fleet.Gateway.Watch;
using Fleet.Store;

namespace Fleet.Gateway.Services;

/// <summary>How a write treats an existing object.</summary>
public enum WriteMode
{
    /// <summary>Create only: an existing object is <see cref="ApiErrorKind.AlreadyExists"/>.</summary>
    Create,

    /// <summary>Create or replace (PUT); a given resourceVersion must match.</summary>
    Replace,
}

/// <summary>The outcome of a write: the object as stored (or as it would be, on a dry run) and whether it is new.</summary>
public sealed record WriteResult(StoredResource Object, bool Created);

/// <summary>
/// The resource operations every front end calls (REST, gRPC, console): one place that reads and validates
/// objects, enforces the caller's role and namespaces, and writes the store. Failures are <see cref="ApiException"/>s.
/// The gateway only writes objects; the silo's change dispatcher turns the writes into work.
/// </summary>
public sealed partial class ResourceService
{
    private readonly IResourceStore _store;
    private readonly RequestReader _reader;
    private readonly WatchFeed _feed;
    private readonly TimeProvider _time;
    private readonly CancellationToken _stopping;

    /// <param name="store">The API object store.</param>
    /// <param name="reader">Reads and checks request objects.</param>
    /// <param name="feed">The process's one reader of the store's change feed, which every watch subscribes to.</param>
    /// <param name="time">The clock of reconcile requests and of watches.</param>
    /// <param name="stopping">Ends every watch when the host stops.</param>
    internal ResourceService(IResourceStore store, RequestReader reader, WatchFeed feed, TimeProvider time, CancellationToken stopping)
    {
        _store = store;
        _reader = reader;
        _feed = feed;
        _time = time;
        _stopping = stopping;
    }

    /// <summary>The kind served under <paramref name="plural"/> (e.g. <c>clusters</c>).</summary>
    public static ResourceKind KindOf(string plural) =>
        ResourceKinds.ByPlural(plural) ?? throw ApiException.UnknownPlural(plural);

    public async Task<StoredResource> GetAsync(Caller caller, ResourceKind kind, string ns, string name, CancellationToken ct)
    {
        if (!caller.CanSee(ns))
        {
            throw ApiException.NotFound(kind, ns, name);
        }
        return await _store.GetAsync(kind.Kind, ns, name, ct) ?? throw ApiException.NotFound(kind, ns, name);
    }

    /// <summary>Objects of a kind in one namespace, or in every namespace the caller may see (<paramref name="ns"/> null).</summary>
    public async Task<IReadOnlyList<StoredResource>> ListAsync(Caller caller, ResourceKind kind, string? ns, string? labelSelector, CancellationToken ct)
    {
        LabelSelector selector;
        try
        {
            selector = LabelSelector.Parse(labelSelector);
        }
        catch (LabelSelectorException ex)
        {
            throw new ApiException(ApiErrorKind.BadRequest, $"labelSelector: {ex.Message}");
        }
        if (ns is not null && !caller.CanSee(ns))
        {
            return [];
        }
        var items = await _store.ListAsync(kind.Kind, ns, selector.IsEmpty ? null : selector, ct);
        return caller.Namespaces is null ? items : items.Where(i => caller.CanSee(i.Namespace)).ToList();
    }

    /// <summary>
    /// Validates <paramref name="body"/> against the route (<paramref name="routeName"/> null for a create by POST) and
    /// stores it; a <paramref name="dryRun"/> does every check (validation, the caller's rules, conflicts) and returns
    /// what would be stored, changing nothing.
    /// </summary>
    public async Task<WriteResult> WriteAsync(Caller caller, ResourceKind kind, string ns, string? routeName, JsonObject body, WriteMode mode, CancellationToken ct, bool dryRun = false)
    {
        if (kind.ReadOnly)
        {
            throw new ApiException(ApiErrorKind.NotAllowed, $"{kind.Kind} objects are read-only: Fleet writes them");
        }
        var read = _reader.Read(body, kind, ns, routeName);
        if (read.Object is not { } obj)
        {
            var name = routeName ?? body["metadata"]?["name"]?.ToString();
            throw new ApiException(ApiErrorKind.Invalid, $"{(name is null ? kind.Kind : $"{kind.Kind} \"{name}\"")} is invalid: {string.Join("; ", read.Errors)}", read.Errors);
        }
        AuditScope.Describe(null, kind.Kind, ns, obj.Name);
        Authorize(caller, kind, ns, obj.Name);
        var existing = await _store.GetAsync(kind.Kind, ns, obj.Name, ct);
        if (mode == WriteMode.Create && existing is not null)
        {
            throw new ApiException(ApiErrorKind.AlreadyExists, $"{kind.Kind} {ns}/{obj.Name} already exists; use PUT to update it");
        }
        if (dryRun)
        {
            return new WriteResult(WouldStore(obj, existing, mode == WriteMode.Create ? 0 : obj.ExpectedResourceVersion), existing is null);
        }
        try
        {
            var stored = await _store.PutAsync(kind.Kind, ns, obj.Name, obj.Labels, obj.Annotations, obj.SpecJson, mode == WriteMode.Create ? 0 : obj.ExpectedResourceVersion, ct);
            return new WriteResult(stored, existing is null);
        }
        catch (ResourceConflictException ex)
        {
            throw new ApiException(ApiErrorKind.Conflict, ex.Message);
        }
    }

    /// <summary>Deletes an object; a <paramref name="dryRun"/> checks that it exists and may be deleted, and deletes nothing.</summary>
    public async Task DeleteAsync(Caller caller, ResourceKind kind, string ns, string name, CancellationToken ct, bool dryRun = false)
    {
        if (kind.ReadOnly)
        {
            throw new ApiException(ApiErrorKind.NotAllowed, $"{kind.Kind} objects are read-only: delete the Application or Cluster instead");
        }
        AuditScope.Describe(null, kind.Kind, ns, name);
        Authorize(caller, kind, ns, name);
        if (dryRun)
        {
            _ = await _store.GetAsync(kind.Kind, ns, name, ct) ?? throw ApiException.NotFound(kind, ns, name);
            return;
        }
        if (!await _store.DeleteAsync(kind.Kind, ns, name, ct))
        {
            throw ApiException.NotFound(kind, ns, name);
        }
    }

    /// <summary>Not found for namespaces the caller cannot see; forbidden for a role that may only read.</summary>
    private static void Authorize(Caller caller, ResourceKind kind, string ns, string name)
    {
        if (!caller.CanSee(ns))
        {
            throw ApiException.NotFound(kind, ns, name);
        }
        if (!caller.CanWrite(ns))
        {
            throw new ApiException(ApiErrorKind.Forbidden, $"{caller.Subject} ({caller.Role.ToString().ToLowerInvariant()}) may not change {kind.Kind} objects");
        }
    }
}
