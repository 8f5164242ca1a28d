using System.Globalization;
using System.Text.Json.Nodes;
using Fleet.KubeSim.Api;
using Fleet.KubeSim.Json;
using Fleet.KubeSim.Store;
using Microsoft.Extensions.Logging;

namespace Fleet.KubeSim.Controllers;

/// <summary>
/// The controllers of a real control plane, reduced to what clients observe: workloads report progress and
/// then readiness after <see cref="KubeSimOptions.ReadyDelay"/> (an image tagged <c>fail</c> never becomes
/// ready; a Deployment then reports <c>ProgressDeadlineExceeded</c>), Jobs complete, CRDs become
/// Established, terminating Namespaces are emptied and removed. One timer drives all clusters, so ten
/// thousand idle clusters cost nothing.
/// </summary>
internal sealed partial class SimControllers : IDisposable
{
    private const string Manager = "kube-controller-manager";

    private readonly TimeProvider _time;
    private readonly TimeSpan _readyDelay;
    private readonly bool _enabled;
    private readonly ILogger _log;
    private readonly PriorityQueue<WorkItem, DateTimeOffset> _queue = new();
    private readonly Lock _queueGate = new();
    private readonly ITimer _timer;
    private DateTimeOffset _timerDue = DateTimeOffset.MaxValue;
    private int _running;
    private bool _disposed;

    public SimControllers(TimeProvider time, TimeSpan readyDelay, bool enabled, ILogger log)
    {
        _enabled = enabled;
        _time = time;
        _readyDelay = readyDelay < TimeSpan.Zero ? TimeSpan.Zero : readyDelay;
        _log = log;
        _timer = time.CreateTimer(_ => Run(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public KubeApi? Api { get; set; }

    private enum Phase
    {
        Observe,
        Settle,
        CleanNamespace,
    }

    private sealed record WorkItem(SimCluster Cluster, ResourceType Type, string Namespace, string Name, long Generation, Phase Phase);

    /// <summary>Reacts to a stored write (lock held): schedules the status the controllers will write.</summary>
    public void OnWrite(SimCluster c, ResourceType rt, JsonObject obj, JsonObject? previous)
    {
        if (!_enabled)
        {
            return;
        }

        var meta = JsonUtil.Metadata(obj);
        var ns = JsonUtil.Str(meta["namespace"]) ?? string.Empty;
        var name = JsonUtil.Str(meta["name"])!;
        var generation = JsonUtil.Long(meta["generation"]) ?? 0;
        var previousGeneration = JsonUtil.Long(previous?["metadata"]?["generation"]) ?? -1;
        var deleting = meta["deletionTimestamp"] is not null;

        if (rt == BuiltinResources.Namespaces)
        {
            if (deleting)
            {
                Schedule(new WorkItem(c, rt, string.Empty, name, 0, Phase.CleanNamespace), TimeSpan.Zero);
            }

            return;
        }

        if (rt == BuiltinResources.Crds)
        {
            return;
        }

        if (deleting || generation == previousGeneration)
        {
            return;
        }

        if (IsWorkload(rt) || (rt == BuiltinResources.Jobs && previous is null))
        {
            if (_readyDelay > TimeSpan.Zero || rt == BuiltinResources.Jobs)
            {
                Schedule(new WorkItem(c, rt, ns, name, generation, Phase.Observe), TimeSpan.Zero);
            }

            Schedule(new WorkItem(c, rt, ns, name, generation, Phase.Settle), _readyDelay);
        }
    }

    /// <summary>Reacts to a removal (lock held): a terminating namespace may now be empty.</summary>
    public void OnDelete(SimCluster c, ResourceType rt, string ns)
    {
        if (!_enabled)
        {
            return;
        }

        if (rt.Namespaced && ns.Length > 0 && c.Get(BuiltinResources.Namespaces.GroupResource, string.Empty, ns) is { } nsBytes
            && JsonUtil.ParseObject(nsBytes)["metadata"]?["deletionTimestamp"] is not null)
        {
            Schedule(new WorkItem(c, BuiltinResources.Namespaces, string.Empty, ns, 0, Phase.CleanNamespace), TimeSpan.Zero);
        }
    }

    private static bool IsWorkload(ResourceType rt) =>
        rt.Group == "apps" && rt.Plural is "deployments" or "statefulsets" or "daemonsets" or "replicasets";

    private void Schedule(WorkItem item, TimeSpan delay)
    {
        var due = _time.GetUtcNow() + delay;
        lock (_queueGate)
        {
            if (_disposed)
            {
                return;
            }

            _queue.Enqueue(item, due);
            if (due < _timerDue)
            {
                _timerDue = due;
                Arm(delay);
            }
        }
    }

    /// <summary>
    /// Runs the queue after <paramref name="delay"/>: work due now goes to the thread pool, never through the
    /// clock's timer, whose callback a fake clock may run at once on the writer's thread, inside its locks.
    /// </summary>
    private void Arm(TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            ThreadPool.UnsafeQueueUserWorkItem(static self => self.Run(), this, preferLocal: false);
            return;
        }

        _timer.Change(delay, Timeout.InfiniteTimeSpan);
    }

    private void Run()
    {
        if (Interlocked.Exchange(ref _running, 1) == 1)
        {
            return;
        }

        try
        {
            while (true)
            {
                WorkItem? item = null;
                lock (_queueGate)
                {
                    if (_queue.TryPeek(out var next, out var due) && due <= _time.GetUtcNow())
                    {
                        item = _queue.Dequeue();
                    }
                    else
                    {
                        _timerDue = DateTimeOffset.MaxValue;
                    }
                }

                if (item is null)
                {
                    break;
                }

                try
                {
                    Process(item);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    LogControllerFailed(_log, e, item.Cluster.Name, item.Type.GroupResource, item.Namespace, item.Name);
                }
            }
        }
        finally
        {
            Volatile.Write(ref _running, 0);
            lock (_queueGate)
            {
                if (!_disposed && _queue.TryPeek(out _, out var due))
                {
                    var delay = due - _time.GetUtcNow();
                    if (delay < TimeSpan.Zero)
                    {
                        delay = TimeSpan.Zero;
                    }

                    _timerDue = due;
                    Arm(delay);
                }
            }
        }
    }

    private void Process(WorkItem item)
    {
        var api = Api ?? throw new InvalidOperationException("the controllers were started without an API");
        var c = item.Cluster;
        lock (c.Gate)
        {
            if (c.Removed)
            {
                return;
            }

            switch (item.Phase)
            {
                case Phase.CleanNamespace:
                    CleanNamespace(api, c, item.Name);
                    return;
            }

            api.WriteStatusLocked(c, item.Type, item.Namespace, item.Name, Manager, obj =>
            {
                var generation = JsonUtil.Long(obj["metadata"]?["generation"]) ?? 0;
                if (generation != item.Generation || obj["metadata"]?["deletionTimestamp"] is not null)
                {
                    return null;
                }

                var settle = item.Phase == Phase.Settle;
                var fails = ImageFails(obj);
                return item.Type.Plural switch
                {
                    "deployments" => DeploymentStatus(obj, generation, settle, fails),
                    "statefulsets" => StatefulSetStatus(obj, generation, settle && !fails),
                    "daemonsets" => DaemonSetStatus(obj, generation, settle && !fails),
                    "replicasets" => ReplicaSetStatus(obj, generation, settle && !fails),
                    "jobs" => JobStatus(obj, settle, fails),
                    _ => null,
                };
            });
        }
    }

    private string Now => FieldOwnership.Timestamp(_time.GetUtcNow());

    private static long Replicas(JsonObject obj) =>
        JsonUtil.Long(obj["spec"]?["replicas"]) ?? 1;

    /// <summary>Whether any container's image carries the tag <c>fail</c>.</summary>
    public static bool ImageFails(JsonObject obj)
    {
        var podSpec = obj["spec"]?["template"]?["spec"];
        foreach (var list in new[] { podSpec?["containers"], podSpec?["initContainers"] })
        {
            foreach (var container in list as JsonArray ?? [])
            {
                var image = JsonUtil.Str(container?["image"]) ?? string.Empty;
                var lastSlash = image.LastIndexOf('/');
                var tail = image[(lastSlash + 1)..];
                var at = tail.IndexOf('@', StringComparison.Ordinal);
                if (at >= 0)
                {
                    tail = tail[..at];
                }

                var colon = tail.LastIndexOf(':');
                if (colon >= 0 && tail[(colon + 1)..] == "fail")
                {
                    return true;
                }
            }
        }

        return false;
    }

    private JsonArray Conditions(JsonObject obj, params (string Type, string Status, string Reason, string Message)[] wanted)
    {
        var existing = obj["status"]?["conditions"] as JsonArray;
        var now = Now;
        var result = new JsonArray();
        foreach (var (type, status, reason, message) in wanted)
        {
            var old = existing?.OfType<JsonObject>().FirstOrDefault(x => JsonUtil.Str(x["type"]) == type);
            var transition = old is not null && JsonUtil.Str(old["status"]) == status ? JsonUtil.Str(old["lastTransitionTime"]) ?? now : now;
            var condition = new JsonObject
            {
                ["type"] = type,
                ["status"] = status,
                ["lastUpdateTime"] = now,
                ["lastTransitionTime"] = transition,
                ["reason"] = reason,
                ["message"] = message,
            };
            result.Add(condition);
        }

        return result;
    }

    private static string ReplicaSetName(JsonObject obj)
    {
        var name = JsonUtil.Str(obj["metadata"]?["name"]) ?? "x";
        var template = obj["spec"]?["template"]?.ToJsonString() ?? string.Empty;
        var hash = (uint)template.Aggregate(17, (h, ch) => unchecked((h * 31) + ch));
        return $"{name}-{(hash % 0xFFFFFFF).ToString("x7", CultureInfo.InvariantCulture)}";
    }

    private JsonObject DeploymentStatus(JsonObject obj, long generation, bool settle, bool fails)
    {
        var replicas = Replicas(obj);
        var rs = ReplicaSetName(obj);
        var wasAvailable = obj["status"]?["conditions"] is JsonArray conds
            && conds.Any(x => JsonUtil.Str(x?["type"]) == "Available" && JsonUtil.Str(x?["status"]) == "True");
        if (settle && !fails)
        {
            return new JsonObject
            {
                ["observedGeneration"] = generation,
                ["replicas"] = replicas,
                ["updatedReplicas"] = replicas,
                ["readyReplicas"] = replicas,
                ["availableReplicas"] = replicas,
                ["conditions"] = Conditions(obj,
                    ("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability."),
                    ("Progressing", "True", "NewReplicaSetAvailable", $"ReplicaSet \"{rs}\" has successfully progressed.")),
            };
        }

        var status = new JsonObject
        {
            ["observedGeneration"] = generation,
            ["replicas"] = replicas,
            ["updatedReplicas"] = replicas,
            ["unavailableReplicas"] = replicas,
        };
        if (settle)
        {
            status["conditions"] = Conditions(obj,
                ("Available", wasAvailable ? "True" : "False", wasAvailable ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
                    wasAvailable ? "Deployment has minimum availability." : "Deployment does not have minimum availability."),
                ("Progressing", "False", "ProgressDeadlineExceeded", $"ReplicaSet \"{rs}\" has timed out progressing."));
        }
        else
        {
            status["conditions"] = Conditions(obj,
                ("Available", wasAvailable ? "True" : "False", wasAvailable ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
                    wasAvailable ? "Deployment has minimum availability." : "Deployment does not have minimum availability."),
                ("Progressing", "True", "ReplicaSetUpdated", $"ReplicaSet \"{rs}\" is progressing."));
        }

        return status;
    }

    private static JsonObject StatefulSetStatus(JsonObject obj, long generation, bool ready)
    {
        var replicas = Replicas(obj);
        var revision = ReplicaSetName(obj);
        var current = JsonUtil.Str(obj["status"]?["currentRevision"]);
        return new JsonObject
        {
            ["observedGeneration"] = generation,
            ["replicas"] = replicas,
            ["readyReplicas"] = ready ? replicas : 0,
            ["currentReplicas"] = ready ? replicas : 0,
            ["updatedReplicas"] = ready ? replicas : 0,
            ["availableReplicas"] = ready ? replicas : 0,
            ["currentRevision"] = ready ? revision : current ?? revision,
            ["updateRevision"] = revision,
            ["collisionCount"] = 0,
        };
    }

    private static JsonObject DaemonSetStatus(JsonObject obj, long generation, bool ready) => new()
    {
        ["observedGeneration"] = generation,
        ["desiredNumberScheduled"] = 1,
        ["currentNumberScheduled"] = 1,
        ["numberMisscheduled"] = 0,
        ["numberReady"] = ready ? 1 : 0,
        ["numberAvailable"] = ready ? 1 : 0,
        ["updatedNumberScheduled"] = ready ? 1 : 0,
        ["numberUnavailable"] = ready ? 0 : 1,
    };

    private static JsonObject ReplicaSetStatus(JsonObject obj, long generation, bool ready)
    {
        var replicas = Replicas(obj);
        return new JsonObject
        {
            ["observedGeneration"] = generation,
            ["replicas"] = replicas,
            ["fullyLabeledReplicas"] = replicas,
            ["readyReplicas"] = ready ? replicas : 0,
            ["availableReplicas"] = ready ? replicas : 0,
        };
    }

    private JsonObject JobStatus(JsonObject obj, bool settle, bool fails)
    {
        var start = JsonUtil.Str(obj["status"]?["startTime"]) ?? Now;
        if (!settle)
        {
            return new JsonObject { ["startTime"] = start, ["active"] = 1, ["ready"] = 0, ["uncountedTerminatedPods"] = new JsonObject() };
        }

        if (fails)
        {
            var backoff = JsonUtil.Long(obj["spec"]?["backoffLimit"]) ?? 6;
            return new JsonObject
            {
                ["startTime"] = start,
                ["failed"] = backoff + 1,
                ["ready"] = 0,
                ["uncountedTerminatedPods"] = new JsonObject(),
                ["conditions"] = Conditions(obj,
                    ("FailureTarget", "True", "BackoffLimitExceeded", "Job has reached the specified backoff limit"),
                    ("Failed", "True", "BackoffLimitExceeded", "Job has reached the specified backoff limit")),
            };
        }

        var completions = JsonUtil.Long(obj["spec"]?["completions"]) ?? 1;
        return new JsonObject
        {
            ["startTime"] = start,
            ["completionTime"] = Now,
            ["succeeded"] = completions,
            ["ready"] = 0,
            ["uncountedTerminatedPods"] = new JsonObject(),
            ["conditions"] = Conditions(obj,
                ("SuccessCriteriaMet", "True", "CompletionsReached", "Reached expected number of succeeded pods"),
                ("Complete", "True", "CompletionsReached", "Reached expected number of succeeded pods")),
        };
    }

    /// <summary>
    /// Marks a CRD NamesAccepted and Established as part of the write that creates or changes it (the
    /// real apiextensions controllers take milliseconds; doing it at once lets a file holding a CRD and
    /// its resources apply in one go). Leaves an already established, unchanged CRD alone.
    /// </summary>
    public static void EnsureCrdEstablished(JsonObject crd, string now)
    {
        if (crd["metadata"]?["deletionTimestamp"] is not null)
        {
            return;
        }

        var spec = crd["spec"] as JsonObject;
        var storage = JsonUtil.Str((spec?["versions"] as JsonArray)?.OfType<JsonObject>()
            .FirstOrDefault(v => v["storage"] is JsonValue s && s.TryGetValue<bool>(out var b) && b)?["name"]);
        var status = crd["status"] as JsonObject;
        var conditions = status?["conditions"] as JsonArray;
        var established = conditions?.Any(x => JsonUtil.Str(x?["type"]) == "Established" && JsonUtil.Str(x?["status"]) == "True") == true;
        var stored = (status?["storedVersions"] as JsonArray)?.Select(JsonUtil.Str).OfType<string>().ToList() ?? [];
        if (established && JsonNode.DeepEquals(status?["acceptedNames"], spec?["names"]) && (storage is null || stored.Contains(storage)))
        {
            return;
        }

        if (storage is not null && !stored.Contains(storage))
        {
            stored.Add(storage);
        }

        crd["status"] = new JsonObject
        {
            ["conditions"] = new JsonArray(
                new JsonObject { ["type"] = "NamesAccepted", ["status"] = "True", ["lastTransitionTime"] = now, ["reason"] = "NoConflicts", ["message"] = "no conflicts found" },
                new JsonObject { ["type"] = "Established", ["status"] = "True", ["lastTransitionTime"] = now, ["reason"] = "InitialNamesAccepted", ["message"] = "the initial names have been accepted" }),
            ["acceptedNames"] = spec?["names"]?.DeepClone(),
            ["storedVersions"] = new JsonArray(stored.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray()),
        };
    }

    private static void CleanNamespace(KubeApi api, SimCluster c, string ns)
    {
        var nsBytes = c.Get(BuiltinResources.Namespaces.GroupResource, string.Empty, ns);
        if (nsBytes is null)
        {
            return;
        }

        var nsObj = JsonUtil.ParseObject(nsBytes);
        if (nsObj["metadata"]?["deletionTimestamp"] is null)
        {
            return;
        }

        var remaining = 0;
        var types = BuiltinResources.All.Concat(c.CustomTypes).Where(t => t.Namespaced)
            .GroupBy(t => t.GroupResource).Select(g => g.First()).ToList();
        foreach (var rt in types)
        {
            foreach (var (_, bytes) in c.Items(rt.GroupResource, ns).ToList())
            {
                var obj = JsonUtil.ParseObject(bytes);
                api.DeleteLocked(c, rt, obj, bytes, dryRun: false);
                if (c.Get(rt.GroupResource, ns, JsonUtil.Str(obj["metadata"]?["name"])!) is not null)
                {
                    remaining++;
                }
            }
        }

        if (remaining > 0)
        {
            return;
        }

        var next = (JsonObject)nsObj.DeepClone();
        if (next["spec"] is JsonObject spec)
        {
            spec["finalizers"] = new JsonArray();
        }

        api.WriteObjectLocked(c, BuiltinResources.Namespaces, nsObj, nsBytes, next, "namespace-controller");
    }

    public void Dispose()
    {
        lock (_queueGate)
        {
            _disposed = true;
            _queue.Clear();
        }

        _timer.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Simulated controller failed for {Cluster} {Resource} {Namespace}/{Name}")]
    private static partial void LogControllerFailed(ILogger logger, Exception e, string cluster, string resource, string @namespace, string name);
}
