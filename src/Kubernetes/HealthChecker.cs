using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fleet.Kubernetes;

public enum HealthStatus
{
    Current,
    InProgress,
    Failed,
    NotFound,
}

/// <summary>
/// Health of one object, with a message naming it and saying why. <see cref="TimedOut"/> marks a wait's deadline
/// passing while the object was still <see cref="HealthStatus.InProgress"/> (or not there yet): still progressing, which
/// is not <see cref="HealthStatus.Failed"/> (kstatus Failed: a progress deadline exceeded, a failed Job, Stalled=True).
/// </summary>
public sealed record HealthResult(ObjectRef Object, HealthStatus Status, string Message)
{
    public bool TimedOut { get; init; }
}

/// <summary>What the health of a set of objects came to.</summary>
public enum HealthOutcome
{
    /// <summary>Health was not waited for.</summary>
    NotChecked,

    /// <summary>Every object is Current.</summary>
    Healthy,

    /// <summary>The deadline passed while some objects were still progressing (or not there yet), none failed: try again later.</summary>
    Progressing,

    /// <summary>Some object failed by kstatus' rules: it will not get better without a change.</summary>
    Failed,
}

/// <summary>
/// Health after kstatus's rules: built-in rules for workloads, Jobs, PVCs, LoadBalancer Services, Namespaces and CRDs;
/// for anything else the <c>Ready</c>/<c>Available</c> conditions and <c>observedGeneration</c>.
/// </summary>
public sealed class HealthChecker
{
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    public HealthChecker(TimeProvider? timeProvider = null, ILogger<HealthChecker>? logger = null)
    {
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Evaluates one live object.</summary>
    public static HealthResult Evaluate(JsonObject live)
    {
        ArgumentNullException.ThrowIfNull(live);
        var r = ObjectRef.FromObject(live);
        var (status, why) = Rules(live, r);
        return new HealthResult(r, status, $"{r}: {why}");
    }

    private static (HealthStatus, string) Rules(JsonObject o, ObjectRef r)
    {
        if (o.Str("metadata", "deletionTimestamp") is not null)
        {
            return (HealthStatus.InProgress, "being deleted");
        }
        var generation = o.Long("metadata", "generation");
        var observed = o.Long("status", "observedGeneration");
        if (generation is { } g && observed is { } og && og < g)
        {
            return (HealthStatus.InProgress, $"generation {g} not yet observed (observed {og})");
        }
        switch (r.Group, r.Kind)
        {
            case ("apps", "Deployment"):
                return Deployment(o);
            case ("apps", "StatefulSet"):
                return StatefulSet(o);
            case ("apps", "DaemonSet"):
                return DaemonSet(o);
            case ("apps", "ReplicaSet"):
                return ReplicaSet(o);
            case ("batch", "Job"):
                return Job(o);
            case ("", "PersistentVolumeClaim"):
                return o.Str("status", "phase") == "Bound"
                    ? (HealthStatus.Current, "bound")
                    : (HealthStatus.InProgress, $"not bound yet (phase {o.Str("status", "phase") ?? "unknown"})");
            case ("", "Service"):
                if (o.Str("spec", "type") == "LoadBalancer" &&
                    (o.Path("status", "loadBalancer", "ingress") is not JsonArray ingress || ingress.Count == 0))
                {
                    return (HealthStatus.InProgress, "load balancer ingress not assigned yet");
                }
                return (HealthStatus.Current, "service ready");
            case ("", "Namespace"):
                return o.Str("status", "phase") == "Terminating"
                    ? (HealthStatus.InProgress, "terminating")
                    : (HealthStatus.Current, "namespace exists");
            case ("", "Pod"):
                return Pod(o);
            case ("apiextensions.k8s.io", "CustomResourceDefinition"):
                return Crd(o);
            default:
                return Generic(o, observed is not null);
        }
    }

    private static bool IsTrue(JsonObject? c) => c?.Str("status") == "True";

    private static bool IsFalse(JsonObject? c) => c?.Str("status") == "False";

    private static (HealthStatus, string) Deployment(JsonObject o)
    {
        var progressing = o.Condition("Progressing");
        if (progressing?.Str("reason") == "ProgressDeadlineExceeded")
        {
            return (HealthStatus.Failed, $"progress deadline exceeded: {progressing.Str("message") ?? ""}".TrimEnd(' ', ':'));
        }
        if (o.Path("status") is null)
        {
            return (HealthStatus.InProgress, "no status reported yet");
        }
        var desired = o.Long("spec", "replicas") ?? 1;
        var updated = o.Long("status", "updatedReplicas") ?? 0;
        var replicas = o.Long("status", "replicas") ?? 0;
        var available = o.Long("status", "availableReplicas") ?? 0;
        var ready = o.Long("status", "readyReplicas") ?? 0;
        if (updated < desired)
        {
            return (HealthStatus.InProgress, $"{updated} of {desired} replicas updated");
        }
        if (replicas > updated)
        {
            return (HealthStatus.InProgress, $"{replicas - updated} old replicas pending termination");
        }
        if (available < updated)
        {
            return (HealthStatus.InProgress, $"{available} of {updated} updated replicas available");
        }
        if (ready < desired)
        {
            return (HealthStatus.InProgress, $"{ready} of {desired} replicas ready");
        }
        if (IsFalse(o.Condition("Available")))
        {
            return (HealthStatus.InProgress, "Available condition is False");
        }
        return (HealthStatus.Current, $"{ready} of {desired} replicas ready");
    }

    private static (HealthStatus, string) StatefulSet(JsonObject o)
    {
        if (o.Path("status") is null)
        {
            return (HealthStatus.InProgress, "no status reported yet");
        }
        var desired = o.Long("spec", "replicas") ?? 1;
        var ready = o.Long("status", "readyReplicas") ?? 0;
        var current = o.Long("status", "currentReplicas") ?? 0;
        var updated = o.Long("status", "updatedReplicas") ?? 0;
        if (o.Str("spec", "updateStrategy", "type") == "OnDelete")
        {
            return ready < desired ? (HealthStatus.InProgress, $"{ready} of {desired} replicas ready") : (HealthStatus.Current, "all replicas ready (OnDelete)");
        }
        var partition = o.Long("spec", "updateStrategy", "rollingUpdate", "partition") ?? 0;
        if (ready < desired)
        {
            return (HealthStatus.InProgress, $"{ready} of {desired} replicas ready");
        }
        if (partition > 0)
        {
            return updated < desired - partition
                ? (HealthStatus.InProgress, $"{updated} of {desired - partition} replicas updated (partition {partition})")
                : (HealthStatus.Current, "partitioned rollout complete");
        }
        var currentRevision = o.Str("status", "currentRevision");
        var updateRevision = o.Str("status", "updateRevision");
        if (currentRevision != updateRevision || current < desired)
        {
            return (HealthStatus.InProgress, $"rolling update in progress ({updated} of {desired} updated)");
        }
        return (HealthStatus.Current, $"{ready} of {desired} replicas ready");
    }

    private static (HealthStatus, string) DaemonSet(JsonObject o)
    {
        if (o.Path("status") is null)
        {
            return (HealthStatus.InProgress, "no status reported yet");
        }
        var desired = o.Long("status", "desiredNumberScheduled") ?? 0;
        var scheduled = o.Long("status", "currentNumberScheduled") ?? 0;
        var updated = o.Long("status", "updatedNumberScheduled") ?? 0;
        var available = o.Long("status", "numberAvailable") ?? 0;
        var ready = o.Long("status", "numberReady") ?? 0;
        if (scheduled < desired)
        {
            return (HealthStatus.InProgress, $"{scheduled} of {desired} pods scheduled");
        }
        if (updated < desired)
        {
            return (HealthStatus.InProgress, $"{updated} of {desired} pods updated");
        }
        if (available < desired || ready < desired)
        {
            return (HealthStatus.InProgress, $"{Math.Min(available, ready)} of {desired} pods available");
        }
        return (HealthStatus.Current, $"{ready} of {desired} pods ready");
    }

    private static (HealthStatus, string) ReplicaSet(JsonObject o)
    {
        var failure = o.Condition("ReplicaFailure");
        if (IsTrue(failure))
        {
            return (HealthStatus.InProgress, $"replica failure: {failure!.Str("message")}");
        }
        var desired = o.Long("spec", "replicas") ?? 1;
        var ready = o.Long("status", "readyReplicas") ?? 0;
        var available = o.Long("status", "availableReplicas") ?? 0;
        var labeled = o.Long("status", "fullyLabeledReplicas") ?? desired;
        if (labeled < desired || available < desired || ready < desired)
        {
            return (HealthStatus.InProgress, $"{Math.Min(ready, available)} of {desired} replicas available");
        }
        return (HealthStatus.Current, $"{ready} of {desired} replicas ready");
    }

    private static (HealthStatus, string) Job(JsonObject o)
    {
        var failed = o.Condition("Failed");
        if (IsTrue(failed))
        {
            return (HealthStatus.Failed, $"job failed: {failed!.Str("reason") ?? ""} {failed.Str("message") ?? ""}".TrimEnd());
        }
        if (IsTrue(o.Condition("Complete")))
        {
            return (HealthStatus.Current, "job complete");
        }
        var succeeded = o.Long("status", "succeeded") ?? 0;
        var completions = o.Long("spec", "completions") ?? 1;
        return (HealthStatus.InProgress, $"job running ({succeeded} of {completions} completions)");
    }

    private static (HealthStatus, string) Pod(JsonObject o)
    {
        switch (o.Str("status", "phase"))
        {
            case "Succeeded":
                return (HealthStatus.Current, "pod succeeded");
            case "Failed":
                return (HealthStatus.Failed, $"pod failed: {o.Str("status", "reason") ?? ""}".TrimEnd(' ', ':'));
            case "Running" when IsTrue(o.Condition("Ready")):
                return (HealthStatus.Current, "pod ready");
            default:
                return (HealthStatus.InProgress, $"pod not ready (phase {o.Str("status", "phase") ?? "unknown"})");
        }
    }

    private static (HealthStatus, string) Crd(JsonObject o)
    {
        var names = o.Condition("NamesAccepted");
        if (IsFalse(names))
        {
            return (HealthStatus.Failed, $"names not accepted: {names!.Str("message")}");
        }
        return IsTrue(o.Condition("Established"))
            ? (HealthStatus.Current, "established")
            : (HealthStatus.InProgress, "not established yet");
    }

    private static (HealthStatus, string) Generic(JsonObject o, bool hasObservedGeneration)
    {
        var stalled = o.Condition("Stalled");
        if (IsTrue(stalled))
        {
            return (HealthStatus.Failed, $"stalled: {stalled!.Str("message") ?? stalled.Str("reason")}");
        }
        if (IsTrue(o.Condition("Reconciling")))
        {
            return (HealthStatus.InProgress, "reconciling");
        }
        foreach (var type in new[] { "Ready", "Available" })
        {
            var c = o.Condition(type);
            if (c is null)
            {
                continue;
            }
            if (IsTrue(c))
            {
                return (HealthStatus.Current, $"{type}");
            }
            return (HealthStatus.InProgress, $"{type} is {c.Str("status") ?? "Unknown"}: {c.Str("reason") ?? ""} {c.Str("message") ?? ""}".TrimEnd(' ', ':'));
        }
        return (HealthStatus.Current, hasObservedGeneration ? "generation observed" : "exists");
    }

    /// <summary>What a list of health results comes to; <see cref="HealthOutcome.NotChecked"/> for none.</summary>
    public static HealthOutcome Summarise(IReadOnlyCollection<HealthResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        return results.Count == 0 ? HealthOutcome.NotChecked
            : results.Any(r => r.Status == HealthStatus.Failed) ? HealthOutcome.Failed
            : results.All(r => r.Status == HealthStatus.Current) ? HealthOutcome.Healthy
            : HealthOutcome.Progressing;
    }

    /// <summary>Health as it is now, without waiting: one LIST per kind and namespace.</summary>
    public static async Task<IReadOnlyList<HealthResult>> CheckAsync(KubeClient client, IReadOnlyList<ObjectRef> objects, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(objects);
        var groups = await Task.WhenAll(objects.GroupBy(o => (o.ApiVersion, o.Kind, o.Namespace)).Select(async g =>
        {
            var list = await client.ListAsync(g.Key.ApiVersion, g.Key.Kind, g.Key.Namespace, null, ct).ConfigureAwait(false);
            var byName = list.Items.GroupBy(i => i.Str("metadata", "name") ?? "").ToDictionary(x => x.Key, x => x.First());
            return g.Select(o => byName.TryGetValue(o.Name, out var live)
                ? Evaluate(live) with { Object = o }
                : new HealthResult(o, HealthStatus.NotFound, $"{o}: not found")).ToList();
        })).ConfigureAwait(false);
        var all = groups.SelectMany(r => r).ToDictionary(r => r.Object.Identity);
        return [.. objects.Select(o => all[o.Identity])];
    }

    /// <summary>
    /// Waits until every object is Current or Failed, or the timeout passes (then the rest are reported InProgress).
    /// One LIST plus one WATCH per kind and namespace; polling with back-off when a watch cannot be had.
    /// </summary>
    public async Task<IReadOnlyList<HealthResult>> WaitAsync(KubeClient client, IReadOnlyList<ObjectRef> objects, TimeSpan timeout,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(objects);
        using var deadline = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        var groups = objects.GroupBy(o => (o.ApiVersion, o.Kind, o.Namespace));
        var results = await Task.WhenAll(groups.Select(g => WaitGroupAsync(client, g.Key.ApiVersion, g.Key.Kind, g.Key.Namespace, [.. g], linked.Token, ct)))
            .ConfigureAwait(false);
        var all = results.SelectMany(r => r).ToDictionary(r => r.Object.Identity);
        return [.. objects.Select(o => all.TryGetValue(o.Identity, out var r) ? r : new HealthResult(o, HealthStatus.InProgress, $"{o}: unknown"))];
    }

    private async Task<IReadOnlyList<HealthResult>> WaitGroupAsync(KubeClient client, string apiVersion, string kind, string? ns,
        List<ObjectRef> wanted, CancellationToken token, CancellationToken callerToken)
    {
        var state = wanted.ToDictionary(w => w.Name, w => new HealthResult(w, HealthStatus.NotFound, $"{w}: not found"));
        bool Done() => state.Values.All(s => s.Status is HealthStatus.Current or HealthStatus.Failed);
        void Observe(JsonObject live, bool deleted = false)
        {
            var name = live.Str("metadata", "name");
            if (name is null || !state.TryGetValue(name, out var previous))
            {
                return;
            }
            state[name] = deleted ? new HealthResult(previous.Object, HealthStatus.NotFound, $"{previous.Object}: deleted") : Evaluate(live) with { Object = previous.Object };
        }
        var delay = TimeSpan.FromMilliseconds(200);
        try
        {
            while (true)
            {
                KubeList list;
                try
                {
                    list = await client.ListAsync(apiVersion, kind, ns, null, token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is KubeApiException or KubeConnectionException)
                {
                    // The cluster may come back before the deadline: keep trying with back-off.
                    Log.WatchFallback(_logger, kind, ns, ex.Message);
                    await Task.Delay(delay, _time, token).ConfigureAwait(false);
                    delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
                    continue;
                }
                foreach (var name in state.Keys.ToList())
                {
                    state[name] = state[name] with { Status = HealthStatus.NotFound, Message = $"{state[name].Object}: not found" };
                }
                foreach (var item in list.Items)
                {
                    Observe(item);
                }
                if (Done())
                {
                    break;
                }
                var events = 0;
                try
                {
                    await foreach (var e in client.WatchAsync(apiVersion, kind, ns, list.ResourceVersion, null, TimeSpan.FromMinutes(5), token).ConfigureAwait(false))
                    {
                        events++;
                        if (e.Type is "ADDED" or "MODIFIED" or "DELETED")
                        {
                            Observe(e.Object, e.Type == "DELETED");
                        }
                        if (Done())
                        {
                            break;
                        }
                    }
                    if (Done())
                    {
                        break;
                    }
                    if (events == 0)
                    {
                        // The server closed the watch at once: wait before listing again rather than spin.
                        await Task.Delay(delay, _time, token).ConfigureAwait(false);
                        delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
                    }
                }
                catch (Exception ex) when (ex is KubeApiException or KubeConnectionException or HttpRequestException or IOException)
                {
                    Log.WatchFallback(_logger, kind, ns, ex.Message);
                    await Task.Delay(delay, _time, token).ConfigureAwait(false);
                    delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
                }
            }
        }
        catch (OperationCanceledException) when (!callerToken.IsCancellationRequested)
        {
            // Deadline reached: report what was last seen, marked as timed out.
            foreach (var name in state.Keys.ToList())
            {
                var s = state[name];
                if (s.Status is HealthStatus.InProgress or HealthStatus.NotFound)
                {
                    state[name] = s with { Status = HealthStatus.InProgress, Message = $"{s.Message} (still in progress at the deadline)", TimedOut = true };
                }
            }
        }
        return [.. state.Values];
    }
}
