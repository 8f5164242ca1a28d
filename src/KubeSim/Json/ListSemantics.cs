using System.Text.Json.Nodes;

namespace Fleet.KubeSim.Json;

/// <summary>How a list field merges: as a whole (atomic), as a set of scalars, or keyed by one field.</summary>
internal enum ListKind
{
    Atomic,
    Set,
    Map,
}

/// <summary>
/// The merge semantics of the built-in list fields that matter (the <c>patchMergeKey</c> and
/// <c>listType=map</c> markers of the Kubernetes API types), decided by field name and item shape.
/// Strategic merge patch and server-side apply share it. Lists not named here are atomic, which is
/// also what the API server does for custom resources without schema markers.
/// </summary>
internal static class ListSemantics
{
    public static (ListKind Kind, string? Key) For(string field, JsonArray? sample)
    {
        switch (field)
        {
            case "finalizers":
                return (ListKind.Set, null);
            case "containers" or "initContainers" or "ephemeralContainers" or "volumes" or "env"
                or "imagePullSecrets" or "envFrom-never":
                return Keyed(sample, "name");
            case "volumeMounts":
                return Keyed(sample, "mountPath");
            case "volumeDevices":
                return Keyed(sample, "devicePath");
            case "conditions":
                return Keyed(sample, "type");
            case "ownerReferences":
                return Keyed(sample, "uid");
            case "hostAliases":
                return Keyed(sample, "ip");
            case "ports":
                if (sample is null || sample.Count == 0)
                {
                    return (ListKind.Map, "containerPort");
                }

                return sample[0] is JsonObject first && first.ContainsKey("containerPort")
                    ? Keyed(sample, "containerPort")
                    : Keyed(sample, "port");
            default:
                return (ListKind.Atomic, null);
        }
    }

    private static (ListKind, string?) Keyed(JsonArray? sample, string key)
    {
        if (sample is not null)
        {
            foreach (var item in sample)
            {
                if (item is not JsonObject o || !o.ContainsKey(key))
                {
                    return (ListKind.Atomic, null);
                }
            }
        }

        return (ListKind.Map, key);
    }

    public static JsonNode? KeyOf(JsonNode? item, string key) => (item as JsonObject)?[key];

    public static int IndexOfKey(JsonArray list, string key, JsonNode? value)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (JsonNode.DeepEquals(KeyOf(list[i], key), value))
            {
                return i;
            }
        }

        return -1;
    }
}
