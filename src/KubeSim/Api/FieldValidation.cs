using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Fleet.KubeSim.Json;
using Fleet.KubeSim.Store;
using k8s.Models;

namespace Fleet.KubeSim.Api;

/// <summary>
/// Unknown fields in objects of the built-in kinds, found as kube-apiserver's decoder finds them, and what the
/// <c>fieldValidation</c> query parameter makes of them: <c>Strict</c> rejects, <c>Warn</c> (the default) drops
/// them with a <c>Warning</c> header each, <c>Ignore</c> drops them silently. The schema of each kind comes from
/// KubernetesClient's model classes (their JSON property names), so no field list is kept here.
/// </summary>
internal static class FieldValidation
{
    private static readonly Lazy<Dictionary<(string Group, string Version, string Kind), Type>> Models = new(FindModels);
    private static readonly ConcurrentDictionary<Type, Dictionary<string, Type>?> Properties = new();

    public enum Mode
    {
        Ignore,
        Warn,
        Strict,
    }

    public static Mode Parse(ApiRequest r) => r.Q("fieldValidation") switch
    {
        null or "" or "Warn" => Mode.Warn,
        "Strict" => Mode.Strict,
        "Ignore" => Mode.Ignore,
        var other => throw KubeException.BadRequest($"fieldValidation must be one of Ignore, Warn or Strict, not \"{other}\""),
    };

    /// <summary>The model class of a built-in kind, or null (custom resources are not checked).</summary>
    private static Type? ModelOf(ResourceType rt) =>
        rt.IsCustom ? null : Models.Value.GetValueOrDefault((rt.Group, rt.Version, rt.Kind));

    /// <summary>
    /// Removes the fields of <paramref name="obj"/> its kind does not have and returns their paths
    /// (<c>spec.template.spec.containers[0].bogus</c>), in document order.
    /// </summary>
    public static List<string> RemoveUnknown(ResourceType rt, JsonObject obj)
    {
        var unknown = new List<string>();
        if (ModelOf(rt) is { } model && HasUnknown(obj, model))
        {
            Walk(obj, model, string.Empty, unknown, keyed: false);
        }

        return unknown;
    }

    /// <summary>
    /// For server-side apply: a field outside the schema, in the form kube-apiserver reports it
    /// (<c>.spec.template.spec.containers[name="web"].bogus</c>). kube-apiserver stops at the first one it meets
    /// in Go's random map order; this reports the first in sorted order.
    /// </summary>
    public static string? FirstUnknownForApply(ResourceType rt, JsonObject obj)
    {
        if (ModelOf(rt) is not { } model || !HasUnknown(obj, model))
        {
            return null;
        }

        var unknown = new List<string>();
        Walk(obj, model, string.Empty, unknown, keyed: true);
        return unknown.Count == 0 ? null : unknown.Order(StringComparer.Ordinal).First();
    }

    /// <summary>
    /// Whether an object of a built-in kind has a field its kind does not have or a scalar of the wrong type: one
    /// quick pass without paths, so the common case (a clean object) allocates nothing.
    /// </summary>
    public static bool IsClean(ResourceType rt, JsonObject obj) => ModelOf(rt) is not { } model || !HasUnknown(obj, model);

    /// <summary>The pass behind <see cref="IsClean"/>.</summary>
    private static bool HasUnknown(JsonNode? node, Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (node is not null && GoScalar(type) is { } scalar)
        {
            return !Fits(node, scalar);
        }

        switch (node)
        {
            case JsonObject o when MapValueType(type) is { } valueType:
                foreach (var (_, v) in o)
                {
                    if (HasUnknown(v, valueType))
                    {
                        return true;
                    }
                }

                return false;
            case JsonObject o when PropertiesOf(type) is { } properties:
                foreach (var (k, v) in o)
                {
                    if (!properties.TryGetValue(k, out var propertyType))
                    {
                        return true;
                    }

                    if (HasUnknown(v, propertyType))
                    {
                        return true;
                    }
                }

                return false;
            case JsonArray a when ListItemType(type) is { } itemType:
                foreach (var item in a)
                {
                    if (HasUnknown(item, itemType))
                    {
                        return true;
                    }
                }

                return false;
            default:
                return false;
        }
    }

    private static void Walk(JsonNode? node, Type type, string path, List<string> unknown, bool keyed)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        switch (node)
        {
            case JsonObject o when MapValueType(type) is { } valueType:
                foreach (var (k, v) in o)
                {
                    Walk(v, valueType, $"{path}.{k}", unknown, keyed);
                }

                break;
            case JsonObject o when PropertiesOf(type) is { } properties:
                foreach (var (k, v) in o.ToList())
                {
                    var childPath = keyed ? $"{path}.{k}" : path.Length == 0 ? k : $"{path}.{k}";
                    if (!properties.TryGetValue(k, out var propertyType))
                    {
                        unknown.Add(childPath);
                        o.Remove(k);
                        continue;
                    }

                    Walk(v, propertyType, childPath, unknown, keyed);
                }

                break;
            case JsonArray a when ListItemType(type) is { } itemType:
                var field = path[(path.LastIndexOf('.') + 1)..];
                var (kind, key) = ListSemantics.For(field, a);
                for (var i = 0; i < a.Count; i++)
                {
                    var element = keyed && kind == ListKind.Map && a[i] is JsonObject item
                        ? FieldSet.Format([FieldSet.KeyElement(key!, item)])
                        : $"[{i}]";
                    Walk(a[i], itemType, path + element, unknown, keyed);
                }

                break;
        }
    }

    private static Dictionary<string, Type>? PropertiesOf(Type type) => Properties.GetOrAdd(type, static t =>
    {
        if (t.Namespace != "k8s.Models" || !t.IsClass || t == typeof(IntOrString) || t == typeof(ResourceQuantity))
        {
            return null;
        }

        var map = new Dictionary<string, Type>(StringComparer.Ordinal);
        foreach (var p in t.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (p.GetCustomAttribute<JsonPropertyNameAttribute>() is { } name)
            {
                map[name.Name] = p.PropertyType;
            }
        }

        return map;
    });

    private static Type? MapValueType(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() is var d && (d == typeof(IDictionary<,>) || d == typeof(Dictionary<,>))
            ? type.GetGenericArguments()[1]
            : null;

    private static Type? ListItemType(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() is var d && (d == typeof(IList<>) || d == typeof(List<>))
            ? type.GetGenericArguments()[0]
            : null;

    private static Dictionary<(string, string, string), Type> FindModels()
    {
        var models = new Dictionary<(string, string, string), Type>();
        foreach (var t in typeof(V1Deployment).Assembly.GetTypes())
        {
            if (t.GetCustomAttribute<KubernetesEntityAttribute>() is { } e && !string.IsNullOrEmpty(e.Kind) && !e.Kind.EndsWith("List", StringComparison.Ordinal))
            {
                models.TryAdd((e.Group ?? string.Empty, e.ApiVersion, e.Kind), t);
            }
        }

        return models;
    }

    /// <summary>
    /// The first value of the wrong JSON type for a scalar field, in document order, as kube-apiserver's decoder
    /// reports it: Go's <c>json: cannot unmarshal …</c> for writes, structured-merge-diff's wording for server-side
    /// apply (only the cases whose wording was checked against kube-apiserver: a string for a number, a string or
    /// number for a boolean, a boolean or number for a string). Null when every scalar fits.
    /// </summary>
    public static string? FirstTypeError(ResourceType rt, JsonObject obj, bool apply) =>
        ModelOf(rt) is { } model ? TypeError(obj, model, string.Empty, string.Empty, string.Empty, apply) : null;

    private static string? TypeError(JsonNode? node, Type type, string goPath, string applyPath, string goStruct, bool apply)
    {
        if (node is null)
        {
            return null;
        }

        type = Nullable.GetUnderlyingType(type) ?? type;
        if (GoScalar(type) is { } scalar)
        {
            return Fits(node, scalar) ? null
                : apply ? ApplyTypeError(node, scalar, applyPath)
                : $"json: cannot unmarshal {GoKind(node, scalar)} into Go struct field {goStruct}.{goPath} of type {scalar}";
        }

        switch (node)
        {
            case JsonObject o when MapValueType(type) is { } valueType:
                foreach (var (k, v) in o)
                {
                    if (TypeError(v, valueType, goPath, $"{applyPath}.{k}", goStruct, apply) is { } e)
                    {
                        return e;
                    }
                }

                break;
            case JsonObject o when PropertiesOf(type) is { } properties:
                var structName = GoStructName(type);
                foreach (var (k, v) in o)
                {
                    if (properties.TryGetValue(k, out var propertyType)
                        && TypeError(v, propertyType, goPath.Length == 0 ? k : $"{goPath}.{k}", $"{applyPath}.{k}", structName, apply) is { } e)
                    {
                        return e;
                    }
                }

                break;
            case JsonArray a when ListItemType(type) is { } itemType:
                var field = applyPath[(applyPath.LastIndexOf('.') + 1)..];
                var (kind, key) = ListSemantics.For(field, a);
                for (var i = 0; i < a.Count; i++)
                {
                    var element = kind == ListKind.Map && a[i] is JsonObject item ? FieldSet.Format([FieldSet.KeyElement(key!, item)]) : $"[{i}]";
                    if (TypeError(a[i], itemType, goPath, applyPath + element, goStruct, apply) is { } e)
                    {
                        return e;
                    }
                }

                break;
        }

        return null;
    }

    private static string? GoScalar(Type type) =>
        type == typeof(int) ? "int32" : type == typeof(long) ? "int64" : type == typeof(string) ? "string"
        : type == typeof(bool) ? "bool" : type == typeof(double) ? "float64" : null;

    private static bool Fits(JsonNode node, string scalar) => (node.GetValueKind(), scalar) switch
    {
        (System.Text.Json.JsonValueKind.String, "string") => true,
        (System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False, "bool") => true,
        (System.Text.Json.JsonValueKind.Number, "float64") => true,
        (System.Text.Json.JsonValueKind.Number, "int32" or "int64") => node.AsValue().TryGetValue<long>(out _),
        _ => false,
    };

    private static string GoKind(JsonNode node, string scalar) => node.GetValueKind() switch
    {
        System.Text.Json.JsonValueKind.String => "string",
        System.Text.Json.JsonValueKind.Number => scalar is "int32" or "int64" ? $"number {node.ToJsonString()}" : "number",
        System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False => "bool",
        System.Text.Json.JsonValueKind.Array => "array",
        _ => "object",
    };

    private static string? ApplyTypeError(JsonNode node, string scalar, string path) => (node.GetValueKind(), scalar) switch
    {
        (System.Text.Json.JsonValueKind.String, "int32" or "int64" or "float64") => $"{path}: expected numeric (int or float), got string",
        (System.Text.Json.JsonValueKind.String or System.Text.Json.JsonValueKind.Number, "bool") => $"{path}: expected boolean, got &{{{JsonUtil.Str(node) ?? node.ToJsonString()}}}",
        (System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False or System.Text.Json.JsonValueKind.Number, "string") =>
            $"{path}: expected string, got &value.valueUnstructured{{Value:{node.ToJsonString()}}}",
        _ => null,
    };

    /// <summary>The Go type a KubernetesClient model stands for: <c>V1DeploymentSpec</c> is <c>DeploymentSpec</c>.</summary>
    private static string GoStructName(Type type) =>
        System.Text.RegularExpressions.Regex.Replace(type.Name, "^V[0-9]+(?:alpha[0-9]+|beta[0-9]+)?", string.Empty);
}
