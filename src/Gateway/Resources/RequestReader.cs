using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fleet.Abstractions.Resources;
using Fleet.Gateway.Serialization;
using Fleet.Store.Secrets;

namespace Fleet.Gateway.Resources;

/// <summary>A request object that passed validation, ready to store.</summary>
internal sealed record ValidObject(
    ResourceKind Kind,
    string Namespace,
    string Name,
    Dictionary<string, string> Labels,
    Dictionary<string, string> Annotations,
    string SpecJson,
    long? ExpectedResourceVersion);

/// <summary>The outcome of reading a request: a valid object, or every problem found.</summary>
internal sealed record ReadResult(ValidObject? Object, List<FieldError> Errors, string? BadRequest)
{
    public static ReadResult Bad(string message) => new(null, [], message);
}

/// <summary>Reads, checks and normalises request bodies (JSON or YAML) for the resource endpoints.</summary>
internal sealed class RequestReader(SecretCipher cipher, GatewayOptions options)
{
    public const int MaxBodyBytes = 3 * 1024 * 1024;

    private readonly SpecPolicy _policy = new(options);

    public static async Task<(JsonObject? Body, string? Error)> ParseBodyAsync(HttpRequest request, CancellationToken ct)
    {
        var (docs, error) = await ParseDocumentsAsync(request, multiple: false, ct);
        if (docs is null)
        {
            return (null, error);
        }
        return docs.Count != 1 ? (null, $"the body holds {docs.Count} YAML documents; send exactly one object") : (docs[0], null);
    }

    /// <summary>
    /// The objects of a body: YAML documents (<c>---</c>-separated), or JSON (one object, a Kubernetes <c>List</c> with
    /// <c>items</c>, or an array). With <paramref name="multiple"/> false, a JSON list is refused.
    /// </summary>
    public static async Task<(List<JsonObject>? Documents, string? Error)> ParseDocumentsAsync(HttpRequest request, bool multiple, CancellationToken ct)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            return (null, $"request body is larger than {MaxBodyBytes} bytes");
        }
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var buffer = new char[MaxBodyBytes + 1];
        var builder = new StringBuilder();
        int read;
        while ((read = await reader.ReadAsync(buffer.AsMemory(), ct)) > 0)
        {
            builder.Append(buffer, 0, read);
            if (builder.Length > MaxBodyBytes)
            {
                return (null, $"request body is larger than {MaxBodyBytes} bytes");
            }
        }
        var text = builder.ToString();
        if (string.IsNullOrWhiteSpace(text))
        {
            return (null, "request body is empty: send the object as JSON or YAML");
        }
        var contentType = request.ContentType ?? "";
        var yaml = contentType.Contains("yaml", StringComparison.OrdinalIgnoreCase);
        try
        {
            if (!yaml && !contentType.Contains("json", StringComparison.OrdinalIgnoreCase))
            {
                // No or unknown content type: JSON when it looks like JSON, else YAML.
                var start = text.TrimStart();
                yaml = !start.StartsWith('{') && !(multiple && start.StartsWith('['));
            }
            List<JsonNode?> nodes;
            if (yaml)
            {
                nodes = YamlJson.ParseDocuments(text).Where(d => d is not null).ToList();
            }
            else
            {
                var node = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = 64 });
                nodes = multiple && node is JsonArray array ? [.. array]
                    : multiple && node is JsonObject list && list["kind"]?.ToString() is { } k && k.EndsWith("List", StringComparison.Ordinal) && list["items"] is JsonArray items ? [.. items]
                    : [node];
            }
            var docs = new List<JsonObject>(nodes.Count);
            for (var i = 0; i < nodes.Count; i++)
            {
                if (nodes[i] is not JsonObject o)
                {
                    return (null, multiple ? $"document {i + 1} is not an object" : "the body must be an object");
                }
                docs.Add(o);
            }
            return (docs, null);
        }
        catch (JsonException ex)
        {
            return (null, $"invalid JSON at line {ex.LineNumber + 1}, position {ex.BytePositionInLine + 1}: {ex.Message.Split(". ")[0]}");
        }
        catch (FormatException ex)
        {
            return (null, ex.Message);
        }
    }

    /// <summary>
    /// Checks a body against the route it was sent to; collects every field problem. <paramref name="lenient"/>
    /// ignores unknown fields, as for Flux's apiVersions (a Flux document converted to a Fleet kind).
    /// </summary>
    public ReadResult Read(JsonObject body, ResourceKind kind, string ns, string? routeName, bool lenient = false)
    {
        var errors = new List<FieldError>();
        var apiVersion = body["apiVersion"]?.GetValueKind() == JsonValueKind.String ? body["apiVersion"]!.GetValue<string>() : null;
        var bodyKind = body["kind"]?.GetValueKind() == JsonValueKind.String ? body["kind"]!.GetValue<string>() : null;
        var strict = !lenient;
        if (apiVersion is null)
        {
            errors.Add(new FieldError("apiVersion", $"required: {FleetApi.ApiVersion}"));
        }
        else if (apiVersion != FleetApi.ApiVersion)
        {
            if (kind.ForeignApiVersions.Contains(apiVersion))
            {
                strict = false;
            }
            else
            {
                errors.Add(new FieldError("apiVersion", $"\"{apiVersion}\" is not served here for {kind.Kind}: use {FleetApi.ApiVersion}"));
            }
        }
        if (bodyKind != kind.Kind)
        {
            errors.Add(new FieldError("kind", bodyKind is null ? $"required: {kind.Kind}" : $"\"{bodyKind}\" does not match the endpoint, which takes {kind.Kind}"));
        }

        var meta = body["metadata"] as JsonObject;
        if (meta is null)
        {
            errors.Add(new FieldError("metadata", "required: an object with at least a name"));
            return new ReadResult(null, errors, null);
        }
        if (strict)
        {
            Unknown(body, kind == ResourceKinds.Secret ? SecretFields : TopLevelFields, "", errors);
            Unknown(meta, MetadataFields, "metadata.", errors);
        }
        var name = meta["name"]?.GetValueKind() == JsonValueKind.String ? meta["name"]!.GetValue<string>() : routeName;
        if (routeName is not null && name != routeName)
        {
            errors.Add(new FieldError("metadata.name", $"\"{name}\" does not match the name in the URL, \"{routeName}\""));
        }
        errors.AddRange(ResourceValidation.ValidateName(name));
        var bodyNs = meta["namespace"]?.GetValueKind() == JsonValueKind.String ? meta["namespace"]!.GetValue<string>() : null;
        if (bodyNs is not null && bodyNs != ns)
        {
            errors.Add(new FieldError("metadata.namespace", $"\"{bodyNs}\" does not match the namespace in the URL, \"{ns}\""));
        }
        errors.AddRange(ResourceValidation.ValidateNamespace(ns, "namespace"));
        var labels = StringMap(meta["labels"], "metadata.labels", errors);
        var annotations = StringMap(meta["annotations"], "metadata.annotations", errors);
        errors.AddRange(ResourceValidation.ValidateLabels(labels));
        errors.AddRange(ResourceValidation.ValidateAnnotations(annotations));
        long? expected = null;
        if (meta["resourceVersion"] is { } rv)
        {
            if (long.TryParse(rv.ToString(), System.Globalization.CultureInfo.InvariantCulture, out var v))
            {
                expected = v;
            }
            else
            {
                errors.Add(new FieldError("metadata.resourceVersion", $"\"{rv}\" is not a resource version"));
            }
        }

        string? specJson = null;
        if (kind == ResourceKinds.Secret)
        {
            specJson = ReadSecret(body, errors);
        }
        else
        {
            var (spec, specErrors) = kind.ReadSpec(body["spec"], strict);
            errors.AddRange(specErrors);
            if (spec is not null)
            {
                errors.AddRange(_policy.Check(spec));
                specJson = JsonSerializer.Serialize(spec, kind.SpecType, FleetJson.Options);
            }
        }
        if (errors.Count > 0 || specJson is null || name is null)
        {
            return new ReadResult(null, errors, null);
        }
        return new ReadResult(new ValidObject(kind, ns, name, labels, annotations, specJson, expected), errors, null);
    }

    /// <summary>
    /// A Secret's values come as Kubernetes sends them (<c>stringData</c> plain, <c>data</c> base64) or as
    /// <c>spec.data</c> (plain); they are encrypted here and only the keys stay readable.
    /// </summary>
    private string? ReadSecret(JsonObject body, List<FieldError> errors)
    {
        var values = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in StringMap(body["data"], "data", errors))
        {
            try
            {
                values[key] = Encoding.UTF8.GetString(Convert.FromBase64String(value));
            }
            catch (FormatException)
            {
                errors.Add(new FieldError($"data[{key}]", "not base64 (use stringData for plain values)"));
            }
        }
        foreach (var (key, value) in StringMap(body["stringData"], "stringData", errors))
        {
            values[key] = value;
        }
        foreach (var (key, value) in StringMap((body["spec"] as JsonObject)?["data"], "spec.data", errors))
        {
            values[key] = value;
        }
        foreach (var key in values.Keys.Where(k => k.Length == 0 || k.Length > 253 || !k.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
        {
            errors.Add(new FieldError($"data[{key}]", "a key is made of alphanumerics, '-', '_' or '.'"));
        }
        var plain = JsonSerializer.Serialize(new Dictionary<string, string>(values, StringComparer.Ordinal), FleetJsonContext.Default.DictionaryStringString);
        var stored = new JsonObject
        {
            ["encryptedData"] = cipher.Encrypt(plain),
            ["keys"] = new JsonArray(values.Keys.Select(k => (JsonNode?)JsonValue.Create(k)).ToArray()),
        };
        return stored.ToApiJson();
    }

    private static readonly string[] TopLevelFields = ["apiVersion", "kind", "metadata", "spec", "status"];
    private static readonly string[] SecretFields = [.. TopLevelFields, "data", "stringData", "type", "immutable"];

    /// <summary>Fields the server sets (read back by GET) are accepted and ignored; anything else is refused, as in spec.</summary>
    private static readonly string[] MetadataFields = ["name", "namespace", "labels", "annotations", "resourceVersion", "uid", "generation", "creationTimestamp"];

    private static void Unknown(JsonObject obj, string[] known, string prefix, List<FieldError> errors)
    {
        foreach (var (key, _) in obj)
        {
            if (!known.Contains(key, StringComparer.Ordinal))
            {
                errors.Add(new FieldError(prefix + key, "unknown field"));
            }
        }
    }

    private static Dictionary<string, string> StringMap(JsonNode? node, string field, List<FieldError> errors)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (node is null)
        {
            return map;
        }
        if (node is not JsonObject obj)
        {
            errors.Add(new FieldError(field, "must be a map of strings"));
            return map;
        }
        foreach (var (k, v) in obj)
        {
            if (v is JsonValue value && value.GetValueKind() == JsonValueKind.String)
            {
                map[k] = value.GetValue<string>();
            }
            else
            {
                errors.Add(new FieldError($"{field}[{k}]", "must be a string"));
            }
        }
        return map;
    }
}
