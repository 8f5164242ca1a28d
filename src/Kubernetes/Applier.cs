using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fleet.Kubernetes;

public enum ChangeAction
{
    Created,
    Configured,
    Unchanged,
    Deleted,
    Skipped,
    Failed,
}

/// <summary>What happened to one object.</summary>
public sealed record ChangeSetEntry(ObjectRef Object, ChangeAction Action, string Message = "");

/// <summary>How to apply one application's objects to one cluster.</summary>
public sealed record ApplyOptions(string Application, string ApplicationNamespace)
{
    /// <summary>Take ownership of fields held by other managers, and delete and recreate on immutable-field changes.</summary>
    public bool Force { get; init; }

    /// <summary>
    /// Take ownership of fields held by other managers (server-side apply with <c>force=true</c>) without recreating
    /// anything: what Flux's kustomize-controller always does, so that Git wins over manual edits (drift correction).
    /// </summary>
    public bool TakeOwnership { get; init; }

    /// <summary>Delete what the previous inventory has and the new set lacks.</summary>
    public bool Prune { get; init; } = true;

    /// <summary>Wait until every applied object is healthy (or failed) within <see cref="Timeout"/>.</summary>
    public bool Wait { get; init; }

    /// <summary>Bound on each wait: CRDs established, namespaces present, recreation, health.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The inventory of the last apply, or null on the first.</summary>
    public Inventory? Previous { get; init; }

    public string FieldManager { get; init; } = FleetLabels.FieldManager;

    /// <summary>Objects applied at once.</summary>
    public int Concurrency { get; init; } = 8;
}

/// <summary>The change set, the inventory to store, the errors (empty when all went well) and, when waited for, health.</summary>
public sealed record ApplyResult(IReadOnlyList<ChangeSetEntry> Changes, Inventory Inventory, IReadOnlyList<string> Errors,
    IReadOnlyList<HealthResult> Health)
{
    public bool Succeeded => Errors.Count == 0;

    /// <summary>
    /// What the health wait came to: <see cref="HealthOutcome.Progressing"/> when the deadline passed with objects still
    /// progressing (retry), <see cref="HealthOutcome.Failed"/> when kstatus says an object failed (stalled).
    /// </summary>
    public HealthOutcome HealthOutcome => HealthChecker.Summarise(Health);

    public int Count(ChangeAction action) => Changes.Count(c => c.Action == action);
}

/// <summary>
/// Applies a set of rendered objects the way Flux's kustomize-controller does: validate everything first, then
/// cluster definitions (CRDs, Namespaces, other cluster-scoped objects), wait for them, then the rest; skip what
/// has not changed since the last apply without any request; prune what left the set; optionally wait for health.
/// </summary>
public sealed class Applier
{
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly HealthChecker _health;

    public Applier(TimeProvider? timeProvider = null, ILogger<Applier>? logger = null)
    {
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _health = new HealthChecker(_time);
    }

    /// <summary>One object to apply; <paramref name="DefinedHere"/> when its kind comes from a CRD of this same set and was not served yet.</summary>
    private sealed record Planned(int Index, JsonObject Object, ObjectRef Ref, string Digest, bool ClusterDefinition, bool DefinedHere = false);

    public async Task<ApplyResult> ApplyAsync(KubeClient client, IReadOnlyList<JsonObject> objects, ApplyOptions options,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(objects);
        ArgumentNullException.ThrowIfNull(options);
        var previous = options.Previous ?? Inventory.Empty(options.Application, options.ApplicationNamespace);
        var previousByRef = new Dictionary<(string, string, string?, string), InventoryEntry>();
        foreach (var e in previous.Entries)
        {
            previousByRef.TryAdd(e.Ref.Identity, e);
        }

        List<Planned> plan;
        try
        {
            var (planned, problems) = await ValidateAsync(client, objects, options, ct).ConfigureAwait(false);
            if (problems.Count > 0)
            {
                return new ApplyResult([], previous, [$"validation failed, nothing applied ({problems.Count} problem{(problems.Count == 1 ? "" : "s")}): " + string.Join("; ", problems)], []);
            }
            plan = planned;
        }
        catch (KubeConnectionException ex)
        {
            return new ApplyResult([], previous, [$"nothing applied: {ex.Message}"], []);
        }

        var changes = new List<ChangeSetEntry>();
        var errors = new List<string>();
        var applied = new Dictionary<(string, string, string?, string), InventoryEntry>();

        // Stage 1: cluster definitions, then wait until CRDs are established and namespaces exist.
        var stage1 = plan.Where(p => p.ClusterDefinition).ToList();
        var stage2 = plan.Where(p => !p.ClusterDefinition).ToList();
        var aborted = await ApplyStageAsync(client, stage1, previousByRef, options, changes, errors, applied, ct).ConfigureAwait(false);
        if (!aborted && errors.Count == 0)
        {
            var toWait = changes.Where(c => c.Action is ChangeAction.Created or ChangeAction.Configured &&
                c.Object.Kind is "CustomResourceDefinition" or "Namespace").Select(c => c.Object).ToList();
            if (toWait.Count > 0)
            {
                var health = await _health.WaitAsync(client, toWait, options.Timeout, ct).ConfigureAwait(false);
                errors.AddRange(health.Where(h => h.Status != HealthStatus.Current).Select(h => $"waiting for cluster definitions: {h.Message}"));
            }
            if (errors.Count == 0)
            {
                errors.AddRange(await WaitServedAsync(client, stage2.Where(p => p.DefinedHere).Select(p => (p.Ref.ApiVersion, p.Ref.Kind)).Distinct(), options, ct)
                    .ConfigureAwait(false));
            }
        }
        if (!aborted && errors.Count == 0)
        {
            aborted = await ApplyStageAsync(client, stage2, previousByRef, options, changes, errors, applied, ct).ConfigureAwait(false);
        }
        else
        {
            changes.AddRange(stage2.Select(p => new ChangeSetEntry(p.Ref, ChangeAction.Skipped, "not applied: an earlier stage failed")));
        }

        // Prune only after a fully successful apply, as Flux does.
        var pruneFailures = new HashSet<(string, string, string?, string)>();
        var current = plan.Select(p => p.Ref.Identity).ToHashSet();
        var stale = previous.Entries.Where(e => !current.Contains(e.Ref.Identity)).ToList();
        var pruned = new HashSet<(string, string, string?, string)>();
        if (options.Prune && errors.Count == 0 && stale.Count > 0)
        {
            await PruneAsync(client, stale, options, changes, errors, pruned, ct).ConfigureAwait(false);
        }

        // The new inventory: what was applied now, the previous entry for what was not, and stale objects not pruned.
        var entries = new List<InventoryEntry>();
        foreach (var p in plan)
        {
            if (applied.TryGetValue(p.Ref.Identity, out var entry))
            {
                entries.Add(entry);
            }
            else if (previousByRef.TryGetValue(p.Ref.Identity, out var old))
            {
                entries.Add(old);
            }
        }
        entries.AddRange(stale.Where(e => !pruned.Contains(e.Ref.Identity)));
        var inventory = new Inventory(options.Application, options.ApplicationNamespace, entries);

        IReadOnlyList<HealthResult> healthResults = [];
        if (options.Wait && errors.Count == 0)
        {
            healthResults = await _health.WaitAsync(client, [.. plan.Select(p => p.Ref)], options.Timeout, ct).ConfigureAwait(false);
            errors.AddRange(healthResults.Where(h => h.Status != HealthStatus.Current).Select(h => h.Status == HealthStatus.Failed
                ? $"health check failed: {h.Message}"
                : $"not healthy yet: {h.Message}"));
        }
        return new ApplyResult(changes, inventory, errors, healthResults);
    }

    /// <summary>Checks every object and reports all problems at once; nothing is applied when any is found.</summary>
    private static async Task<(List<Planned>, List<string>)> ValidateAsync(KubeClient client, IReadOnlyList<JsonObject> objects,
        ApplyOptions options, CancellationToken ct)
    {
        var problems = new List<string>();
        var planned = new List<Planned>();
        var seen = new HashSet<(string, string, string?, string)>();

        // Kinds defined by CRDs in this same set are valid although not served yet.
        var definedHere = new Dictionary<(string Group, string Kind), (HashSet<string> Versions, bool Namespaced)>();
        foreach (var o in objects)
        {
            if (o.Str("kind") == "CustomResourceDefinition" && o.Str("spec", "group") is { } g && o.Str("spec", "names", "kind") is { } k)
            {
                var versions = o.Path("spec", "versions") is JsonArray vs
                    ? vs.OfType<JsonObject>().Where(v => v.Bool("served") != false).Select(v => v.Str("name")).OfType<string>().ToHashSet()
                    : [];
                definedHere[(g, k)] = (versions, o.Str("spec", "scope") != "Cluster");
            }
        }

        for (var i = 0; i < objects.Count; i++)
        {
            var source = objects[i];
            var where = $"objects[{i}]";
            var apiVersion = source.Str("apiVersion");
            var kind = source.Str("kind");
            var name = source.Str("metadata", "name");
            if (string.IsNullOrEmpty(apiVersion) || string.IsNullOrEmpty(kind))
            {
                problems.Add($"{where}{(name is null ? "" : $" ({name})")}: apiVersion and kind are required");
                continue;
            }
            where = $"{where} ({kind}/{name})";
            if (string.IsNullOrEmpty(name))
            {
                problems.Add($"{where}: metadata.name is required");
                continue;
            }
            var (group, version) = ObjectRef.SplitApiVersion(apiVersion);
            bool namespaced;
            var definedHereOnly = false;
            var resource = await client.FindResourceAsync(apiVersion, kind, ct).ConfigureAwait(false);
            if (resource is not null)
            {
                namespaced = resource.Namespaced;
            }
            else if (definedHere.TryGetValue((group, kind), out var def) && def.Versions.Contains(version))
            {
                namespaced = def.Namespaced;
                definedHereOnly = true;
            }
            else
            {
                problems.Add($"{where}: the cluster does not serve kind {kind} in {apiVersion}");
                continue;
            }

            var obj = source.DeepClone().AsObject();
            var metadata = obj.Obj("metadata");
            var ns = metadata.Str("namespace");
            if (namespaced && string.IsNullOrEmpty(ns))
            {
                problems.Add($"{where}: metadata.namespace is required for namespaced kind {kind}");
                continue;
            }
            if (!namespaced && ns is not null)
            {
                // Kubernetes ignores a namespace on cluster-scoped objects; drop it so that identities match.
                metadata.Remove("namespace");
            }
            // Server-owned fields must not be sent with an apply.
            foreach (var serverOwned in new[] { "resourceVersion", "uid", "creationTimestamp", "managedFields", "generation", "selfLink" })
            {
                metadata.Remove(serverOwned);
            }
            obj.Remove("status");
            if (group.Length == 0 && kind == "Secret" && NormaliseStringData(obj) is { } stringDataProblem)
            {
                problems.Add($"{where}: {stringDataProblem}");
                continue;
            }
            FleetLabels.Stamp(obj, options.Application, options.ApplicationNamespace);
            var r = ObjectRef.FromObject(obj);
            if (!seen.Add(r.Identity))
            {
                problems.Add($"{where}: duplicate object {r}");
                continue;
            }
            planned.Add(new Planned(i, obj, r, ObjectDigest.Compute(obj), !namespaced, definedHereOnly));
        }
        return (planned, problems);
    }

    /// <summary>
    /// Moves a Secret's <c>stringData</c> into <c>data</c> (base64, a stringData key winning over the same data key), as
    /// the API server does on write. Applied as is, Fleet's field set would own <c>stringData</c> keys the server never
    /// stores, so an edit of <c>data</c> would go unseen by drift detection. Returns a problem, or null.
    /// </summary>
    internal static string? NormaliseStringData(JsonObject secret)
    {
        if (secret["stringData"] is not { } node)
        {
            return null;
        }
        secret.Remove("stringData");
        if (node is not JsonObject stringData)
        {
            return node.GetValueKind() == System.Text.Json.JsonValueKind.Null ? null : "stringData must be a mapping of strings";
        }
        var data = secret.Obj("data");
        foreach (var (key, value) in stringData)
        {
            if (value is not JsonValue v || v.GetValueKind() != System.Text.Json.JsonValueKind.String)
            {
                return $"stringData.{key} must be a string";
            }
            data[key] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(v.GetValue<string>()));
        }
        return null;
    }

    /// <summary>Applies one stage with bounded concurrency; true when the cluster became unreachable and the stage was cut short.</summary>
    private async Task<bool> ApplyStageAsync(KubeClient client, List<Planned> stage,
        Dictionary<(string, string, string?, string), InventoryEntry> previous, ApplyOptions options,
        List<ChangeSetEntry> changes, List<string> errors, Dictionary<(string, string, string?, string), InventoryEntry> applied,
        CancellationToken ct)
    {
        using var unreachable = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var gate = new SemaphoreSlim(Math.Max(1, options.Concurrency));
        var sync = new object();
        var aborted = false;
        var tasks = stage.Select(async p =>
        {
            var prev = previous.GetValueOrDefault(p.Ref.Identity);
            if (prev?.Digest == p.Digest)
            {
                // Same content as last applied: no request. Live changes are the drift detector's business.
                lock (sync)
                {
                    changes.Add(new ChangeSetEntry(p.Ref, ChangeAction.Unchanged));
                }
                return;
            }
            ChangeSetEntry change;
            InventoryEntry? entry = null;
            await gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                (change, entry) = await ApplyOneAsync(client, p, prev, options, unreachable.Token).ConfigureAwait(false);
            }
            catch (KubeConnectionException ex)
            {
                aborted = true;
                await unreachable.CancelAsync().ConfigureAwait(false);
                change = new ChangeSetEntry(p.Ref, ChangeAction.Failed, ex.Message);
            }
            catch (OperationCanceledException) when (unreachable.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                change = new ChangeSetEntry(p.Ref, ChangeAction.Skipped, "not applied: the cluster became unreachable");
            }
            catch (KubeApiException ex)
            {
                // For example a recreation whose delete did not finish in time.
                change = new ChangeSetEntry(p.Ref, ChangeAction.Failed, ex.StatusText);
            }
            finally
            {
                gate.Release();
            }
            lock (sync)
            {
                changes.Add(change);
                if (entry is not null)
                {
                    applied[p.Ref.Identity] = entry;
                }
                if (change.Action == ChangeAction.Failed)
                {
                    errors.Add($"{p.Ref}: {change.Message}");
                    Log.ObjectFailed(_logger, p.Ref, change.Message);
                }
                else
                {
                    Log.Changed(_logger, p.Ref, change.Action);
                }
            }
        });
        await Task.WhenAll(tasks).ConfigureAwait(false);
        return aborted;
    }

    private async Task<(ChangeSetEntry, InventoryEntry?)> ApplyOneAsync(KubeClient client, Planned p, InventoryEntry? prev,
        ApplyOptions options, CancellationToken ct)
    {
        var request = new ApplyRequest(options.FieldManager, options.Force || options.TakeOwnership);
        ApplyResponse response;
        var message = "";
        try
        {
            response = await client.ApplyAsync(p.Object, request, ct).ConfigureAwait(false);
        }
        catch (KubeApiException ex) when (ImmutableField(ex) is { } field)
        {
            if (!options.Force)
            {
                return (new ChangeSetEntry(p.Ref, ChangeAction.Failed,
                    $"field {field} is immutable and the new value differs; set force to delete and recreate the object"), null);
            }
            await RecreateAsync(client, p, options, ct).ConfigureAwait(false);
            response = await client.ApplyAsync(p.Object, request, ct).ConfigureAwait(false);
            message = $"recreated: immutable field {field} changed";
        }
        catch (KubeApiException ex) when (ex.Code == 409)
        {
            var fields = ex.Status.Causes.Where(c => c.Field is not null).Select(c => $"{c.Field} ({c.Message})").ToList();
            return (new ChangeSetEntry(p.Ref, ChangeAction.Failed,
                $"apply conflict with another field manager{(fields.Count > 0 ? " on " + string.Join(", ", fields) : $": {ex.Status.Message}")}; set force to take ownership"), null);
        }
        catch (KubeApiException ex)
        {
            // The change set entry and the error name the object already: the server's answer only.
            return (new ChangeSetEntry(p.Ref, ChangeAction.Failed, ex.StatusText), null);
        }

        var live = response.Object;
        var resourceVersion = live.Str("metadata", "resourceVersion");
        var action = response.Created ? ChangeAction.Created
            : prev?.ResourceVersion is not null && prev.ResourceVersion == resourceVersion ? ChangeAction.Unchanged
            : ChangeAction.Configured;
        var entry = new InventoryEntry(p.Ref.Group, p.Ref.Version, p.Ref.Kind, p.Ref.Namespace, p.Ref.Name, p.Digest, resourceVersion,
            ManagedFields.FieldsOf(live, options.FieldManager));
        return (new ChangeSetEntry(p.Ref, action, message), entry);
    }

    /// <summary>Fields the API server refuses to change in place on a built-in kind (reported as FieldValueInvalid).</summary>
    private static readonly string[] ImmutableFieldPaths =
    [
        "spec.selector",   // Deployment, ReplicaSet, DaemonSet, StatefulSet, Job
        "spec.template",   // Job
        "roleRef",         // RoleBinding, ClusterRoleBinding
        "type",            // Secret
        "spec.clusterIP",  // Service (also spec.clusterIPs[i])
        "spec.clusterIPs",
    ];

    /// <summary>
    /// The field an update was refused on because it cannot change in place, decided from the Status details, never
    /// from message text: a 422 Invalid whose cause is FieldValueForbidden (StatefulSet spec, PVC spec, StorageClass
    /// provisioner, an immutable ConfigMap's or Secret's data) or FieldValueInvalid on a field known to be immutable
    /// (selectors, a Job's template, roleRef, a Secret's type, a Service's clusterIP). Null for any other error.
    /// </summary>
    internal static string? ImmutableField(KubeApiException ex)
    {
        if (ex.Code != 422 || ex.Status.Reason != "Invalid")
        {
            return null;
        }
        var cause = ex.Status.Causes.FirstOrDefault(c => c.Reason == "FieldValueForbidden" && c.Field is not null)
            ?? ex.Status.Causes.FirstOrDefault(c => c.Reason == "FieldValueInvalid" && c.Field is { } f && ImmutableFieldPaths.Any(p =>
                f == p || f.StartsWith(p + "[", StringComparison.Ordinal)));
        return cause?.Field;
    }

    /// <summary>
    /// Waits until discovery serves kinds whose CRDs were just established: a real API server publishes a new group
    /// version in discovery a moment after the CRD's Established condition turns true.
    /// </summary>
    private async Task<List<string>> WaitServedAsync(KubeClient client, IEnumerable<(string ApiVersion, string Kind)> kinds, ApplyOptions options,
        CancellationToken ct)
    {
        var problems = new List<string>();
        var deadline = _time.GetUtcNow() + options.Timeout;
        foreach (var (apiVersion, kind) in kinds)
        {
            var delay = TimeSpan.FromMilliseconds(50);
            while (await client.FindResourceAsync(apiVersion, kind, ct).ConfigureAwait(false) is null)
            {
                if (_time.GetUtcNow() > deadline)
                {
                    problems.Add($"waiting for cluster definitions: kind {kind} in {apiVersion} is not served {options.Timeout.TotalSeconds:0}s after its CRD was established");
                    break;
                }
                await Task.Delay(delay, _time, ct).ConfigureAwait(false);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 1000));
            }
        }
        return problems;
    }

    /// <summary>Deletes the object (foreground, so that dependents go first) and waits until it is gone.</summary>
    private async Task RecreateAsync(KubeClient client, Planned p, ApplyOptions options, CancellationToken ct)
    {
        await client.DeleteAsync(p.Ref.ApiVersion, p.Ref.Kind, p.Ref.Namespace, p.Ref.Name, PropagationPolicy.Foreground, ct).ConfigureAwait(false);
        var deadline = _time.GetUtcNow() + options.Timeout;
        var delay = TimeSpan.FromMilliseconds(50);
        while (await client.GetAsync(p.Ref.ApiVersion, p.Ref.Kind, p.Ref.Namespace, p.Ref.Name, ct).ConfigureAwait(false) is not null)
        {
            if (_time.GetUtcNow() > deadline)
            {
                throw new KubeApiException("recreate", new KubeStatus(504, "Timeout", $"still present {options.Timeout.TotalSeconds:0}s after delete", []));
            }
            await Task.Delay(delay, _time, ct).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 2000));
        }
    }

    private async Task PruneAsync(KubeClient client, List<InventoryEntry> stale, ApplyOptions options, List<ChangeSetEntry> changes,
        List<string> errors, HashSet<(string, string, string?, string)> pruned, CancellationToken ct)
    {
        static bool Last(InventoryEntry e) => e.Kind is "Namespace" or "CustomResourceDefinition";
        // Namespaces and CRDs last: deleting them first would take their contents along unaccounted.
        foreach (var e in stale.Where(e => !Last(e)).Concat(stale.Where(e => Last(e) && e.Kind != "Namespace")).Concat(stale.Where(e => e.Kind == "Namespace")))
        {
            var r = e.Ref;
            try
            {
                JsonObject? live;
                try
                {
                    live = await client.GetAsync(r.ApiVersion, r.Kind, r.Namespace, r.Name, ct).ConfigureAwait(false);
                }
                catch (KubeApiException ex) when (ex.Code == 404)
                {
                    live = null; // the kind itself is no longer served
                }
                ChangeSetEntry change;
                if (live is null)
                {
                    change = new ChangeSetEntry(r, ChangeAction.Deleted, "already gone");
                }
                else if (!FleetLabels.IsOwnedBy(live, options.Application, options.ApplicationNamespace))
                {
                    change = new ChangeSetEntry(r, ChangeAction.Skipped, "not pruned: it does not carry this application's labels");
                }
                else if (FleetLabels.PruneDisabled(live))
                {
                    change = new ChangeSetEntry(r, ChangeAction.Skipped, $"not pruned: {FleetLabels.PruneAnnotation}: disabled");
                }
                else
                {
                    await client.DeleteAsync(r.ApiVersion, r.Kind, r.Namespace, r.Name, PropagationPolicy.Background, ct).ConfigureAwait(false);
                    change = new ChangeSetEntry(r, ChangeAction.Deleted);
                }
                changes.Add(change);
                pruned.Add(r.Identity);
                Log.Changed(_logger, r, change.Action);
            }
            catch (Exception ex) when (ex is KubeApiException or KubeConnectionException)
            {
                // A failed delete stays in the inventory, so that the next apply tries again.
                var why = ex is KubeApiException api ? api.StatusText : ex.Message;
                changes.Add(new ChangeSetEntry(r, ChangeAction.Failed, $"prune failed: {why}"));
                errors.Add($"{r}: prune failed: {why}");
            }
        }
    }
}
