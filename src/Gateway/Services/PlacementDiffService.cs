using System.Text.Json;
using System.Text.Json.Nodes;
using Fleet.Abstractions.Resources;
using Fleet.Kubernetes;
using Fleet.Store;
using Fleet.Store.Secrets;

namespace Fleet.Gateway.Services;

/// <summary>What applying a placement's desired object would do to its cluster.</summary>
public enum DiffAction
{
    /// <summary>Not on the cluster: an apply creates it.</summary>
    Created,

    /// <summary>On the cluster and different from what an apply leaves (a new revision, or drift).</summary>
    Configured,

    /// <summary>On the cluster as an apply leaves it.</summary>
    Unchanged,

    /// <summary>Applied before, no longer desired, and the application prunes: an apply deletes it.</summary>
    Deleted,

    /// <summary>The cluster refused the dry run (the message says why).</summary>
    Failed,
}

/// <summary>One object of a placement's diff: the live object and the object as a server-side apply would leave it (Secret values masked).</summary>
public sealed record ObjectDiff(string ApiVersion, string Kind, string? Namespace, string Name, DiffAction Action, JsonObject? Desired, JsonObject? Live, string? Message);

/// <summary>
/// Desired against live for one placement, as <c>flux diff kustomization</c> and <c>kubectl diff</c> compute it: each
/// object of the placement's rendered manifests is applied to its cluster with <c>dryRun=All</c> (server-side apply,
/// Fleet's field manager, forced as Fleet's own applies are on conflicts it owns) and the answer is compared with the
/// live object, without the fields the server owns. Objects of the last apply's inventory that are no longer desired
/// are reported as deleted when the application prunes. Nothing on the cluster changes.
/// </summary>
public sealed class PlacementDiffService
{
    private static readonly string[] ServerOwned = ["resourceVersion", "uid", "creationTimestamp", "managedFields", "generation", "selfLink"];
    private readonly ResourceService _resources;
    private readonly IBlobStore _blobs;
    private readonly SecretReader _secrets;

    internal PlacementDiffService(ResourceService resources, IBlobStore blobs, SecretReader secrets)
    {
        _resources = resources;
        _blobs = blobs;
        _secrets = secrets;
    }

    public async Task<IReadOnlyList<ObjectDiff>> DiffAsync(Caller caller, string ns, string placementName, CancellationToken ct)
    {
        var placement = await _resources.GetAsync(caller, ResourceKinds.Placement, ns, placementName, ct);
        var spec = JsonSerializer.Deserialize<PlacementSpec>(placement.SpecJson, FleetJson.Options) ?? new PlacementSpec();
        if (spec.ManifestDigest is null)
        {
            throw new ApiException(ApiErrorKind.Conflict, $"Placement {ns}/{placementName} has no rendered manifests yet: its application has not rendered a revision for cluster {spec.Cluster}");
        }
        var desired = await ManifestBlob.ReadAsync(_blobs, spec.ManifestDigest, ct)
            ?? throw new ApiException(ApiErrorKind.Conflict, $"the rendered manifests of Placement {ns}/{placementName} ({spec.ManifestDigest}) are no longer stored; reconcile the application");
        using var client = await ConnectAsync(caller, ns, spec.Cluster, ct);
        var diffs = new List<ObjectDiff>();
        var seen = new HashSet<(string, string, string?, string)>();
        try
        {
            foreach (var obj in desired)
            {
                var diff = await DiffOneAsync(client, obj, spec.Application, ns, ct);
                seen.Add((ObjectRef.SplitApiVersion(diff.ApiVersion).Group, diff.Kind, diff.Namespace, diff.Name));
                diffs.Add(diff);
            }
            if (spec.Prune && placement.StatusJson is not null
                && JsonSerializer.Deserialize<PlacementStatus>(placement.StatusJson, FleetJson.Options)?.Inventory is { } inventory)
            {
                foreach (var entry in inventory.Where(e => !seen.Contains((e.Group ?? "", e.Kind, e.Namespace, e.Name))))
                {
                    var apiVersion = string.IsNullOrEmpty(entry.Group) ? entry.Version : $"{entry.Group}/{entry.Version}";
                    if (await client.GetAsync(apiVersion, entry.Kind, entry.Namespace, entry.Name, ct) is { } live
                        && FleetLabels.IsOwnedBy(live, spec.Application, ns) && !FleetLabels.PruneDisabled(live))
                    {
                        diffs.Add(new ObjectDiff(apiVersion, entry.Kind, entry.Namespace, entry.Name, DiffAction.Deleted, null, Mask(null, Clean(live)).Live, null));
                    }
                }
            }
        }
        catch (KubeConnectionException ex)
        {
            throw new ApiException(ApiErrorKind.Conflict, $"cluster {ns}/{spec.Cluster} is unreachable: {ex.Message}");
        }
        return diffs;
    }

    /// <summary>A client for the placement's cluster, with the credentials the placement's applies use.</summary>
    private async Task<KubeClient> ConnectAsync(Caller caller, string ns, string clusterName, CancellationToken ct)
    {
        var cluster = await _resources.GetAsync(caller, ResourceKinds.Cluster, ns, clusterName, ct);
        var spec = JsonSerializer.Deserialize<ClusterSpec>(cluster.SpecJson, FleetJson.Options) ?? new ClusterSpec();
        IReadOnlyDictionary<string, string>? data = null;
        if (spec.CredentialsRef is { Name.Length: > 0 } secretRef)
        {
            data = await _secrets.GetAsync(ns, secretRef.Name, ct)
                ?? throw new ApiException(ApiErrorKind.Conflict, $"the credentials Secret {ns}/{secretRef.Name} of cluster {clusterName} does not exist");
        }
        try
        {
            // Exec credential plugins stay off here: the gateway never runs a program a tenant's kubeconfig names.
            return new KubeClient(ClusterConnection.FromClusterSpec(spec.Server, spec.CaData, spec.InsecureSkipTLSVerify, data, new KubeconfigOptions()));
        }
        catch (Exception ex) when (ex is ClusterConnectionException or FormatException or ArgumentException)
        {
            throw new ApiException(ApiErrorKind.Conflict, $"cluster {ns}/{clusterName} cannot be connected to: {ex.Message}");
        }
    }

    private static async Task<ObjectDiff> DiffOneAsync(KubeClient client, JsonObject source, string application, string ns, CancellationToken ct)
    {
        var obj = source.DeepClone().AsObject();
        var apiVersion = obj["apiVersion"]?.GetValue<string>() ?? "";
        var kind = obj["kind"]?.GetValue<string>() ?? "";
        var metadata = obj["metadata"] as JsonObject ?? [];
        obj["metadata"] = metadata;
        var name = metadata["name"]?.GetValue<string>() ?? "";
        var objectNs = metadata["namespace"]?.GetValue<string>();
        var resource = await client.FindResourceAsync(apiVersion, kind, ct);
        if (resource is null)
        {
            return new ObjectDiff(apiVersion, kind, objectNs, name, DiffAction.Failed, null, null, $"the cluster does not serve kind {kind} in {apiVersion}");
        }
        if (!resource.Namespaced)
        {
            metadata.Remove("namespace");
            objectNs = null;
        }
        foreach (var field in ServerOwned)
        {
            metadata.Remove(field);
        }
        obj.Remove("status");
        // The labels every apply of this application stamps on its objects.
        var labels = metadata["labels"] as JsonObject ?? [];
        metadata["labels"] = labels;
        labels[FleetLabels.Application] = application;
        labels[FleetLabels.Namespace] = ns;

        var live = await client.GetAsync(apiVersion, kind, objectNs, name, ct);
        JsonObject after;
        try
        {
            after = (await client.ApplyAsync(obj, new ApplyRequest(FleetLabels.FieldManager, Force: true, DryRun: true), ct)).Object;
        }
        catch (KubeApiException ex)
        {
            return new ObjectDiff(apiVersion, kind, objectNs, name, DiffAction.Failed, null, live is null ? null : Mask(null, Clean(live)).Live, ex.StatusText);
        }
        var desired = Clean(after);
        if (live is null)
        {
            return new ObjectDiff(apiVersion, kind, objectNs, name, DiffAction.Created, Mask(desired, null).Desired, null, null);
        }
        var current = Clean(live);
        if (JsonNode.DeepEquals(desired, current))
        {
            return new ObjectDiff(apiVersion, kind, objectNs, name, DiffAction.Unchanged, null, null, null);
        }
        var (maskedDesired, maskedLive) = Mask(desired, current);
        return new ObjectDiff(apiVersion, kind, objectNs, name, DiffAction.Configured, maskedDesired, maskedLive, null);
    }

    /// <summary>The object without what the server owns (status, managed fields, versions, timestamps).</summary>
    private static JsonObject Clean(JsonObject obj)
    {
        var copy = obj.DeepClone().AsObject();
        copy.Remove("status");
        if (copy["metadata"] is JsonObject metadata)
        {
            foreach (var field in ServerOwned)
            {
                metadata.Remove(field);
            }
        }
        return copy;
    }

    /// <summary>
    /// A Secret's values never leave Fleet: each is replaced by <c>***</c>, marked <c>(before)</c> and <c>(after)</c>
    /// where the two sides differ, so that a diff still shows which keys change. Other kinds are returned as they are.
    /// </summary>
    private static (JsonObject? Desired, JsonObject? Live) Mask(JsonObject? desired, JsonObject? live)
    {
        var any = desired ?? live;
        if (any?["kind"]?.GetValue<string>() != "Secret" || any["apiVersion"]?.GetValue<string>() != "v1")
        {
            return (desired, live);
        }
        foreach (var field in new[] { "data", "stringData" })
        {
            var after = desired?[field] as JsonObject;
            var before = live?[field] as JsonObject;
            var keys = (after?.Select(p => p.Key) ?? []).Union(before?.Select(p => p.Key) ?? [], StringComparer.Ordinal).ToList();
            foreach (var key in keys)
            {
                var changed = after?[key] is { } a && before?[key] is { } b && !JsonNode.DeepEquals(a, b);
                if (after?.ContainsKey(key) == true)
                {
                    after[key] = changed ? "*** (after)" : "***";
                }
                if (before?.ContainsKey(key) == true)
                {
                    before[key] = changed ? "*** (before)" : "***";
                }
            }
        }
        return (desired, live);
    }
}
