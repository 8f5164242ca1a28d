using System.Globalization;
using System.Text.Json.Nodes;
using Fleet.KubeSim.Api;
using Fleet.KubeSim.Json;
using Fleet.KubeSim.Store;

namespace Fleet.KubeSim.Admin;

/// <summary>
/// The simulator's own API under <c>/_sim/</c>: create, label and delete clusters, inject faults, edit an
/// object as another field manager (drift), read and reset request counters. Documented in docs/kubesim.md.
/// </summary>
internal sealed class AdminApi
{
    private readonly ClusterRegistry _clusters;
    private readonly KubeApi _api;
    private readonly TimeProvider _time;

    public AdminApi(ClusterRegistry clusters, KubeApi api, TimeProvider time)
    {
        _clusters = clusters;
        _api = api;
        _time = time;
    }

    public Task<ApiResponse> HandleAsync(string method, string[] s, IReadOnlyDictionary<string, string> query, byte[] body, bool readOnly)
    {
        try
        {
            if (readOnly && method != "GET")
            {
                throw new KubeException(403, "Forbidden", "the read-only token may not change the simulator");
            }

            return Task.FromResult(Route(method, s, query, body));
        }
        catch (KubeException e)
        {
            return Task.FromResult(KubeApi.Error(e));
        }
    }

    private ApiResponse Route(string method, string[] s, IReadOnlyDictionary<string, string> query, byte[] body)
    {
        switch (s)
        {
            case ["stats"] when method == "GET":
                return KubeApi.Json(200, ServerStats());
            case ["clusters"] when method == "GET":
                var items = new JsonArray();
                foreach (var c in _clusters.All)
                {
                    items.Add(Describe(c));
                }

                return KubeApi.Json(200, new JsonObject { ["items"] = items });
            case ["clusters"] when method == "POST":
            {
                var spec = BodyDecoder.DecodeObject(body, allowYaml: false);
                var name = JsonUtil.Str(spec["name"]) ?? throw KubeException.BadRequest("body field \"name\" is required");
                var c = Create(name, ReadLabels(spec["labels"], "labels"));
                return KubeApi.Json(201, Describe(c));
            }

            case ["clusters", var name] when method == "GET":
                return KubeApi.Json(200, Describe(Find(name)));
            case ["clusters", var name] when method == "DELETE":
                if (!_clusters.Remove(name))
                {
                    throw NotFound(name);
                }

                return KubeApi.Json(200, new JsonObject { ["deleted"] = name });
            case ["clusters", var name, "labels"] when method == "GET":
                return KubeApi.Json(200, LabelsJson(Find(name).Labels));
            case ["clusters", var name, "labels"] when method is "PUT" or "PATCH":
            {
                var c = Find(name);
                var labels = ReadLabels(BodyDecoder.Decode(body, allowYaml: false), "body");
                if (method == "PATCH")
                {
                    var merged = new Dictionary<string, string>(c.Labels, StringComparer.Ordinal);
                    foreach (var (k, v) in labels)
                    {
                        merged[k] = v;
                    }

                    labels = merged;
                }

                c.Labels = labels;
                return KubeApi.Json(200, Describe(c));
            }

            case ["clusters", var name, "faults"] when method == "GET":
                return KubeApi.Json(200, FaultsJson(Find(name).Faults));
            case ["clusters", var name, "faults"] when method == "PUT":
            {
                var c = Find(name);
                c.Faults = ParseFaults(BodyDecoder.DecodeObject(body, allowYaml: false));
                return KubeApi.Json(200, FaultsJson(c.Faults));
            }

            case ["clusters", var name, "faults"] when method == "DELETE":
            {
                var c = Find(name);
                c.Faults = ClusterFaults.None;
                return KubeApi.Json(200, FaultsJson(c.Faults));
            }

            case ["clusters", var name, "stats"] when method == "GET":
                return KubeApi.Json(200, StatsJson(Find(name).Stats()));
            case ["clusters", var name, "stats"] when method == "DELETE":
            {
                var c = Find(name);
                c.ResetStats();
                return KubeApi.Json(200, StatsJson(c.Stats()));
            }

            case ["clusters", var name, "edit"] when method == "POST":
            {
                var c = Find(name);
                var manager = query.TryGetValue("manager", out var m) && m.Length > 0 ? m : "kubesim-drift";
                var path = query.TryGetValue("path", out var p) && p.Length > 0
                    ? p
                    : throw KubeException.BadRequest("query parameter \"path\" is required: the API path of the object to edit, e.g. /apis/apps/v1/namespaces/default/deployments/web");
                return Edit(c, path, body, manager);
            }

            default:
                throw new KubeException(404, "NotFound", $"no admin endpoint {method} /_sim/{string.Join('/', s)} (see docs/kubesim.md)");
        }
    }

    public SimCluster Create(string name, IReadOnlyDictionary<string, string> labels)
    {
        if (ClusterRegistry.ValidateName(name) is { } error)
        {
            throw new KubeException(422, "Invalid", error);
        }

        return _clusters.Create(name, labels) ?? throw new KubeException(409, "AlreadyExists", $"cluster \"{name}\" already exists");
    }

    /// <summary>Applies a JSON merge patch to an object as <paramref name="manager"/> (an Update), bypassing faults.</summary>
    public ApiResponse Edit(SimCluster c, string path, byte[] mergePatch, string manager)
    {
        var segments = path.Split('?')[0].Split('/', StringSplitOptions.RemoveEmptyEntries);
        var query = new Dictionary<string, string>(StringComparer.Ordinal) { ["fieldManager"] = manager };
        return _api.Handle(c, new ApiRequest("PATCH", segments, query, "application/merge-patch+json", "application/json", mergePatch, manager));
    }

    private SimCluster Find(string name) => _clusters.Find(name) ?? throw NotFound(name);

    private static KubeException NotFound(string name) => new(404, "NotFound", $"cluster \"{name}\" not found");

    private static Dictionary<string, string> ReadLabels(JsonNode? node, string where)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (node is null)
        {
            return labels;
        }

        if (node is not JsonObject o)
        {
            throw KubeException.BadRequest($"{where} must be an object of string labels");
        }

        foreach (var (k, v) in o)
        {
            labels[k] = JsonUtil.Str(v) ?? throw KubeException.BadRequest($"{where}: label \"{k}\" must have a string value");
        }

        return labels;
    }

    internal static ClusterFaults ParseFaults(JsonObject o)
    {
        var down = (JsonUtil.Str(o["down"]) ?? "none").ToLowerInvariant() switch
        {
            "none" or "" or "false" => DownMode.None,
            "refuse" or "refused" => DownMode.Refuse,
            "unavailable" or "503" => DownMode.Unavailable,
            var other => throw KubeException.BadRequest($"faults.down: unsupported value \"{other}\": use \"none\", \"refuse\" or \"unavailable\""),
        };
        var latencyMs = o["latencyMs"] is JsonValue lv && lv.TryGetValue<double>(out var l) ? l : 0;
        var rate = o["writeFailureRate"] is JsonValue rv && rv.TryGetValue<double>(out var r) ? r : 0;
        if (latencyMs < 0 || latencyMs > 600_000)
        {
            throw KubeException.BadRequest($"faults.latencyMs: {latencyMs.ToString(CultureInfo.InvariantCulture)} is out of range 0..600000");
        }

        if (rate is < 0 or > 1)
        {
            throw KubeException.BadRequest($"faults.writeFailureRate: {rate.ToString(CultureInfo.InvariantCulture)} is out of range 0..1");
        }

        return new ClusterFaults(down, TimeSpan.FromMilliseconds(latencyMs), rate);
    }

    private static JsonObject FaultsJson(ClusterFaults f) => new()
    {
        ["down"] = f.Down.ToString().ToLowerInvariant(),
        ["latencyMs"] = f.Latency.TotalMilliseconds,
        ["writeFailureRate"] = f.WriteFailureRate,
    };

    private static JsonObject LabelsJson(IReadOnlyDictionary<string, string> labels)
    {
        var o = new JsonObject();
        foreach (var (k, v) in labels.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            o[k] = v;
        }

        return o;
    }

    internal static JsonObject StatsJson(ClusterStats s)
    {
        var requests = new JsonObject();
        foreach (var (k, v) in s.Requests)
        {
            requests[k] = v;
        }

        return new JsonObject
        {
            ["cluster"] = s.Cluster,
            ["requests"] = requests,
            ["total"] = s.Total,
            ["objects"] = s.Objects,
            ["resourceVersion"] = s.ResourceVersion.ToString(CultureInfo.InvariantCulture),
        };
    }

    private JsonObject Describe(SimCluster c) => new()
    {
        ["name"] = c.Name,
        ["labels"] = LabelsJson(c.Labels),
        ["faults"] = FaultsJson(c.Faults),
        ["objects"] = c.Stats().Objects,
        ["resourceVersion"] = c.ResourceVersion.ToString(CultureInfo.InvariantCulture),
        ["created"] = FieldOwnership.Timestamp(c.Created),
    };

    private JsonObject ServerStats()
    {
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        // Requests summed over every cluster, so a benchmark of thousands of clusters reads them in one call.
        var requests = new SortedDictionary<string, long>(StringComparer.Ordinal);
        long total = 0;
        foreach (var c in _clusters.All)
        {
            var stats = c.Stats();
            foreach (var (verb, n) in stats.Requests)
            {
                requests[verb] = requests.GetValueOrDefault(verb) + n;
            }

            total += stats.Total;
        }

        var requestsJson = new JsonObject();
        foreach (var (verb, n) in requests)
        {
            requestsJson[verb] = n;
        }

        return new JsonObject
        {
            ["clusters"] = _clusters.Count,
            ["requests"] = requestsJson,
            ["total"] = total,
            ["workingSetBytes"] = process.WorkingSet64,
            ["managedHeapBytes"] = GC.GetTotalMemory(false),
            ["time"] = FieldOwnership.Timestamp(_time.GetUtcNow()),
        };
    }
}
