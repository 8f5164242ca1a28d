using System.Text.Json.Nodes;
using Fleet.KubeSim.Api;
using Google.Protobuf;

namespace Fleet.KubeSim.Json;

/// <summary>
/// Decodes the protobuf request bodies (<c>application/vnd.kubernetes.protobuf</c>) kubectl's generators send
/// (<c>kubectl create deployment|configmap|secret|namespace</c>, <c>kubectl run</c>) into the JSON object the rest
/// of the API works on. The wire format is the magic <c>k8s\0</c> and a <c>runtime.Unknown</c> message whose
/// <c>raw</c> holds the object. No .NET library carries the Kubernetes protobuf types (KubernetesClient is JSON
/// only), so the messages those generators fill are described here by hand from the field numbers of
/// k8s.io/api's <c>generated.proto</c>; Google.Protobuf reads the wire format. Fields outside this table are
/// skipped, and zero values are left out as the JSON encoding's <c>omitempty</c> does.
/// </summary>
internal static class ProtobufBody
{
    private enum Kind
    {
        String,
        Int,
        Bool,
        Message,
        StringMap,
        BytesMap,
        QuantityMap,
        Strings,
        Messages,
        IntOrString,
    }

    private sealed record Field(string Json, Kind Kind, string? Type = null, bool KeepZero = false);

    private static readonly Dictionary<string, Dictionary<int, Field>> Schema = new()
    {
        ["ObjectMeta"] = new()
        {
            [1] = new("name", Kind.String), [2] = new("generateName", Kind.String), [3] = new("namespace", Kind.String),
            [6] = new("resourceVersion", Kind.String), [11] = new("labels", Kind.StringMap), [12] = new("annotations", Kind.StringMap),
            [14] = new("finalizers", Kind.Strings),
        },
        ["Namespace"] = new() { [1] = new("metadata", Kind.Message, "ObjectMeta"), [2] = new("spec", Kind.Message, "NamespaceSpec") },
        ["NamespaceSpec"] = new() { [1] = new("finalizers", Kind.Strings) },
        ["ConfigMap"] = new()
        {
            [1] = new("metadata", Kind.Message, "ObjectMeta"), [2] = new("data", Kind.StringMap), [3] = new("binaryData", Kind.BytesMap),
            [4] = new("immutable", Kind.Bool),
        },
        ["Secret"] = new()
        {
            [1] = new("metadata", Kind.Message, "ObjectMeta"), [2] = new("data", Kind.BytesMap), [3] = new("type", Kind.String),
            [4] = new("stringData", Kind.StringMap), [5] = new("immutable", Kind.Bool),
        },
        ["Deployment"] = new() { [1] = new("metadata", Kind.Message, "ObjectMeta"), [2] = new("spec", Kind.Message, "DeploymentSpec") },
        ["DeploymentSpec"] = new()
        {
            [1] = new("replicas", Kind.Int, KeepZero: true), [2] = new("selector", Kind.Message, "LabelSelector"),
            [3] = new("template", Kind.Message, "PodTemplateSpec"), [4] = new("strategy", Kind.Message, "DeploymentStrategy"),
            [5] = new("minReadySeconds", Kind.Int), [6] = new("revisionHistoryLimit", Kind.Int), [7] = new("paused", Kind.Bool),
            [9] = new("progressDeadlineSeconds", Kind.Int),
        },
        ["DeploymentStrategy"] = new() { [1] = new("type", Kind.String), [2] = new("rollingUpdate", Kind.Message, "RollingUpdateDeployment") },
        ["RollingUpdateDeployment"] = new() { [1] = new("maxUnavailable", Kind.IntOrString), [2] = new("maxSurge", Kind.IntOrString) },
        ["LabelSelector"] = new() { [1] = new("matchLabels", Kind.StringMap), [2] = new("matchExpressions", Kind.Messages, "LabelSelectorRequirement") },
        ["LabelSelectorRequirement"] = new() { [1] = new("key", Kind.String), [2] = new("operator", Kind.String), [3] = new("values", Kind.Strings) },
        ["PodTemplateSpec"] = new() { [1] = new("metadata", Kind.Message, "ObjectMeta"), [2] = new("spec", Kind.Message, "PodSpec") },
        ["Pod"] = new() { [1] = new("metadata", Kind.Message, "ObjectMeta"), [2] = new("spec", Kind.Message, "PodSpec") },
        ["PodSpec"] = new()
        {
            [2] = new("containers", Kind.Messages, "Container"), [3] = new("restartPolicy", Kind.String),
            [4] = new("terminationGracePeriodSeconds", Kind.Int), [6] = new("dnsPolicy", Kind.String), [7] = new("nodeSelector", Kind.StringMap),
            [8] = new("serviceAccountName", Kind.String), [11] = new("hostNetwork", Kind.Bool), [19] = new("schedulerName", Kind.String),
            [20] = new("initContainers", Kind.Messages, "Container"),
        },
        ["Container"] = new()
        {
            [1] = new("name", Kind.String), [2] = new("image", Kind.String), [3] = new("command", Kind.Strings), [4] = new("args", Kind.Strings),
            [5] = new("workingDir", Kind.String), [6] = new("ports", Kind.Messages, "ContainerPort"), [7] = new("env", Kind.Messages, "EnvVar"),
            [8] = new("resources", Kind.Message, "ResourceRequirements"), [13] = new("terminationMessagePath", Kind.String),
            [14] = new("imagePullPolicy", Kind.String), [16] = new("stdin", Kind.Bool), [17] = new("stdinOnce", Kind.Bool), [18] = new("tty", Kind.Bool),
            [20] = new("terminationMessagePolicy", Kind.String),
        },
        ["ContainerPort"] = new()
        {
            [1] = new("name", Kind.String), [2] = new("hostPort", Kind.Int), [3] = new("containerPort", Kind.Int), [4] = new("protocol", Kind.String),
            [5] = new("hostIP", Kind.String),
        },
        ["EnvVar"] = new() { [1] = new("name", Kind.String), [2] = new("value", Kind.String) },
        ["ResourceRequirements"] = new() { [1] = new("limits", Kind.QuantityMap), [2] = new("requests", Kind.QuantityMap) },
    };

    /// <summary>The kinds this decoder reads, by apiVersion and kind.</summary>
    private static readonly Dictionary<(string ApiVersion, string Kind), string> Kinds = new()
    {
        [("v1", "Namespace")] = "Namespace",
        [("v1", "ConfigMap")] = "ConfigMap",
        [("v1", "Secret")] = "Secret",
        [("v1", "Pod")] = "Pod",
        [("apps/v1", "Deployment")] = "Deployment",
    };

    private static ReadOnlySpan<byte> Magic => "k8s\0"u8;

    public static JsonObject Decode(byte[] body)
    {
        if (body.Length < Magic.Length || !body.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            throw KubeException.BadRequest("the protobuf body does not start with the Kubernetes magic number \"k8s\\x00\"");
        }

        try
        {
            string apiVersion = string.Empty, kind = string.Empty;
            ByteString? raw = null;
            var input = new CodedInputStream(body, Magic.Length, body.Length - Magic.Length);
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                switch (WireFormat.GetTagFieldNumber(tag))
                {
                    case 1:
                        var typeMeta = new CodedInputStream(input.ReadBytes().ToByteArray());
                        uint t2;
                        while ((t2 = typeMeta.ReadTag()) != 0)
                        {
                            switch (WireFormat.GetTagFieldNumber(t2))
                            {
                                case 1: apiVersion = typeMeta.ReadString(); break;
                                case 2: kind = typeMeta.ReadString(); break;
                                default: typeMeta.SkipLastField(); break;
                            }
                        }

                        break;
                    case 2:
                        raw = input.ReadBytes();
                        break;
                    default:
                        input.SkipLastField();
                        break;
                }
            }

            if (!Kinds.TryGetValue((apiVersion, kind), out var message))
            {
                throw new KubeException(415, "UnsupportedMediaType",
                    $"protobuf bodies are accepted for Namespace, ConfigMap, Secret, Pod and Deployment, not {apiVersion} {kind}: send application/json");
            }

            var obj = Message(raw?.ToByteArray() ?? [], message);
            obj["apiVersion"] = apiVersion;
            obj["kind"] = kind;
            return obj;
        }
        catch (InvalidProtocolBufferException e)
        {
            throw KubeException.BadRequest($"the protobuf body is malformed: {e.Message}");
        }
    }

    private static JsonObject Message(byte[] bytes, string type)
    {
        var fields = Schema[type];
        var o = new JsonObject();
        var input = new CodedInputStream(bytes);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (!fields.TryGetValue(WireFormat.GetTagFieldNumber(tag), out var f))
            {
                input.SkipLastField();
                continue;
            }

            switch (f.Kind)
            {
                case Kind.String:
                    Set(o, f, input.ReadString());
                    break;
                case Kind.Int:
                    var n = input.ReadInt64();
                    if (n != 0 || f.KeepZero)
                    {
                        o[f.Json] = n;
                    }

                    break;
                case Kind.Bool:
                    if (input.ReadBool())
                    {
                        o[f.Json] = true;
                    }

                    break;
                case Kind.Message:
                    var child = Message(input.ReadBytes().ToByteArray(), f.Type!);
                    if (child.Count > 0)
                    {
                        o[f.Json] = child;
                    }

                    break;
                case Kind.Messages:
                    List(o, f.Json).Add(Message(input.ReadBytes().ToByteArray(), f.Type!));
                    break;
                case Kind.Strings:
                    List(o, f.Json).Add(input.ReadString());
                    break;
                case Kind.StringMap or Kind.BytesMap or Kind.QuantityMap:
                    var (key, value) = Entry(input.ReadBytes().ToByteArray(), f.Kind);
                    Map(o, f.Json)[key] = value;
                    break;
                case Kind.IntOrString:
                    o[f.Json] = IntOrString(input.ReadBytes().ToByteArray());
                    break;
            }
        }

        return o;
    }

    private static void Set(JsonObject o, Field f, string value)
    {
        if (value.Length > 0)
        {
            o[f.Json] = value;
        }
    }

    private static JsonArray List(JsonObject o, string field)
    {
        if (o[field] is not JsonArray a)
        {
            a = [];
            o[field] = a;
        }

        return a;
    }

    private static JsonObject Map(JsonObject o, string field)
    {
        if (o[field] is not JsonObject m)
        {
            m = [];
            o[field] = m;
        }

        return m;
    }

    /// <summary>One map entry (key 1, value 2); bytes become base64 as in JSON, Quantities their string.</summary>
    private static (string Key, JsonNode? Value) Entry(byte[] bytes, Kind kind)
    {
        var input = new CodedInputStream(bytes);
        string key = string.Empty;
        JsonNode? value = string.Empty;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1:
                    key = input.ReadString();
                    break;
                case 2 when kind == Kind.StringMap:
                    value = input.ReadString();
                    break;
                case 2 when kind == Kind.BytesMap:
                    value = Convert.ToBase64String(input.ReadBytes().Span);
                    break;
                case 2:
                    var quantity = new CodedInputStream(input.ReadBytes().ToByteArray());
                    uint qt;
                    while ((qt = quantity.ReadTag()) != 0)
                    {
                        if (WireFormat.GetTagFieldNumber(qt) == 1)
                        {
                            value = quantity.ReadString();
                        }
                        else
                        {
                            quantity.SkipLastField();
                        }
                    }

                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }

        return (key, value);
    }

    /// <summary>intstr.IntOrString: type 1 (0 int, 1 string), intVal 2, strVal 3.</summary>
    private static JsonNode IntOrString(byte[] bytes)
    {
        var input = new CodedInputStream(bytes);
        long type = 0, intVal = 0;
        var strVal = string.Empty;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: type = input.ReadInt64(); break;
                case 2: intVal = input.ReadInt32(); break;
                case 3: strVal = input.ReadString(); break;
                default: input.SkipLastField(); break;
            }
        }

        return type == 1 ? JsonValue.Create(strVal) : JsonValue.Create(intVal);
    }
}
