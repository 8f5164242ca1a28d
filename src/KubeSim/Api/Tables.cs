using System.Globalization;
using System.Text.Json.Nodes;
using Fleet.KubeSim.Json;
using Fleet.KubeSim.Store;

namespace Fleet.KubeSim.Api;

/// <summary>
/// Server-side printing: the <c>meta.k8s.io/v1 Table</c> that <c>kubectl get</c> asks for, with the columns
/// kube-apiserver prints for the common kinds and Name/Age for the rest.
/// </summary>
internal static class Tables
{
    public static bool Wanted(string? accept) =>
        accept is not null && accept.Contains("as=Table", StringComparison.Ordinal);

    private sealed record Column(string Name, string Type, string Description, Func<JsonObject, DateTimeOffset, object?> Cell, string Format = "");

    public static JsonObject Build(ResourceType rt, IReadOnlyList<JsonObject> objects, string resourceVersion, DateTimeOffset now, string? includeObject)
    {
        var columns = ColumnsFor(rt);
        var defs = new JsonArray();
        foreach (var c in columns)
        {
            defs.Add(new JsonObject
            {
                ["name"] = c.Name,
                ["type"] = c.Type,
                ["format"] = c.Format,
                ["description"] = c.Description,
                ["priority"] = 0,
            });
        }

        var rows = new JsonArray();
        foreach (var o in objects)
        {
            var cells = new JsonArray();
            foreach (var c in columns)
            {
                cells.Add(JsonValue.Create(c.Cell(o, now)));
            }

            var row = new JsonObject { ["cells"] = cells };
            switch (includeObject)
            {
                case "None":
                    break;
                case "Object":
                    row["object"] = o.DeepClone();
                    break;
                default:
                    row["object"] = new JsonObject
                    {
                        ["kind"] = "PartialObjectMetadata",
                        ["apiVersion"] = "meta.k8s.io/v1",
                        ["metadata"] = o["metadata"]?.DeepClone(),
                    };
                    break;
            }

            rows.Add(row);
        }

        return new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = new JsonObject { ["resourceVersion"] = resourceVersion },
            ["columnDefinitions"] = defs,
            ["rows"] = rows,
        };
    }

    private static Column NameColumn => new("Name", "string", "Name must be unique within a namespace.", (o, _) => JsonUtil.Str(o["metadata"]?["name"]), "name");

    private static Column AgeColumn => new("Age", "string", "CreationTimestamp is a timestamp representing the server time when this object was created.", (o, now) => Age(o, now));

    private static long Int(JsonNode? n) => JsonUtil.Long(n) ?? 0;

    private static List<Column> ColumnsFor(ResourceType rt)
    {
        var name = NameColumn;
        var age = AgeColumn;
        return (rt.Group, rt.Plural) switch
        {
            ("", "namespaces") => [name, new("Status", "string", "The status of the namespace", (o, _) => JsonUtil.Str(o["status"]?["phase"])), age],
            ("", "configmaps") => [name, new("Data", "integer", "Number of data items", (o, _) => ((o["data"] as JsonObject)?.Count ?? 0) + ((o["binaryData"] as JsonObject)?.Count ?? 0)), age],
            ("", "secrets") => [name, new("Type", "string", "The type of the secret", (o, _) => JsonUtil.Str(o["type"]) ?? "Opaque"), new("Data", "integer", "Number of data items", (o, _) => (o["data"] as JsonObject)?.Count ?? 0), age],
            ("", "services") =>
            [
                name,
                new("Type", "string", "The type of service", (o, _) => JsonUtil.Str(o["spec"]?["type"]) ?? "ClusterIP"),
                new("Cluster-IP", "string", "The cluster IP", (o, _) => JsonUtil.Str(o["spec"]?["clusterIP"]) ?? "<none>"),
                new("External-IP", "string", "External IPs", (_, _) => "<none>"),
                new("Port(s)", "string", "Service ports", (o, _) => Ports(o)),
                age,
            ],
            ("apps", "deployments") =>
            [
                name,
                new("Ready", "string", "Number of the pod with ready state", (o, _) => $"{Int(o["status"]?["readyReplicas"])}/{Replicas(o)}"),
                new("Up-to-date", "string", "Total number of non-terminated pods targeted by this deployment that have the desired template spec", (o, _) => Int(o["status"]?["updatedReplicas"])),
                new("Available", "string", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment", (o, _) => Int(o["status"]?["availableReplicas"])),
                age,
            ],
            ("apps", "statefulsets" or "replicasets") =>
            [
                name,
                new("Ready", "string", "Number of the pod with ready state", (o, _) => $"{Int(o["status"]?["readyReplicas"])}/{Replicas(o)}"),
                age,
            ],
            ("apps", "daemonsets") =>
            [
                name,
                new("Desired", "integer", "The number of nodes that should be running the daemon pod", (o, _) => Int(o["status"]?["desiredNumberScheduled"])),
                new("Current", "integer", "The number of nodes running the daemon pod", (o, _) => Int(o["status"]?["currentNumberScheduled"])),
                new("Ready", "integer", "The number of nodes running the daemon pod and ready", (o, _) => Int(o["status"]?["numberReady"])),
                new("Up-to-date", "integer", "The number of nodes running the updated daemon pod", (o, _) => Int(o["status"]?["updatedNumberScheduled"])),
                new("Available", "integer", "The number of nodes running the daemon pod and available", (o, _) => Int(o["status"]?["numberAvailable"])),
                age,
            ],
            ("batch", "jobs") =>
            [
                name,
                new("Status", "string", "Status of the job", (o, _) => JobStatus(o)),
                new("Completions", "string", "The desired number of successfully finished pods", (o, _) => $"{Int(o["status"]?["succeeded"])}/{(o["spec"]?["completions"] is { } c ? Int(c) : 1)}"),
                age,
            ],
            ("apiextensions.k8s.io", "customresourcedefinitions") =>
            [
                name,
                new("Created At", "date", "The creation time", (o, _) => JsonUtil.Str(o["metadata"]?["creationTimestamp"])),
            ],
            _ => [name, age],
        };
    }

    private static long Replicas(JsonObject o) => o["spec"]?["replicas"] is { } r ? Int(r) : 1;

    private static string JobStatus(JsonObject o)
    {
        if (o["status"]?["conditions"] is JsonArray conds)
        {
            foreach (var c in conds)
            {
                if (JsonUtil.Str(c?["status"]) == "True" && JsonUtil.Str(c?["type"]) is "Complete" or "Failed")
                {
                    return JsonUtil.Str(c?["type"])!;
                }
            }
        }

        return "Running";
    }

    private static string Ports(JsonObject o)
    {
        if (o["spec"]?["ports"] is not JsonArray ports || ports.Count == 0)
        {
            return "<none>";
        }

        return string.Join(",", ports.Select(p => $"{Int(p?["port"])}/{JsonUtil.Str(p?["protocol"]) ?? "TCP"}"));
    }

    /// <summary>An age the way kubectl prints it (<c>5s</c>, <c>3m12s</c>, <c>2d</c>).</summary>
    public static string Age(JsonObject o, DateTimeOffset now)
    {
        if (JsonUtil.Str(o["metadata"]?["creationTimestamp"]) is not { } ts
            || !DateTimeOffset.TryParse(ts, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var created))
        {
            return "<unknown>";
        }

        var d = now - created;
        if (d < TimeSpan.Zero)
        {
            d = TimeSpan.Zero;
        }

        return d.TotalSeconds < 120 ? $"{(int)d.TotalSeconds}s"
            : d.TotalMinutes < 10 ? $"{(int)d.TotalMinutes}m{d.Seconds}s"
            : d.TotalHours < 3 ? $"{(int)d.TotalMinutes}m"
            : d.TotalHours < 8 ? $"{(int)d.TotalHours}h{d.Minutes}m"
            : d.TotalDays < 2 ? $"{(int)d.TotalHours}h"
            : d.TotalDays < 8 ? $"{(int)d.TotalDays}d{d.Hours}h"
            : $"{(int)d.TotalDays}d";
    }
}
