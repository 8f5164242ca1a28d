using System.Globalization;
using System.Text.Json.Nodes;
using Fleet.Abstractions.Resources;
using Fleet.Store;

namespace Fleet.Gateway.Services;

public sealed partial class ResourceService
{
    /// <summary>
    /// The annotation a reconcile request writes, Flux's own (<c>flux reconcile</c> sets it): a change the silo's
    /// change dispatcher passes to the object's grain as a hint, which runs a reconcile now (a fetch for a source).
    /// </summary>
    public const string ReconcileRequestedAt = "reconcile.fluxcd.io/requestedAt";

    private const int ActionAttempts = 5;

    /// <summary>The object's status (with the object, as Kubernetes' <c>/status</c> subresource answers).</summary>
    public Task<StoredResource> GetStatusAsync(Caller caller, ResourceKind kind, string ns, string name, CancellationToken ct) =>
        GetAsync(caller, kind, ns, name, ct);

    /// <summary>Asks for a reconcile now: writes <see cref="ReconcileRequestedAt"/> with the current time (the spec and its generation stay).</summary>
    public Task<StoredResource> RequestReconcileAsync(Caller caller, ResourceKind kind, string ns, string name, CancellationToken ct, bool dryRun = false)
    {
        if (kind == ResourceKinds.Secret)
        {
            throw new ApiException(ApiErrorKind.NotAllowed, "Secret objects are not reconciled: reconcile the objects that use them");
        }
        var at = _time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture);
        return ChangeAsync(caller, kind, ns, name, body =>
        {
            var metadata = body["metadata"]!.AsObject();
            if (metadata["annotations"] is not JsonObject annotations)
            {
                metadata["annotations"] = annotations = [];
            }
            annotations[ReconcileRequestedAt] = at;
        }, dryRun, ct);
    }

    /// <summary>Suspends (or, with <paramref name="suspend"/> false, resumes) an object: <c>spec.suspend</c>, or <c>spec.paused</c> for a Cluster.</summary>
    public Task<StoredResource> SetSuspendedAsync(Caller caller, ResourceKind kind, string ns, string name, bool suspend, CancellationToken ct, bool dryRun = false)
    {
        var field = SuspendField(kind) ?? throw new ApiException(ApiErrorKind.NotAllowed,
            $"{kind.Kind} objects cannot be suspended or resumed; these can: {string.Join(", ", ResourceKinds.All.Where(k => SuspendField(k) is not null).Select(k => k.Plural))}");
        return ChangeAsync(caller, kind, ns, name, body => body["spec"]!.AsObject()[field] = suspend, dryRun, ct);
    }

    /// <summary>The spec field that suspends a kind, or null when it cannot be suspended.</summary>
    internal static string? SuspendField(ResourceKind kind) =>
        kind.ReadOnly ? null
        : kind.SpecType.GetProperty("Suspend") is not null ? "suspend"
        : kind.SpecType.GetProperty("Paused") is not null ? "paused"
        : null;

    /// <summary>
    /// The object as stored, in the form a write takes (not the API's display form, which may hide values): what an
    /// action changes and writes back.
    /// </summary>
    private static JsonObject StoredBody(StoredResource r) => new()
    {
        ["apiVersion"] = FleetApi.ApiVersion,
        ["kind"] = r.Kind,
        ["metadata"] = new JsonObject
        {
            ["name"] = r.Name,
            ["namespace"] = r.Namespace,
            ["resourceVersion"] = r.ResourceVersion.ToString(CultureInfo.InvariantCulture),
            ["labels"] = new JsonObject(r.Labels.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))),
            ["annotations"] = new JsonObject(r.Annotations.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))),
        },
        ["spec"] = JsonNode.Parse(r.SpecJson),
    };

    /// <summary>Reads the object, changes its API form and writes it back through the usual checks; retried when a concurrent write gets in between.</summary>
    private async Task<StoredResource> ChangeAsync(Caller caller, ResourceKind kind, string ns, string name, Action<JsonObject> change, bool dryRun, CancellationToken ct)
    {
        if (kind.ReadOnly)
        {
            throw new ApiException(ApiErrorKind.NotAllowed, $"{kind.Kind} objects are read-only: Fleet writes them");
        }
        for (var attempt = 1; ; attempt++)
        {
            var current = await GetAsync(caller, kind, ns, name, ct);
            var body = StoredBody(current);
            change(body);
            try
            {
                return (await WriteAsync(caller, kind, ns, name, body, WriteMode.Replace, ct, dryRun)).Object;
            }
            catch (ApiException ex) when (ex.Kind == ApiErrorKind.Conflict && attempt < ActionAttempts)
            {
                // Written meanwhile (a status update, another client): read again.
            }
        }
    }
}
