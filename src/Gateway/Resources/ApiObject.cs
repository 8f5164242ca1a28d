using System.Globalization;
using System.Text.Json.Nodes;
using Fleet.Abstractions.Resources;
using Fleet.Store;

namespace Fleet.Gateway.Resources;

/// <summary>Turns stored resources into the API's JSON form (<c>apiVersion</c>, <c>kind</c>, <c>metadata</c>, <c>spec</c>, <c>status</c>).</summary>
internal static class ApiObject
{
    public static JsonObject From(StoredResource r)
    {
        var metadata = new JsonObject
        {
            ["name"] = r.Name,
            ["namespace"] = r.Namespace,
            ["uid"] = r.Uid,
            ["generation"] = r.Generation,
            ["resourceVersion"] = r.ResourceVersion.ToString(CultureInfo.InvariantCulture),
            ["creationTimestamp"] = r.CreatedAt.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        };
        if (r.Labels.Count > 0)
        {
            metadata["labels"] = ToJson(r.Labels);
        }
        if (r.Annotations.Count > 0)
        {
            metadata["annotations"] = ToJson(r.Annotations);
        }
        var obj = new JsonObject
        {
            ["apiVersion"] = FleetApi.ApiVersion,
            ["kind"] = r.Kind,
            ["metadata"] = metadata,
        };
        if (r.Kind == ResourceKinds.Secret.Kind)
        {
            // Write-only: only the keys are ever shown.
            var stored = JsonNode.Parse(r.SpecJson)?["keys"]?.DeepClone() ?? new JsonArray();
            obj["status"] = new JsonObject { ["keys"] = stored };
            return obj;
        }
        obj["spec"] = JsonNode.Parse(r.SpecJson);
        if (r.StatusJson is not null)
        {
            obj["status"] = JsonNode.Parse(r.StatusJson);
        }
        return obj;
    }

    /// <summary>A list with Kubernetes' list metadata: the resource version to watch from, and the next page's token.</summary>
    public static JsonObject List(string kind, IEnumerable<StoredResource> items, long resourceVersion, string? continueToken)
    {
        var list = List(kind, items);
        var metadata = new JsonObject { ["resourceVersion"] = resourceVersion.ToString(CultureInfo.InvariantCulture) };
        if (continueToken is not null)
        {
            metadata["continue"] = continueToken;
        }
        var items2 = list["items"]!;
        list.Remove("items");
        list["metadata"] = metadata;
        list["items"] = items2;
        return list;
    }

    public static JsonObject List(string kind, IEnumerable<StoredResource> items)
    {
        var arr = new JsonArray();
        foreach (var item in items)
        {
            arr.Add(From(item));
        }
        return new JsonObject
        {
            ["apiVersion"] = FleetApi.ApiVersion,
            ["kind"] = kind + "List",
            ["items"] = arr,
        };
    }

    private static JsonObject ToJson(IReadOnlyDictionary<string, string> map)
    {
        var o = new JsonObject();
        foreach (var (k, v) in map.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            o[k] = v;
        }
        return o;
    }
}
