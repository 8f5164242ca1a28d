using System.Text;
using System.Text.Json.Nodes;
using Fleet.KubeSim.Json;
using Fleet.KubeSim.Store;

namespace Fleet.KubeSim.Api;

/// <summary>
/// What kube-apiserver 1.32 fills into the built-in kinds, learned from its answers: the scheme's defaults
/// (<see cref="Apply"/>: run as the body is decoded, so the writer owns them in managedFields), then what the
/// registry sets after the field manager has run (<see cref="Allocate"/>: cluster IPs, IP families, namespace
/// finalizers, the zero status), and the zero object the Update field set of a create is measured against
/// (<see cref="ZeroObject"/>: fields Go always serializes are never "added" by a create).
/// </summary>
internal static class Defaulting
{
    public static void Apply(ResourceType rt, JsonObject obj)
    {
        if (rt.IsCustom)
        {
            return;
        }

        var spec = obj["spec"] as JsonObject;
        switch (rt.Group, rt.Plural)
        {
            case ("", "secrets"):
                Secret(obj);
                break;
            case ("", "namespaces"):
                var labels = JsonUtil.Metadata(obj)["labels"] as JsonObject ?? new JsonObject();
                JsonUtil.Metadata(obj)["labels"] = labels;
                labels["kubernetes.io/metadata.name"] = JsonUtil.Str(obj["metadata"]?["name"]);
                break;
            case ("", "services") when spec is not null:
                Service(spec);
                break;
            case ("", "pods") when spec is not null:
                PodSpec(spec);
                spec["enableServiceLinks"] ??= true;
                break;
            case ("apps", "deployments") when spec is not null:
                spec["replicas"] ??= 1;
                var strategy = Object(spec, "strategy");
                strategy["type"] ??= "RollingUpdate";
                if (JsonUtil.Str(strategy["type"]) == "RollingUpdate")
                {
                    var rolling = Object(strategy, "rollingUpdate");
                    rolling["maxUnavailable"] ??= "25%";
                    rolling["maxSurge"] ??= "25%";
                }

                spec["revisionHistoryLimit"] ??= 10;
                spec["progressDeadlineSeconds"] ??= 600;
                Template(spec);
                break;
            case ("apps", "statefulsets") when spec is not null:
                spec["replicas"] ??= 1;
                spec["podManagementPolicy"] ??= "OrderedReady";
                var update = Object(spec, "updateStrategy");
                update["type"] ??= "RollingUpdate";
                if (JsonUtil.Str(update["type"]) == "RollingUpdate")
                {
                    Object(update, "rollingUpdate")["partition"] ??= 0;
                }

                spec["revisionHistoryLimit"] ??= 10;
                var retention = Object(spec, "persistentVolumeClaimRetentionPolicy");
                retention["whenDeleted"] ??= "Retain";
                retention["whenScaled"] ??= "Retain";
                foreach (var claim in (spec["volumeClaimTemplates"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    claim["kind"] ??= "PersistentVolumeClaim";
                    claim["apiVersion"] ??= "v1";
                    Object(claim, "metadata").TryAdd("creationTimestamp", null);
                    Object(claim, "spec")["volumeMode"] ??= "Filesystem";
                    Object(claim, "status")["phase"] ??= "Pending";
                }

                Template(spec);
                break;
            case ("apps", "replicasets") when spec is not null:
                spec["replicas"] ??= 1;
                Template(spec);
                break;
            case ("apps", "daemonsets") when spec is not null:
                if (JsonUtil.Long(obj["metadata"]?["generation"]) is { } generation)
                {
                    var annotations = JsonUtil.Metadata(obj)["annotations"] as JsonObject ?? new JsonObject();
                    JsonUtil.Metadata(obj)["annotations"] = annotations;
                    annotations["deprecated.daemonset.template.generation"] ??= generation.ToString(System.Globalization.CultureInfo.InvariantCulture);
                }

                var ds = Object(spec, "updateStrategy");
                ds["type"] ??= "RollingUpdate";
                if (JsonUtil.Str(ds["type"]) == "RollingUpdate")
                {
                    var rolling = Object(ds, "rollingUpdate");
                    rolling["maxUnavailable"] ??= 1;
                    rolling["maxSurge"] ??= 0;
                }

                spec["revisionHistoryLimit"] ??= 10;
                Template(spec);
                break;
            case ("batch", "jobs") when spec is not null:
                Job(spec);
                Template(spec);
                break;
            case ("batch", "cronjobs") when spec is not null:
                spec["concurrencyPolicy"] ??= "Allow";
                spec["suspend"] ??= false;
                spec["successfulJobsHistoryLimit"] ??= 3;
                spec["failedJobsHistoryLimit"] ??= 1;
                if (spec["jobTemplate"] is JsonObject jt)
                {
                    Object(jt, "metadata").TryAdd("creationTimestamp", null);
                    if (jt["spec"] is JsonObject js)
                    {
                        Template(js);
                    }
                }

                break;
            case ("rbac.authorization.k8s.io", "rolebindings" or "clusterrolebindings"):
                foreach (var subject in (obj["subjects"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    if (JsonUtil.Str(subject["kind"]) is "User" or "Group")
                    {
                        subject["apiGroup"] ??= "rbac.authorization.k8s.io";
                    }
                }

                break;
            case ("", "persistentvolumeclaims") when spec is not null:
                spec["volumeMode"] ??= "Filesystem";
                break;
            case ("networking.k8s.io", "networkpolicies") when spec is not null:
                if (spec["policyTypes"] is null)
                {
                    var types = new JsonArray("Ingress");
                    if (spec["egress"] is JsonArray { Count: > 0 })
                    {
                        types.Add("Egress");
                    }

                    spec["policyTypes"] = types;
                }

                break;
        }
    }

    /// <summary>What the registry sets after the field manager: not owned by the writer.</summary>
    public static void Allocate(ResourceType rt, JsonObject obj, bool create)
    {
        if (rt.IsCustom)
        {
            return;
        }

        switch (rt.Group, rt.Plural)
        {
            case ("", "namespaces"):
                var spec = Object(obj, "spec");
                if (spec["finalizers"] is null && obj["metadata"]?["deletionTimestamp"] is null)
                {
                    spec["finalizers"] = new JsonArray("kubernetes");
                }

                obj["status"] ??= new JsonObject { ["phase"] = "Active" };
                break;
            case ("", "services") when obj["spec"] is JsonObject svc:
                obj["status"] ??= new JsonObject { ["loadBalancer"] = new JsonObject() };
                if (JsonUtil.Str(svc["type"]) == "ExternalName")
                {
                    break;
                }

                if (create && JsonUtil.Str(svc["type"]) is "NodePort" or "LoadBalancer")
                {
                    foreach (var p in (svc["ports"] as JsonArray ?? []).OfType<JsonObject>())
                    {
                        p["nodePort"] ??= Random.Shared.Next(30000, 32768);
                    }
                }

                if (svc["clusterIP"] is null && create)
                {
                    var ip = $"10.0.0.{Random.Shared.Next(2, 255)}";
                    svc["clusterIP"] = ip;
                    svc["clusterIPs"] = new JsonArray(ip);
                }
                else if (svc["clusterIPs"] is null && JsonUtil.Str(svc["clusterIP"]) is { } set)
                {
                    svc["clusterIPs"] = new JsonArray(set);
                }

                svc["ipFamilies"] ??= new JsonArray("IPv4");
                svc["ipFamilyPolicy"] ??= "SingleStack";
                break;
            case ("", "pods"):
                obj["status"] ??= new JsonObject { ["phase"] = "Pending", ["qosClass"] = "BestEffort" };
                break;
            case ("batch", "jobs"):
                if (create)
                {
                    JobSelector(obj);
                }

                obj["status"] ??= new JsonObject();
                break;
            case ("apps", "deployments") or ("batch", "cronjobs"):
                obj["status"] ??= new JsonObject();
                break;
            case ("networking.k8s.io", "ingresses"):
                obj["status"] ??= new JsonObject { ["loadBalancer"] = new JsonObject() };
                break;
            case ("", "persistentvolumeclaims"):
                if (create)
                {
                    var finalizers = JsonUtil.Metadata(obj)["finalizers"] as JsonArray ?? [];
                    JsonUtil.Metadata(obj)["finalizers"] = finalizers;
                    if (!finalizers.Any(f => JsonUtil.Str(f) == "kubernetes.io/pvc-protection"))
                    {
                        finalizers.Add("kubernetes.io/pvc-protection");
                    }
                }

                obj["status"] ??= new JsonObject { ["phase"] = "Pending" };
                break;
            case ("apps", "statefulsets"):
                obj["status"] ??= new JsonObject { ["replicas"] = 0, ["availableReplicas"] = 0 };
                break;
            case ("apps", "replicasets"):
                obj["status"] ??= new JsonObject { ["replicas"] = 0 };
                break;
            case ("apps", "daemonsets"):
                obj["status"] ??= new JsonObject
                {
                    ["currentNumberScheduled"] = 0, ["numberMisscheduled"] = 0, ["desiredNumberScheduled"] = 0, ["numberReady"] = 0,
                };
                break;
        }
    }

    /// <summary>
    /// What the Service registry carries over on update when the writer leaves it out: the allocated cluster IPs
    /// and node ports (a replace without them keeps them rather than changing them).
    /// </summary>
    public static void KeepAllocated(ResourceType rt, JsonObject live, JsonObject next)
    {
        if (rt.IsCustom || rt.Group.Length > 0 || rt.Plural != "services" || next["spec"] is not JsonObject spec
            || live["spec"] is not JsonObject old || JsonUtil.Str(spec["type"]) == "ExternalName")
        {
            return;
        }

        if (string.IsNullOrEmpty(JsonUtil.Str(spec["clusterIP"])) && old["clusterIP"] is { } ip)
        {
            spec["clusterIP"] = ip.DeepClone();
            spec["clusterIPs"] ??= old["clusterIPs"]?.DeepClone();
        }

        foreach (var p in (spec["ports"] as JsonArray ?? []).OfType<JsonObject>().Where(p => p["nodePort"] is null))
        {
            var before = (old["ports"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(o =>
                JsonNode.DeepEquals(o["port"], p["port"]) && (JsonUtil.Str(o["protocol"]) ?? "TCP") == (JsonUtil.Str(p["protocol"]) ?? "TCP"));
            if (before?["nodePort"] is { } nodePort)
            {
                p["nodePort"] = nodePort.DeepClone();
            }
        }
    }

    /// <summary>
    /// The object a create's Update field set is measured against: what Go serializes for an empty object of the
    /// kind (non-pointer structs and lists without omitempty), so a create owns only what it added.
    /// </summary>
    public static JsonObject ZeroObject(ResourceType rt)
    {
        var zero = new JsonObject { ["metadata"] = new JsonObject { ["creationTimestamp"] = null } };
        if (rt.IsCustom)
        {
            return zero;
        }

        JsonObject Template() => new()
        {
            ["metadata"] = new JsonObject { ["creationTimestamp"] = null },
            ["spec"] = new JsonObject { ["containers"] = null },
        };
        zero["spec"] = new JsonObject();
        switch (rt.Group, rt.Plural)
        {
            case ("", "persistentvolumeclaims"):
                zero["spec"] = new JsonObject { ["resources"] = new JsonObject() };
                break;
            case ("networking.k8s.io", "networkpolicies"):
                zero["spec"] = new JsonObject { ["podSelector"] = new JsonObject() };
                break;
            case ("", "pods"):
                zero["spec"] = new JsonObject { ["containers"] = null };
                break;
            case ("apps", "deployments"):
                zero["spec"] = new JsonObject { ["selector"] = null, ["template"] = Template(), ["strategy"] = new JsonObject() };
                break;
            case ("apps", "statefulsets"):
                zero["spec"] = new JsonObject { ["selector"] = null, ["template"] = Template(), ["updateStrategy"] = new JsonObject() };
                break;
            case ("apps", "daemonsets"):
                zero["spec"] = new JsonObject { ["selector"] = null, ["template"] = Template(), ["updateStrategy"] = new JsonObject() };
                break;
            case ("apps", "replicasets"):
                zero["spec"] = new JsonObject { ["selector"] = null, ["template"] = Template() };
                break;
            case ("batch", "jobs"):
                zero["spec"] = new JsonObject { ["template"] = Template() };
                break;
            case ("batch", "cronjobs"):
                zero["spec"] = new JsonObject
                {
                    ["schedule"] = string.Empty,
                    ["jobTemplate"] = new JsonObject { ["metadata"] = new JsonObject { ["creationTimestamp"] = null }, ["spec"] = new JsonObject { ["template"] = Template() } },
                };
                break;
        }

        return zero;
    }

    private static JsonObject Object(JsonObject parent, string field)
    {
        if (parent[field] is JsonObject o)
        {
            return o;
        }

        o = new JsonObject();
        parent[field] = o;
        return o;
    }

    private static void Secret(JsonObject obj)
    {
        if (obj["stringData"] is JsonObject stringData)
        {
            var data = Object(obj, "data");
            foreach (var (k, v) in stringData)
            {
                data[k] = Convert.ToBase64String(Encoding.UTF8.GetBytes(JsonUtil.Str(v) ?? string.Empty));
            }

            obj.Remove("stringData");
        }

        obj["type"] ??= "Opaque";
    }

    /// <summary>
    /// A Job's defaults and, unless it brings its own (<c>manualSelector</c>), the selector kube-apiserver
    /// generates from the Job's uid, with the matching labels on the template (and on the Job when it has none).
    /// </summary>
    private static void Job(JsonObject spec)
    {
        if (spec["completions"] is null && spec["parallelism"] is null)
        {
            spec["completions"] = 1;
        }

        spec["parallelism"] ??= 1;
        spec["backoffLimit"] ??= 6;
        spec["completionMode"] ??= "NonIndexed";
        spec["suspend"] ??= false;
        spec["podReplacementPolicy"] ??= spec["podFailurePolicy"] is null ? "TerminatingOrFailed" : "Failed";
        if (spec["manualSelector"] is null && spec["selector"] is null)
        {
            spec["manualSelector"] = false;
        }
    }

    /// <summary>The selector kube-apiserver generates for a Job from its uid (not owned by the writer).</summary>
    private static void JobSelector(JsonObject job)
    {
        var meta = JsonUtil.Metadata(job);
        if (job["spec"] is not JsonObject spec || spec["manualSelector"] is JsonValue manual && manual.TryGetValue<bool>(out var isManual) && isManual)
        {
            return;
        }

        if (spec["selector"] is not null || JsonUtil.Str(meta["uid"]) is not { } uid || spec["template"] is not JsonObject template)
        {
            return;
        }

        var name = JsonUtil.Str(meta["name"]) ?? string.Empty;
        var labels = Object(Object(template, "metadata"), "labels");
        labels["batch.kubernetes.io/controller-uid"] ??= uid;
        labels["batch.kubernetes.io/job-name"] ??= name;
        labels["controller-uid"] ??= uid;
        labels["job-name"] ??= name;
        spec["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["batch.kubernetes.io/controller-uid"] = uid } };
        if (meta["labels"] is not JsonObject { Count: > 0 })
        {
            meta["labels"] = labels.DeepClone();
        }
    }

    private static void Service(JsonObject spec)
    {
        spec["type"] ??= "ClusterIP";
        var type = JsonUtil.Str(spec["type"]);
        spec["sessionAffinity"] ??= "None";
        if (type != "ExternalName")
        {
            spec["internalTrafficPolicy"] ??= "Cluster";
        }

        if (type is "NodePort" or "LoadBalancer")
        {
            spec["externalTrafficPolicy"] ??= "Cluster";
        }

        foreach (var p in (spec["ports"] as JsonArray ?? []).OfType<JsonObject>())
        {
            p["protocol"] ??= "TCP";
            if (p["targetPort"] is null && p["port"] is { } port)
            {
                p["targetPort"] = port.DeepClone();
            }
        }
    }

    private static void Template(JsonObject spec)
    {
        if (spec["template"] is not JsonObject template)
        {
            return;
        }

        Object(template, "metadata").TryAdd("creationTimestamp", null);
        if (template["spec"] is JsonObject podSpec)
        {
            PodSpec(podSpec);
        }
    }

    private static void PodSpec(JsonObject spec)
    {
        foreach (var list in new[] { "containers", "initContainers" })
        {
            foreach (var c in (spec[list] as JsonArray ?? []).OfType<JsonObject>())
            {
                Container(c);
            }
        }

        foreach (var v in (spec["volumes"] as JsonArray ?? []).OfType<JsonObject>())
        {
            foreach (var source in new[] { "configMap", "secret", "projected", "downwardAPI" })
            {
                if (v[source] is JsonObject s)
                {
                    s["defaultMode"] ??= 420;
                }
            }
        }

        spec["restartPolicy"] ??= "Always";
        spec["terminationGracePeriodSeconds"] ??= 30;
        spec["dnsPolicy"] ??= "ClusterFirst";
        spec["securityContext"] ??= new JsonObject();
        spec["schedulerName"] ??= "default-scheduler";
    }

    private static void Container(JsonObject c)
    {
        foreach (var p in (c["ports"] as JsonArray ?? []).OfType<JsonObject>())
        {
            p["protocol"] ??= "TCP";
        }

        foreach (var e in (c["env"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (e["valueFrom"]?["fieldRef"] is JsonObject fieldRef)
            {
                fieldRef["apiVersion"] ??= "v1";
            }
        }

        c["resources"] ??= new JsonObject();
        foreach (var probe in new[] { "livenessProbe", "readinessProbe", "startupProbe" })
        {
            if (c[probe] is JsonObject p)
            {
                if (p["httpGet"] is JsonObject http)
                {
                    http["scheme"] ??= "HTTP";
                }

                p["timeoutSeconds"] ??= 1;
                p["periodSeconds"] ??= 10;
                p["successThreshold"] ??= 1;
                p["failureThreshold"] ??= 3;
            }
        }

        c["terminationMessagePath"] ??= "/dev/termination-log";
        c["terminationMessagePolicy"] ??= "File";
        c["imagePullPolicy"] ??= PullPolicy(JsonUtil.Str(c["image"]) ?? string.Empty);
    }

    /// <summary><c>Always</c> for an image without a tag or tagged <c>latest</c>, else <c>IfNotPresent</c> (digests too).</summary>
    private static string PullPolicy(string image)
    {
        if (image.Contains('@', StringComparison.Ordinal))
        {
            return "IfNotPresent";
        }

        var tail = image[(image.LastIndexOf('/') + 1)..];
        var colon = tail.LastIndexOf(':');
        return colon < 0 || tail[(colon + 1)..] == "latest" ? "Always" : "IfNotPresent";
    }
}
