using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fleet.Abstractions;
using Fleet.KubeSim.Controllers;
using Fleet.KubeSim.Json;
using Fleet.KubeSim.Store;

namespace Fleet.KubeSim.Api;

/// <summary>
/// The Kubernetes REST API of one virtual cluster: path resolution, GET/LIST, create, update, the four
/// patch types (server-side apply with field ownership), delete with finalizers, dry runs, discovery
/// and Status errors. HTTP-independent; <see cref="Hosting.HttpFrontEnd"/> adapts it to Kestrel.
/// </summary>
internal sealed partial class KubeApi
{
    public const int MaxBodyBytes = 3 * 1024 * 1024;

    private static readonly string[] BuiltinNamespaces = ["default", "kube-node-lease", "kube-public", "kube-system"];

    private readonly TimeProvider _time;
    private readonly SimControllers _controllers;

    public KubeApi(TimeProvider time, SimControllers controllers)
    {
        _time = time;
        _controllers = controllers;
    }

    public string ServerAddress { get; set; } = "127.0.0.1:6443";

    public static ApiResponse Json(int status, JsonNode body, string contentType = "application/json") =>
        new(status, JsonUtil.ToBytes(body), contentType);

    public static ApiResponse Error(KubeException e) => Json(e.Code, KubeStatus.From(e));

    public ApiResponse Handle(SimCluster c, ApiRequest r)
    {
        try
        {
            EnsureInitialized(c);
            return Dispatch(c, r);
        }
        catch (KubeException e)
        {
            return Error(e);
        }
    }

    /// <summary>Creates the namespaces every cluster starts with, on the cluster's first request.</summary>
    public void EnsureInitialized(SimCluster c)
    {
        if (c.Initialized)
        {
            return;
        }

        lock (c.Gate)
        {
            if (c.Initialized)
            {
                return;
            }

            foreach (var ns in BuiltinNamespaces)
            {
                var obj = new JsonObject
                {
                    ["kind"] = "Namespace",
                    ["apiVersion"] = "v1",
                    ["metadata"] = new JsonObject
                    {
                        ["name"] = ns,
                        ["labels"] = new JsonObject { ["kubernetes.io/metadata.name"] = ns },
                    },
                    ["spec"] = new JsonObject { ["finalizers"] = new JsonArray("kubernetes") },
                };
                PrepareCreate(BuiltinResources.Namespaces, obj, c.Created);
                Store(c, BuiltinResources.Namespaces, obj, null, "kube-apiserver", c.Created);
            }

            c.Initialized = true;
        }
    }

    private ApiResponse Dispatch(SimCluster c, ApiRequest r)
    {
        var s = r.Segments;
        if (s.Length == 0)
        {
            c.Count(Verb.Discovery);
            return Json(200, new JsonObject { ["paths"] = new JsonArray("/api", "/api/v1", "/apis", "/openapi/v2", "/openapi/v3", "/version") });
        }

        switch (s[0])
        {
            case "version" when s.Length == 1:
                c.Count(Verb.Discovery);
                return Json(200, Discovery.Version());
            case "healthz" or "readyz" or "livez" when s.Length == 1:
                return new ApiResponse(200, "ok"u8.ToArray(), "text/plain; charset=utf-8");
            case "openapi":
                c.Count(Verb.Discovery);
                return OpenApi.Serve(c, s, r.Accept);
            case "api":
                if (s.Length == 1)
                {
                    c.Count(Verb.Discovery);
                    return Discovery.WantsAggregated(r.Accept)
                        ? Json(200, Discovery.Aggregated(c, core: true), Discovery.AggregatedContentType)
                        : Json(200, Discovery.CoreVersions(ServerAddress));
                }

                if (s[1] != "v1")
                {
                    throw KubeException.ResourceNotFound();
                }

                if (s.Length == 2)
                {
                    c.Count(Verb.Discovery);
                    return Json(200, Discovery.ResourceList(c, string.Empty, "v1")!);
                }

                return Resource(c, r, string.Empty, "v1", s[2..]);
            case "apis":
                if (s.Length == 1)
                {
                    c.Count(Verb.Discovery);
                    return Discovery.WantsAggregated(r.Accept)
                        ? Json(200, Discovery.Aggregated(c, core: false), Discovery.AggregatedContentType)
                        : Json(200, Discovery.GroupList(c));
                }

                if (s.Length == 2)
                {
                    c.Count(Verb.Discovery);
                    return Json(200, DiscoveryLocked(c, () => Discovery.Group(c, s[1])) ?? throw KubeException.ResourceNotFound());
                }

                if (s.Length == 3)
                {
                    c.Count(Verb.Discovery);
                    return Json(200, DiscoveryLocked(c, () => Discovery.ResourceList(c, s[1], s[2])) ?? throw KubeException.ResourceNotFound());
                }

                return Resource(c, r, s[1], s[2], s[3..]);
            default:
                throw KubeException.ResourceNotFound();
        }
    }

    private static JsonObject? DiscoveryLocked(SimCluster c, Func<JsonObject?> build)
    {
        lock (c.Gate)
        {
            return build();
        }
    }

    public static ResourceType? FindType(SimCluster c, string group, string version, string plural)
    {
        foreach (var t in BuiltinResources.All)
        {
            if (t.Plural == plural && t.Group == group && t.Version == version)
            {
                return t;
            }
        }

        lock (c.Gate)
        {
            return c.CustomTypes.FirstOrDefault(t => t.Plural == plural && t.Group == group && t.Version == version);
        }
    }

    public static ApiTarget ResolveTarget(SimCluster c, string group, string version, string[] rest)
    {
        var watch = false;
        if (rest.Length > 0 && rest[0] == "watch")
        {
            watch = true;
            rest = rest[1..];
        }

        if (rest.Length == 0)
        {
            throw KubeException.ResourceNotFound();
        }

        string? ns = null;
        ResourceType? type = null;
        string? name = null;
        string? sub = null;
        if (rest.Length >= 3 && rest[0] == "namespaces" && FindType(c, group, version, rest[2]) is { Namespaced: true } nsType)
        {
            ns = rest[1];
            type = nsType;
            name = rest.Length > 3 ? rest[3] : null;
            sub = rest.Length > 4 ? rest[4] : null;
            if (rest.Length > 5)
            {
                throw KubeException.ResourceNotFound();
            }
        }
        else
        {
            type = FindType(c, group, version, rest[0]);
            name = rest.Length > 1 ? rest[1] : null;
            sub = rest.Length > 2 ? rest[2] : null;
            if (rest.Length > 3 || type is null || (type.Namespaced && name is not null))
            {
                throw KubeException.ResourceNotFound();
            }
        }

        if (type is null)
        {
            throw KubeException.ResourceNotFound();
        }

        if (sub is not null && !(sub == "status" && type.HasStatus) && !(sub == "scale" && HasScale(type))
            && !(sub == "finalize" && type == BuiltinResources.Namespaces) && !(sub == "token" && HasToken(type)))
        {
            throw KubeException.ResourceNotFound();
        }

        return new ApiTarget(type, ns, name, sub, watch);
    }

    private ApiResponse Resource(SimCluster c, ApiRequest r, string group, string version, string[] rest)
    {
        var t = ResolveTarget(c, group, version, rest);
        var watch = t.Watch || r.Q("watch") is "true" or "1";
        if (watch)
        {
            throw KubeException.BadRequest("watch requests must be made over HTTP");
        }

        if (r.ReadOnly && r.Method is not ("GET" or "HEAD"))
        {
            var verb = r.Method switch { "POST" => "create", "PUT" => "update", "PATCH" => "patch", _ => t.Name is null ? "deletecollection" : "delete" };
            var where = t.Namespace is null ? "at the cluster scope" : $"in the namespace \"{t.Namespace}\"";
            var resource = t.Subresource is null ? t.Type.Plural : $"{t.Type.Plural}/{t.Subresource}";
            throw new KubeException(403, "Forbidden",
                $"{t.Type.QualifiedResource} {(t.Name is null ? string.Empty : $"\"{t.Name}\" ")}is forbidden: User \"system:serviceaccount:kubesim:read-only\" cannot {verb} resource \"{resource}\" in API group \"{t.Type.Group}\" {where}",
                new StatusDetails(t.Name, t.Type.Group, t.Type.Plural));
        }

        if (t.Subresource == "token")
        {
            c.Count(Verb.Create);
            return r.Method == "POST" ? CreateToken(c, t, r) : throw KubeException.MethodNotAllowed(r.Method);
        }

        switch (r.Method)
        {
            case "GET" or "HEAD" when t.Name is null:
                c.Count(Verb.List);
                return List(c, t, r);
            case "GET" or "HEAD":
                c.Count(Verb.Get);
                return t.Subresource == "scale" ? GetScale(c, t) : Get(c, t, r);
            case "POST" when t.Name is null && t.Type.Namespaced && t.Namespace is null:
                throw KubeException.MethodNotAllowed(r.Method);
            case "POST" when t.Name is null:
                c.Count(Verb.Create);
                return Create(c, t, r);
            case "PUT" when t.Name is not null:
                c.Count(Verb.Update);
                return Update(c, t, r);
            case "PATCH" when t.Name is not null:
                var apply = IsApply(r.ContentType);
                c.Count(apply ? Verb.Apply : Verb.Patch);
                return apply ? Apply(c, t, r) : Patch(c, t, r);
            case "DELETE" when t.Name is not null:
                c.Count(Verb.Delete);
                return Delete(c, t, r);
            case "DELETE":
                c.Count(Verb.DeleteCollection);
                return DeleteCollection(c, t, r);
            default:
                throw KubeException.MethodNotAllowed(r.Method);
        }
    }

    private static bool IsApply(string? contentType) =>
        contentType is not null && contentType.StartsWith("application/apply-patch", StringComparison.OrdinalIgnoreCase);

    // ---- reads ----------------------------------------------------------------------------------

    private ApiResponse Get(SimCluster c, ApiTarget t, ApiRequest r)
    {
        byte[]? bytes;
        lock (c.Gate)
        {
            bytes = c.Get(t.Type.GroupResource, t.Namespace ?? string.Empty, t.Name!);
        }

        if (bytes is null)
        {
            throw KubeException.NotFound(t.Type, t.Name!);
        }

        bytes = AsVersion(t.Type, bytes);
        if (Tables.Wanted(r.Accept))
        {
            return Json(200, Tables.Build(t.Type, [JsonUtil.ParseObject(bytes)], c.ResourceVersion.ToString(CultureInfo.InvariantCulture), _time.GetUtcNow(), r.Q("includeObject")));
        }

        return new ApiResponse(200, bytes);
    }

    /// <summary>Objects of a custom resource are served in the version asked for (no conversion: same fields).</summary>
    private static byte[] AsVersion(ResourceType t, byte[] bytes)
    {
        if (!t.IsCustom)
        {
            return bytes;
        }

        var o = JsonUtil.ParseObject(bytes);
        if (JsonUtil.Str(o["apiVersion"]) == t.GroupVersion)
        {
            return bytes;
        }

        o["apiVersion"] = t.GroupVersion;
        return JsonUtil.ToBytes(o);
    }

    internal sealed record ListFilter(LabelSelector Labels, string? Name, string? NotName, string? Namespace, string? NotNamespace)
    {
        public bool Matches(JsonObject o, string ns, string name) =>
            (Name is null || Name == name) && (NotName is null || NotName != name)
            && (Namespace is null || Namespace == ns) && (NotNamespace is null || NotNamespace != ns)
            && (Labels.IsEmpty || Labels.Matches(JsonUtil.Labels(o)));
    }

    internal static ListFilter ParseFilter(ApiRequest r)
    {
        LabelSelector labels;
        try
        {
            labels = LabelSelector.Parse(r.Q("labelSelector"));
        }
        catch (FormatException e)
        {
            throw KubeException.BadRequest($"unable to parse requirement: {e.Message}");
        }

        string? name = null, notName = null, ns = null, notNs = null;
        var fs = r.Q("fieldSelector");
        if (!string.IsNullOrEmpty(fs))
        {
            foreach (var term in fs.Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                var neq = term.IndexOf("!=", StringComparison.Ordinal);
                var eq = term.IndexOf('=', StringComparison.Ordinal);
                if (eq < 0)
                {
                    throw KubeException.BadRequest($"invalid selector: '{fs}'; can't understand '{term}'");
                }

                var negate = neq >= 0;
                var key = (negate ? term[..neq] : term[..eq]).Trim();
                var value = negate ? term[(neq + 2)..] : term[(eq + 1)..].TrimStart('=');
                switch (key, negate)
                {
                    case ("metadata.name", false): name = value; break;
                    case ("metadata.name", true): notName = value; break;
                    case ("metadata.namespace", false): ns = value; break;
                    case ("metadata.namespace", true): notNs = value; break;
                    default:
                        throw KubeException.BadRequest($"field label not supported: {key}");
                }
            }
        }

        return new ListFilter(labels, name, notName, ns, notNs);
    }

    private sealed record ContinueToken(long Rv, string Start);

    private ApiResponse List(SimCluster c, ApiTarget t, ApiRequest r)
    {
        var filter = ParseFilter(r);
        var limit = 0;
        if (r.Q("limit") is { Length: > 0 } l && (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 0))
        {
            throw KubeException.BadRequest($"invalid limit \"{l}\": must be a non-negative integer");
        }

        string? start = null;
        if (r.Q("continue") is { Length: > 0 } cont)
        {
            try
            {
                var json = Encoding.UTF8.GetString(Convert.FromBase64String(cont));
                start = JsonSerializer.Deserialize<JsonObject>(json)?["start"]?.GetValue<string>();
            }
            catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException)
            {
                throw KubeException.BadRequest("continue key is not valid: invalid continue token");
            }

            if (start is null)
            {
                throw KubeException.BadRequest("continue key is not valid: invalid continue token");
            }
        }

        var items = new List<(string Key, byte[] Bytes)>();
        string? next = null;
        var remaining = 0;
        long rv;
        lock (c.Gate)
        {
            rv = c.ResourceVersion;
            foreach (var (key, bytes) in c.Items(t.Type.GroupResource, t.Namespace))
            {
                if (start is not null && string.CompareOrdinal(key, start) <= 0)
                {
                    continue;
                }

                var needsParse = !filter.Labels.IsEmpty || filter.Name is not null || filter.NotName is not null
                                 || filter.Namespace is not null || filter.NotNamespace is not null;
                if (needsParse)
                {
                    var slash = key.IndexOf('/', StringComparison.Ordinal);
                    var ns = slash < 0 ? string.Empty : key[..slash];
                    var name = slash < 0 ? key : key[(slash + 1)..];
                    var obj = filter.Labels.IsEmpty ? null : JsonUtil.ParseObject(bytes);
                    if (!(obj is null
                            ? (filter.Name is null || filter.Name == name) && (filter.NotName is null || filter.NotName != name)
                              && (filter.Namespace is null || filter.Namespace == ns) && (filter.NotNamespace is null || filter.NotNamespace != ns)
                            : filter.Matches(obj, ns, name)))
                    {
                        continue;
                    }
                }

                if (limit > 0 && items.Count == limit)
                {
                    next ??= items[^1].Key;
                    remaining++;
                    continue;
                }

                items.Add((key, bytes));
            }
        }

        var rvText = rv.ToString(CultureInfo.InvariantCulture);
        string? continueToken = next is null
            ? null
            : Convert.ToBase64String(Encoding.UTF8.GetBytes(new JsonObject { ["rv"] = rv, ["start"] = next }.ToJsonString()));

        if (Tables.Wanted(r.Accept))
        {
            var table = Tables.Build(t.Type, items.Select(i => JsonUtil.ParseObject(i.Bytes)).ToList(), rvText, _time.GetUtcNow(), r.Q("includeObject"));
            if (continueToken is not null)
            {
                ((JsonObject)table["metadata"]!)["continue"] = continueToken;
            }

            return Json(200, table);
        }

        var buffer = new ArrayBufferWriter<byte>(256 + items.Sum(i => i.Bytes.Length + 1));
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("kind", t.Type.ListKind);
            w.WriteString("apiVersion", t.Type.GroupVersion);
            w.WriteStartObject("metadata");
            w.WriteString("resourceVersion", rvText);
            if (continueToken is not null)
            {
                w.WriteString("continue", continueToken);
                w.WriteNumber("remainingItemCount", remaining);
            }

            w.WriteEndObject();
            w.WriteStartArray("items");
            foreach (var (_, bytes) in items)
            {
                WithoutTypeMeta(w, AsVersion(t.Type, bytes));
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return new ApiResponse(200, buffer.WrittenSpan.ToArray());
    }

    /// <summary>Writes a list item as kube-apiserver does: without its <c>kind</c> and <c>apiVersion</c>.</summary>
    private static void WithoutTypeMeta(Utf8JsonWriter w, byte[] bytes)
    {
        using var doc = JsonDocument.Parse(bytes);
        w.WriteStartObject();
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (p.NameEquals("kind") || p.NameEquals("apiVersion"))
            {
                continue;
            }

            p.WriteTo(w);
        }

        w.WriteEndObject();
    }

    // ---- writes ---------------------------------------------------------------------------------

    private static string FieldManager(ApiRequest r, string fallback)
    {
        var m = r.Q("fieldManager");
        if (!string.IsNullOrEmpty(m))
        {
            if (m.Length > 128)
            {
                throw KubeException.BadRequest("fieldManager: Too long: may not be more than 128 bytes");
            }

            return m;
        }

        var ua = r.UserAgent;
        if (string.IsNullOrEmpty(ua))
        {
            return fallback;
        }

        var slash = ua.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 ? ua[..slash] : ua;
    }

    private JsonObject DecodeBody(ApiRequest r, bool allowYaml)
    {
        if (r.Body.Length == 0)
        {
            throw KubeException.BadRequest("the request body is empty: expected a Kubernetes object");
        }

        var ct = r.ContentType ?? "application/json";
        var yaml = ct.StartsWith("application/yaml", StringComparison.OrdinalIgnoreCase)
                   || ct.StartsWith("application/apply-patch+yaml", StringComparison.OrdinalIgnoreCase);
        if (ct.StartsWith("application/vnd.kubernetes.protobuf", StringComparison.OrdinalIgnoreCase) && !IsApply(ct))
        {
            return ProtobufBody.Decode(r.Body);
        }

        if (ct.Contains("protobuf", StringComparison.OrdinalIgnoreCase) || ct.Contains("cbor", StringComparison.OrdinalIgnoreCase))
        {
            throw new KubeException(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json, application/yaml");
        }

        return BodyDecoder.DecodeObject(r.Body, allowYaml && yaml);
    }

    /// <summary>Checks the object's apiVersion/kind and namespace against the URL and fills in what the URL implies.</summary>
    private static void CheckIdentity(ApiTarget t, JsonObject obj, bool requireTypeMeta)
    {
        var apiVersion = JsonUtil.Str(obj["apiVersion"]);
        var kind = JsonUtil.Str(obj["kind"]);
        if (requireTypeMeta && (string.IsNullOrEmpty(apiVersion) || string.IsNullOrEmpty(kind)))
        {
            throw KubeException.BadRequest("Object 'Kind' is missing in the request body: apiVersion and kind must be set");
        }

        if (!string.IsNullOrEmpty(apiVersion) && apiVersion != t.Type.GroupVersion)
        {
            throw KubeException.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({t.Type.GroupVersion})");
        }

        if (!string.IsNullOrEmpty(kind) && kind != t.Type.Kind)
        {
            throw KubeException.BadRequest($"the kind in the data ({kind}) does not match the expected kind ({t.Type.Kind}) of {t.Type.QualifiedResource}");
        }

        obj["apiVersion"] = t.Type.GroupVersion;
        obj["kind"] = t.Type.Kind;
        var meta = JsonUtil.Metadata(obj);
        var bodyNs = JsonUtil.Str(meta["namespace"]);
        if (t.Type.Namespaced)
        {
            if (!string.IsNullOrEmpty(bodyNs) && t.Namespace is not null && bodyNs != t.Namespace)
            {
                throw KubeException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
            }

            if (t.Namespace is not null)
            {
                meta["namespace"] = t.Namespace;
            }
        }
        else if (!string.IsNullOrEmpty(bodyNs))
        {
            meta.Remove("namespace");
        }

        if (t.Name is not null)
        {
            var bodyName = JsonUtil.Str(meta["name"]);
            if (!string.IsNullOrEmpty(bodyName) && bodyName != t.Name)
            {
                throw KubeException.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({t.Name})");
            }

            meta["name"] = t.Name;
        }
    }

    private static void ThrowIfInvalid(ResourceType rt, JsonObject obj)
    {
        var causes = Validation.Validate(rt, obj);
        if (causes.Count > 0)
        {
            throw KubeException.Invalid(rt, rt.Kind, JsonUtil.Str(obj["metadata"]?["name"]) ?? string.Empty, causes);
        }
    }

    private static void ThrowIfImmutableChanged(ApiTarget t, JsonObject live, JsonObject next)
    {
        if (t.Subresource == "status")
        {
            return;
        }

        // Validated as the registry will store it (allocated values kept), which Commit does after the field
        // manager has run, so the writer does not own what it left out.
        var kept = next;
        if (t.Type == BuiltinResources.Services)
        {
            kept = (JsonObject)next.DeepClone();
            Defaulting.KeepAllocated(t.Type, live, kept);
        }

        var causes = Validation.ValidateUpdate(t.Type, live, kept);
        if (causes.Count > 0)
        {
            throw KubeException.Invalid(t.Type, t.Type.Kind, t.Name!, causes);
        }
    }

    private static void CheckNamespaceForCreate(SimCluster c, ResourceType rt, string ns, string name)
    {
        if (!rt.Namespaced)
        {
            return;
        }

        var nsBytes = c.Get(BuiltinResources.Namespaces.GroupResource, string.Empty, ns);
        if (nsBytes is null)
        {
            throw KubeException.NotFound(BuiltinResources.Namespaces, ns);
        }

        if (JsonUtil.ParseObject(nsBytes)["metadata"]?["deletionTimestamp"] is not null)
        {
            throw new KubeException(403, "Forbidden",
                $"{rt.QualifiedResource} \"{name}\" is forbidden: unable to create new content in namespace {ns} because it is being terminated",
                new StatusDetails(name, rt.Group, rt.Plural, [new StatusCause("NamespaceTerminating", $"namespace {ns} is being terminated", "metadata.namespace")]));
        }
    }

    private static string NewUid() => Guid.NewGuid().ToString();

    private static string GenerateName(string prefix)
    {
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        Span<char> suffix = stackalloc char[5];
        for (var i = 0; i < suffix.Length; i++)
        {
            suffix[i] = alphabet[Random.Shared.Next(alphabet.Length)];
        }

        return prefix + new string(suffix);
    }

    /// <summary>Fields the server owns on create: identity, timestamps, reset status, defaults.</summary>
    private void PrepareCreate(ResourceType rt, JsonObject obj, DateTimeOffset now)
    {
        var meta = JsonUtil.Metadata(obj);
        meta["uid"] = NewUid();
        meta["creationTimestamp"] = FieldOwnership.Timestamp(now);
        meta.Remove("resourceVersion");
        meta.Remove("deletionTimestamp");
        meta.Remove("deletionGracePeriodSeconds");
        meta.Remove("selfLink");
        meta.Remove("managedFields");
        if (rt.HasGeneration)
        {
            meta["generation"] = 1;
        }
        else
        {
            meta.Remove("generation");
        }

        if (rt.HasStatus)
        {
            obj.Remove("status");
        }

        Defaulting.Apply(rt, obj);
    }

    /// <summary>Drops the fields the kind does not have; Strict rejects them, Warn returns a warning for each.</summary>
    private static List<string>? CheckFields(ResourceType rt, JsonObject obj, ApiRequest r)
    {
        var mode = FieldValidation.Parse(r);
        if (FieldValidation.IsClean(rt, obj))
        {
            return null;
        }

        if (FieldValidation.FirstTypeError(rt, obj, apply: false) is { } typeError)
        {
            throw KubeException.BadRequest($"{rt.Kind} in version \"{rt.Version}\" cannot be handled as a {rt.Kind}: {typeError}");
        }

        var unknown = FieldValidation.RemoveUnknown(rt, obj);
        if (unknown.Count == 0 || mode == FieldValidation.Mode.Ignore)
        {
            return null;
        }

        var messages = unknown.Select(u => $"unknown field \"{u}\"").ToList();
        if (mode == FieldValidation.Mode.Strict)
        {
            throw KubeException.BadRequest($"{rt.Kind} in version \"{rt.Version}\" cannot be handled as a {rt.Kind}: strict decoding error: {string.Join(", ", messages)}");
        }

        return messages;
    }

    /// <summary>Field validation of a patched object: Strict answers 422 naming the patch, as kube-apiserver does.</summary>
    private static List<string>? PatchFields(ResourceType rt, JsonObject patched, ApiRequest r)
    {
        var mode = FieldValidation.Parse(r);
        if (FieldValidation.IsClean(rt, patched))
        {
            return null;
        }

        if (FieldValidation.FirstTypeError(rt, patched, apply: false) is { } typeError)
        {
            var invalid = $"Invalid value: {System.Text.Json.JsonSerializer.Serialize(patched.ToJsonString())}: {typeError}";
            throw new KubeException(422, "Invalid", $" \"\" is invalid: patch: {invalid}",
                new StatusDetails(null, null, null, [new StatusCause("FieldValueInvalid", invalid, "patch")]));
        }

        var before = mode == FieldValidation.Mode.Strict ? patched.ToJsonString() : null;
        var unknown = FieldValidation.RemoveUnknown(rt, patched);
        if (unknown.Count == 0 || mode == FieldValidation.Mode.Ignore)
        {
            return null;
        }

        var messages = unknown.Select(u => $"unknown field \"{u}\"").ToList();
        if (mode == FieldValidation.Mode.Strict)
        {
            var cause = $"Invalid value: {System.Text.Json.JsonSerializer.Serialize(before)}: strict decoding error: {string.Join(", ", messages)}";
            throw new KubeException(422, "Invalid", $" \"\" is invalid: patch: {cause}",
                new StatusDetails(null, null, null, [new StatusCause("FieldValueInvalid", cause, "patch")]));
        }

        return messages;
    }

    private ApiResponse Create(SimCluster c, ApiTarget t, ApiRequest r)
    {
        var obj = DecodeBody(r, allowYaml: true);
        var warnings = CheckFields(t.Type, obj, r);
        CheckIdentity(t, obj, requireTypeMeta: false);
        var meta = JsonUtil.Metadata(obj);
        if (string.IsNullOrEmpty(JsonUtil.Str(meta["name"])) && JsonUtil.Str(meta["generateName"]) is { Length: > 0 } prefix)
        {
            meta["name"] = GenerateName(prefix);
        }

        if (t.Type.Namespaced && t.Namespace is null && string.IsNullOrEmpty(JsonUtil.Str(meta["namespace"])))
        {
            throw KubeException.Invalid(t.Type, t.Type.Kind, JsonUtil.Str(meta["name"]) ?? string.Empty,
                [new StatusCause("FieldValueRequired", "Required value", "metadata.namespace")]);
        }

        ThrowIfInvalid(t.Type, obj);
        var name = JsonUtil.Str(meta["name"])!;
        var ns = t.Type.Namespaced ? JsonUtil.Str(meta["namespace"])! : string.Empty;
        var manager = FieldManager(r, "unknown");
        lock (c.Gate)
        {
            ThrowIfRemoved(c);
            if (c.Get(t.Type.GroupResource, ns, name) is not null)
            {
                throw KubeException.AlreadyExists(t.Type, name);
            }

            CheckNamespaceForCreate(c, t.Type, ns, name);
            var now = _time.GetUtcNow();
            PrepareCreate(t.Type, obj, now);
            var result = Store(c, t.Type, obj, null, manager, now, r.DryRun);
            return new ApiResponse(201, result) { Warnings = warnings };
        }
    }

    private static void ThrowIfRemoved(SimCluster c)
    {
        if (c.Removed)
        {
            throw new KubeException(404, "NotFound", $"cluster \"{c.Name}\" not found");
        }
    }

    private static WriteScope ScopeFor(ResourceType rt, string? sub) =>
        sub == "status" ? WriteScope.Status : rt.HasStatus ? WriteScope.Main : WriteScope.Whole;

    /// <summary>
    /// Carries over what a client may not change with an update: identity, creation time, deletion state,
    /// managed fields, and (per subresource) status or everything but status.
    /// </summary>
    private static void CarryOver(ResourceType rt, JsonObject live, JsonObject next, string? sub)
    {
        var lm = JsonUtil.Metadata(live);
        var nm = JsonUtil.Metadata(next);
        foreach (var f in new[] { "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "managedFields" })
        {
            nm.Remove(f);
            if (lm[f] is { } v)
            {
                nm[f] = v.DeepClone();
            }
        }

        if (rt.HasStatus)
        {
            if (sub == "status")
            {
                var status = next["status"]?.DeepClone();
                var rebuilt = (JsonObject)live.DeepClone();
                rebuilt.Remove("status");
                if (status is not null)
                {
                    rebuilt["status"] = status;
                }

                var rebuiltMeta = JsonUtil.Metadata(rebuilt);
                rebuiltMeta.Remove("resourceVersion");
                if (nm["resourceVersion"] is { } rv)
                {
                    rebuiltMeta["resourceVersion"] = rv.DeepClone();
                }

                next.Clear();
                foreach (var (k, v) in rebuilt.ToList())
                {
                    rebuilt.Remove(k);
                    next[k] = v;
                }
            }
            else
            {
                next.Remove("status");
                if (live["status"] is { } status)
                {
                    next["status"] = status.DeepClone();
                }
            }
        }
    }

    private ApiResponse Update(SimCluster c, ApiTarget t, ApiRequest r)
    {
        var obj = DecodeBody(r, allowYaml: true);
        if (t.Subresource == "scale")
        {
            return WriteScale(c, t, r, _ => obj);
        }

        var warnings = t.Subresource is null ? CheckFields(t.Type, obj, r) : null;
        CheckIdentity(t, obj, requireTypeMeta: false);
        var manager = FieldManager(r, "unknown");
        lock (c.Gate)
        {
            ThrowIfRemoved(c);
            var ns = t.Namespace ?? string.Empty;
            var liveBytes = c.Get(t.Type.GroupResource, ns, t.Name!) ?? throw KubeException.NotFound(t.Type, t.Name!);
            var live = JsonUtil.ParseObject(liveBytes);
            var sentRv = JsonUtil.Str(obj["metadata"]?["resourceVersion"]);
            CheckResourceVersion(t, live, sentRv);
            CarryOver(t.Type, live, obj, t.Subresource);
            ThrowIfInvalid(t.Type, obj);
            ThrowIfImmutableChanged(t, live, obj);
            return new ApiResponse(200, Replace(c, t.Type, live, liveBytes, obj, manager, t.Subresource, r.DryRun)) { Warnings = warnings };
        }
    }

    private static void CheckResourceVersion(ApiTarget t, JsonObject live, string? sent)
    {
        if (!string.IsNullOrEmpty(sent) && sent != JsonUtil.Str(live["metadata"]?["resourceVersion"]))
        {
            throw KubeException.Conflict(t.Type, t.Name!, "the object has been modified; please apply your changes to the latest version and try again");
        }
    }

    private byte[] Replace(SimCluster c, ResourceType rt, JsonObject live, byte[] liveBytes, JsonObject next, string manager, string? sub, bool dryRun)
    {
        var now = _time.GetUtcNow();
        Defaulting.Apply(rt, next);
        var entries = FieldOwnership.Read(live);
        FieldOwnership.RecordUpdate(entries, live, next, manager, rt.GroupVersion, sub is "status" or "scale" ? sub : null, ScopeFor(rt, sub), now);
        FieldOwnership.Write(next, entries);
        return Commit(c, rt, live, liveBytes, next, manager, now, dryRun);
    }

    /// <summary>
    /// Finishes a write to an existing object: generation bump on spec change, no-op detection (same
    /// bytes, same resourceVersion, no event), deletion once the last finalizer is gone, storage, event.
    /// </summary>
    private byte[] Commit(SimCluster c, ResourceType rt, JsonObject live, byte[] liveBytes, JsonObject next, string manager, DateTimeOffset now, bool dryRun)
    {
        Defaulting.Apply(rt, next);
        Defaulting.KeepAllocated(rt, live, next);
        Defaulting.Allocate(rt, next, create: false);
        if (rt == BuiltinResources.Crds)
        {
            SimControllers.EnsureCrdEstablished(next, FieldOwnership.Timestamp(now));
        }

        var nm = JsonUtil.Metadata(next);
        var lm = JsonUtil.Metadata(live);
        nm["resourceVersion"] = lm["resourceVersion"]?.DeepClone();
        // Deployments also count annotation changes (they are copied to the ReplicaSets), as kube-apiserver does.
        if (rt.HasGeneration && (!JsonUtil.SpecEquals(live, next)
                || (rt == BuiltinResources.Deployments && !JsonNode.DeepEquals(lm["annotations"], nm["annotations"]))))
        {
            var gen = JsonUtil.Long(lm["generation"]) ?? 1;
            nm["generation"] = gen + 1;
        }

        if (JsonNode.DeepEquals(live, next))
        {
            return liveBytes;
        }

        var ns = JsonUtil.Str(nm["namespace"]) ?? string.Empty;
        var name = JsonUtil.Str(nm["name"])!;
        if (nm["deletionTimestamp"] is not null && nm["finalizers"] is not JsonArray { Count: > 0 } && !IsNamespaceWithSpecFinalizers(rt, next))
        {
            if (dryRun)
            {
                return JsonUtil.ToBytes(next);
            }

            var rvDel = c.NextResourceVersion();
            nm["resourceVersion"] = rvDel.ToString(CultureInfo.InvariantCulture);
            var finalBytes = JsonUtil.ToBytes(next);
            RemoveObject(c, rt, ns, name, finalBytes, rvDel);
            return finalBytes;
        }

        if (dryRun)
        {
            return JsonUtil.ToBytes(next);
        }

        var rv = c.NextResourceVersion();
        nm["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture);
        var bytes = JsonUtil.ToBytes(next);
        var liveLabels = lm["labels"] as JsonObject;
        var labelsChanged = !JsonNode.DeepEquals(liveLabels, nm["labels"]);
        c.Put(rt.GroupResource, ns, name, bytes, rv, "MODIFIED", labelsChanged ? (JsonObject)(liveLabels?.DeepClone() ?? new JsonObject()) : null);
        AfterWrite(c, rt, next, live);
        return bytes;
    }

    private static bool IsNamespaceWithSpecFinalizers(ResourceType rt, JsonObject obj) =>
        rt == BuiltinResources.Namespaces && obj["spec"]?["finalizers"] is JsonArray { Count: > 0 };

    /// <summary>Stores a new object (create, or apply/update that creates) and emits ADDED.</summary>
    private byte[] Store(SimCluster c, ResourceType rt, JsonObject obj, JsonObject? appliedFor, string manager, DateTimeOffset now, bool dryRun = false)
    {
        if (appliedFor is null)
        {
            var entries = new List<ManagedEntry>();
            FieldOwnership.RecordUpdate(entries, Defaulting.ZeroObject(rt), obj, manager, rt.GroupVersion, null, ScopeFor(rt, null), now);
            FieldOwnership.Write(obj, entries);
        }

        Defaulting.Allocate(rt, obj, create: true);

        if (rt == BuiltinResources.Crds)
        {
            SimControllers.EnsureCrdEstablished(obj, FieldOwnership.Timestamp(now));
        }

        var meta = JsonUtil.Metadata(obj);
        if (dryRun)
        {
            return JsonUtil.ToBytes(obj);
        }

        var rv = c.NextResourceVersion();
        meta["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture);
        var bytes = JsonUtil.ToBytes(obj);
        var ns = JsonUtil.Str(meta["namespace"]) ?? string.Empty;
        c.Put(rt.GroupResource, ns, JsonUtil.Str(meta["name"])!, bytes, rv, "ADDED", null);
        AfterWrite(c, rt, obj, null);
        return bytes;
    }

    private void AfterWrite(SimCluster c, ResourceType rt, JsonObject obj, JsonObject? previous)
    {
        if (rt == BuiltinResources.Crds)
        {
            RegisterCrd(c, obj);
        }

        _controllers.OnWrite(c, rt, obj, previous);
    }

    private void RemoveObject(SimCluster c, ResourceType rt, string ns, string name, byte[] finalBytes, long rv)
    {
        c.Remove(rt.GroupResource, ns, name, finalBytes, rv);
        if (rt == BuiltinResources.Crds)
        {
            UnregisterCrd(c, JsonUtil.ParseObject(finalBytes));
        }

        _controllers.OnDelete(c, rt, ns);
    }

    // ---- patch and apply ------------------------------------------------------------------------

    private ApiResponse Patch(SimCluster c, ApiTarget t, ApiRequest r)
    {
        var ct = (r.ContentType ?? string.Empty).Split(';')[0].Trim().ToLowerInvariant();
        if (ct is not ("application/merge-patch+json" or "application/strategic-merge-patch+json" or "application/json-patch+json"))
        {
            throw new KubeException(415, "UnsupportedMediaType",
                $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json");
        }

        if (ct == "application/strategic-merge-patch+json" && t.Type.IsCustom)
        {
            throw new KubeException(415, "UnsupportedMediaType",
                $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml");
        }

        if (r.Body.Length == 0)
        {
            throw KubeException.BadRequest("the request body is empty: expected a patch");
        }

        var patch = BodyDecoder.Decode(r.Body, allowYaml: false);
        if (t.Subresource == "scale")
        {
            return WriteScale(c, t, r, scale => ApplyPatch(ct, scale, patch));
        }

        var manager = FieldManager(r, "unknown");
        lock (c.Gate)
        {
            ThrowIfRemoved(c);
            var ns = t.Namespace ?? string.Empty;
            var liveBytes = c.Get(t.Type.GroupResource, ns, t.Name!) ?? throw KubeException.NotFound(t.Type, t.Name!);
            var live = JsonUtil.ParseObject(liveBytes);
            var patched = ApplyPatch(ct, (JsonObject)live.DeepClone(), patch);
            if (patched is not JsonObject next)
            {
                throw new KubeException(422, "Invalid", "the patched object is not a JSON object");
            }

            var warnings = PatchFields(t.Type, next, r);
            CheckIdentity(t, next, requireTypeMeta: false);
            CheckResourceVersion(t, live, JsonUtil.Str(next["metadata"]?["resourceVersion"]));
            CarryOver(t.Type, live, next, t.Subresource);
            ThrowIfInvalid(t.Type, next);
            ThrowIfImmutableChanged(t, live, next);
            return new ApiResponse(200, Replace(c, t.Type, live, liveBytes, next, manager, t.Subresource, r.DryRun)) { Warnings = warnings };
        }
    }

    private static JsonNode ApplyPatch(string contentType, JsonObject target, JsonNode? patch) => contentType switch
    {
        "application/merge-patch+json" => Patches.MergePatch(target, patch)
            ?? throw KubeException.BadRequest("the merge patch must be a JSON object"),
        "application/json-patch+json" => Patches.JsonPatch(target, patch ?? throw KubeException.BadRequest("the JSON patch must be a list of operations")),
        _ => patch is JsonObject sp
            ? Patches.StrategicMerge(target, sp)
            : throw KubeException.BadRequest("the strategic merge patch must be a JSON object"),
    };

    private ApiResponse Apply(SimCluster c, ApiTarget t, ApiRequest r)
    {
        var manager = r.Q("fieldManager");
        if (string.IsNullOrEmpty(manager))
        {
            throw new KubeException(422, "Invalid", "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
                new StatusDetails(null, "meta.k8s.io", "PatchOptions", [new StatusCause("FieldValueRequired", "Required value: is required for apply patch", "fieldManager")]));
        }

        var force = r.Q("force") is "true" or "1";
        var memo = ApplyMemo(r, manager, force, t.Subresource);
        if (!r.DryRun)
        {
            lock (c.Gate)
            {
                var stored = c.GetStored(t.Type.GroupResource, t.Namespace ?? string.Empty, t.Name!);
                if (stored is { } s && s.ApplyHash == memo)
                {
                    return new ApiResponse(200, s.Json);
                }
            }
        }

        var applied = DecodeBody(r, allowYaml: true);
        if (string.IsNullOrEmpty(JsonUtil.Str(applied["apiVersion"])) || string.IsNullOrEmpty(JsonUtil.Str(applied["kind"])))
        {
            throw KubeException.BadRequest("invalid object type: apiVersion and kind must be set in an applied configuration");
        }

        FieldValidation.Parse(r);
        var appliedNamespace = JsonUtil.Str(applied["metadata"]?["namespace"]) ?? string.Empty;
        var typedError = FieldValidation.IsClean(t.Type, applied) ? null
            : FieldValidation.FirstUnknownForApply(t.Type, applied) is { } unknownField
            ? $"{unknownField}: field not declared in schema"
            : FieldValidation.FirstTypeError(t.Type, applied, apply: true);
        if (typedError is not null)
        {
            throw new KubeException(500, string.Empty,
                $"failed to create typed patch object ({appliedNamespace}/{t.Name}; {t.Type.Group}/{t.Type.Version}, Kind={t.Type.Kind}): {typedError}");
        }

        CheckIdentity(t, applied, requireTypeMeta: true);
        var sub = t.Subresource == "status" ? "status" : null;
        var scope = ScopeFor(t.Type, t.Subresource);
        StripForApply(applied, scope);
        var set = FieldOwnership.Collect(applied, scope);
        lock (c.Gate)
        {
            ThrowIfRemoved(c);
            var ns = t.Namespace ?? string.Empty;
            var liveBytes = c.Get(t.Type.GroupResource, ns, t.Name!);
            var now = _time.GetUtcNow();
            if (liveBytes is null)
            {
                if (sub is not null)
                {
                    throw KubeException.NotFound(t.Type, t.Name!);
                }

                var obj = (JsonObject)applied.DeepClone();
                ThrowIfInvalid(t.Type, obj);
                CheckNamespaceForCreate(c, t.Type, ns, t.Name!);
                PrepareCreate(t.Type, obj, now);
                var createdEntries = new List<ManagedEntry>
                {
                    new() { Manager = manager, Operation = "Apply", ApiVersion = t.Type.GroupVersion, Time = FieldOwnership.Timestamp(now), Fields = set },
                };
                FieldOwnership.Write(obj, createdEntries);
                var createdBytes = Store(c, t.Type, obj, applied, manager, now, r.DryRun);
                Remember(c, t, r, memo);
                return new ApiResponse(201, createdBytes);
            }

            var live = JsonUtil.ParseObject(liveBytes);
            CheckResourceVersion(t, live, JsonUtil.Str(applied["metadata"]?["resourceVersion"]));
            var entries = FieldOwnership.Read(live);
            var conflicts = FieldOwnership.Conflicts(entries, live, applied, set, manager, sub);
            if (conflicts.Count > 0)
            {
                if (!force)
                {
                    throw ConflictError(conflicts);
                }

                foreach (var conflict in conflicts)
                {
                    foreach (var e in entries.Where(e => e.Manager == conflict.Manager))
                    {
                        e.Fields.Remove(conflict.Path);
                    }
                }
            }

            var mine = entries.FirstOrDefault(e => e.SameIdentity(manager, "Apply", sub));
            var next = (JsonObject)live.DeepClone();
            var appliedMerge = (JsonObject)applied.DeepClone();
            FieldOwnership.MergeApplied(next, appliedMerge);
            if (mine is not null)
            {
                var orphans = mine.Fields.Clone();
                orphans.ExceptWith(set);
                foreach (var other in entries)
                {
                    if (!ReferenceEquals(other, mine))
                    {
                        orphans.ExceptWith(other.Fields);
                    }
                }

                if (!orphans.IsEmpty)
                {
                    FieldOwnership.RemoveOrphans(next, orphans);
                }

                if (!mine.Fields.SetEquals(set) || mine.ApiVersion != t.Type.GroupVersion)
                {
                    mine.Time = FieldOwnership.Timestamp(now);
                }

                mine.Fields = set;
                mine.ApiVersion = t.Type.GroupVersion;
            }
            else
            {
                entries.Add(new ManagedEntry
                {
                    Manager = manager, Operation = "Apply", ApiVersion = t.Type.GroupVersion, Time = FieldOwnership.Timestamp(now),
                    Subresource = sub, Fields = set,
                });
            }

            CarryOver(t.Type, live, next, t.Subresource);
            FieldOwnership.Write(next, entries.Where(e => !e.Fields.IsEmpty).ToList());
            ThrowIfInvalid(t.Type, next);
            ThrowIfImmutableChanged(t, live, next);
            var result = Commit(c, t.Type, live, liveBytes, next, manager, now, r.DryRun);
            Remember(c, t, r, memo);
            return new ApiResponse(200, result);
        }
    }

    /// <summary>Identifies an apply request: same manager, options and body give the same result on the same object.</summary>
    private static ulong ApplyMemo(ApiRequest r, string manager, bool force, string? sub)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"{manager}\n{force}\n{sub}\n{r.ContentType}\n"));
        hash.AppendData(r.Body);
        Span<byte> digest = stackalloc byte[32];
        hash.GetHashAndReset(digest);
        var memo = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(digest);
        return memo == 0 ? 1 : memo;
    }

    private static void Remember(SimCluster c, ApiTarget t, ApiRequest r, ulong memo)
    {
        if (!r.DryRun)
        {
            c.SetApplyHash(t.Type.GroupResource, t.Namespace ?? string.Empty, t.Name!, memo);
        }
    }

    private static void StripForApply(JsonObject applied, WriteScope scope)
    {
        var meta = JsonUtil.Metadata(applied);
        foreach (var f in new[] { "managedFields", "uid", "creationTimestamp", "generation", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds" })
        {
            meta.Remove(f);
        }

        if (scope == WriteScope.Main)
        {
            applied.Remove("status");
        }
    }

    private static KubeException ConflictError(List<FieldConflict> conflicts)
    {
        var causes = conflicts
            .Select(x => new StatusCause("FieldManagerConflict", $"conflict with {x.Describe()}", FieldSet.Format(x.Path)))
            .ToList();
        string message;
        if (conflicts.Count == 1)
        {
            message = $"Apply failed with 1 conflict: {causes[0].Message}: {causes[0].Field}";
        }
        else
        {
            var sb = new StringBuilder($"Apply failed with {conflicts.Count} conflicts: ");
            foreach (var group in conflicts.GroupBy(x => x.Describe()))
            {
                sb.Append(CultureInfo.InvariantCulture, $"conflicts with {group.Key}:");
                foreach (var x in group)
                {
                    sb.Append("\n- ").Append(FieldSet.Format(x.Path));
                }

                sb.Append('\n');
            }

            message = sb.ToString().TrimEnd('\n');
        }

        return new KubeException(409, "Conflict", message, new StatusDetails(null, null, null, causes));
    }

    // ---- delete ---------------------------------------------------------------------------------

    private ApiResponse Delete(SimCluster c, ApiTarget t, ApiRequest r)
    {
        JsonObject? options = null;
        if (r.Body.Length > 0)
        {
            options = BodyDecoder.DecodeObject(r.Body, allowYaml: false);
        }

        var dryRun = r.DryRun || options?["dryRun"] is JsonArray d && d.Any(x => JsonUtil.Str(x) == "All");
        lock (c.Gate)
        {
            ThrowIfRemoved(c);
            var ns = t.Namespace ?? string.Empty;
            var liveBytes = c.Get(t.Type.GroupResource, ns, t.Name!) ?? throw KubeException.NotFound(t.Type, t.Name!);
            var live = JsonUtil.ParseObject(liveBytes);
            if (options?["preconditions"] is JsonObject pre)
            {
                if (JsonUtil.Str(pre["uid"]) is { } uid && uid != JsonUtil.Str(live["metadata"]?["uid"]))
                {
                    throw KubeException.Conflict(t.Type, t.Name!, $"Precondition failed: UID in precondition: {uid}, UID in object meta: {JsonUtil.Str(live["metadata"]?["uid"])}");
                }

                if (JsonUtil.Str(pre["resourceVersion"]) is { } prv && prv != JsonUtil.Str(live["metadata"]?["resourceVersion"]))
                {
                    throw KubeException.Conflict(t.Type, t.Name!, $"Precondition failed: ResourceVersion in precondition: {prv}, ResourceVersion in object meta: {JsonUtil.Str(live["metadata"]?["resourceVersion"])}");
                }
            }

            var (status, body) = DeleteLocked(c, t.Type, live, liveBytes, dryRun);
            return new ApiResponse(status, body);
        }
    }

    /// <summary>
    /// Deletes one object (lock held): objects with finalizers (and namespaces) only get a
    /// deletionTimestamp; the rest go at once. Returns the HTTP status and body a real server gives.
    /// </summary>
    internal (int Status, byte[] Body) DeleteLocked(SimCluster c, ResourceType rt, JsonObject live, byte[] liveBytes, bool dryRun)
    {
        var meta = JsonUtil.Metadata(live);
        var ns = JsonUtil.Str(meta["namespace"]) ?? string.Empty;
        var name = JsonUtil.Str(meta["name"])!;
        var now = _time.GetUtcNow();
        var isNamespace = rt == BuiltinResources.Namespaces;
        if (isNamespace || meta["finalizers"] is JsonArray { Count: > 0 })
        {
            if (meta["deletionTimestamp"] is not null)
            {
                return (200, liveBytes);
            }

            var next = (JsonObject)live.DeepClone();
            var nm = JsonUtil.Metadata(next);
            nm["deletionTimestamp"] = FieldOwnership.Timestamp(now);
            if (!isNamespace)
            {
                nm["deletionGracePeriodSeconds"] = 0;
            }
            if (isNamespace)
            {
                next["status"] = new JsonObject { ["phase"] = "Terminating" };
            }

            var bytes = Commit(c, rt, live, liveBytes, next, "kube-apiserver", now, dryRun);
            return (200, bytes);
        }

        if (dryRun)
        {
            return (200, JsonUtil.ToBytes(KubeStatus.Success(new StatusDetails(name, rt.Group, rt.Plural))));
        }

        var rv = c.NextResourceVersion();
        var final = (JsonObject)live.DeepClone();
        JsonUtil.Metadata(final)["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture);
        RemoveObject(c, rt, ns, name, JsonUtil.ToBytes(final), rv);
        var success = KubeStatus.Success(new StatusDetails(name, rt.Group, rt.Plural));
        ((JsonObject)success["details"]!)["uid"] = JsonUtil.Str(meta["uid"]);
        return (200, JsonUtil.ToBytes(success));
    }

    private ApiResponse DeleteCollection(SimCluster c, ApiTarget t, ApiRequest r)
    {
        var filter = ParseFilter(r);
        lock (c.Gate)
        {
            ThrowIfRemoved(c);
            var victims = new List<(JsonObject, byte[])>();
            foreach (var (key, bytes) in c.Items(t.Type.GroupResource, t.Namespace).ToList())
            {
                var obj = JsonUtil.ParseObject(bytes);
                var slash = key.IndexOf('/', StringComparison.Ordinal);
                if (filter.Matches(obj, slash < 0 ? string.Empty : key[..slash], slash < 0 ? key : key[(slash + 1)..]))
                {
                    victims.Add((obj, bytes));
                }
            }

            var items = new JsonArray();
            foreach (var (obj, bytes) in victims)
            {
                DeleteLocked(c, t.Type, obj, bytes, r.DryRun);
                obj.Remove("kind");
                obj.Remove("apiVersion");
                items.Add(obj);
            }

            return Json(200, new JsonObject
            {
                ["kind"] = t.Type.ListKind,
                ["apiVersion"] = t.Type.GroupVersion,
                ["metadata"] = new JsonObject { ["resourceVersion"] = c.ResourceVersion.ToString(CultureInfo.InvariantCulture) },
                ["items"] = items,
            });
        }
    }

    // ---- controller entry points (lock held by caller) ------------------------------------------

    /// <summary>Writes an object's status as a controller would (an Update on the status subresource).</summary>
    internal void WriteStatusLocked(SimCluster c, ResourceType rt, string ns, string name, string manager, Func<JsonObject, JsonNode?> status)
    {
        var liveBytes = c.Get(rt.GroupResource, ns, name);
        if (liveBytes is null)
        {
            return;
        }

        var live = JsonUtil.ParseObject(liveBytes);
        var next = (JsonObject)live.DeepClone();
        var newStatus = status(next);
        if (newStatus is null)
        {
            return;
        }

        next.Remove("status");
        next["status"] = newStatus;
        Replace(c, rt, live, liveBytes, next, manager, rt.HasStatus ? "status" : null, false);
    }

    /// <summary>Writes a whole object as a controller would (used to drop a namespace's finalizer).</summary>
    internal void WriteObjectLocked(SimCluster c, ResourceType rt, JsonObject live, byte[] liveBytes, JsonObject next, string manager) =>
        Replace(c, rt, live, liveBytes, next, manager, null, false);

    // ---- CRDs -----------------------------------------------------------------------------------

    private static void RegisterCrd(SimCluster c, JsonObject crd)
    {
        var established = crd["status"]?["conditions"] is JsonArray conds
            && conds.Any(x => JsonUtil.Str(x?["type"]) == "Established" && JsonUtil.Str(x?["status"]) == "True");
        var name = JsonUtil.Str(crd["metadata"]?["name"])!;
        if (!established || crd["metadata"]?["deletionTimestamp"] is not null)
        {
            if (!established)
            {
                c.SetCustomTypes(name, null);
            }

            return;
        }

        c.SetCustomTypes(name, CrdTypes(crd));
    }

    internal static ResourceType[] CrdTypes(JsonObject crd)
    {
        var spec = crd["spec"] as JsonObject;
        var names = spec?["names"] as JsonObject;
        var group = JsonUtil.Str(spec?["group"]) ?? string.Empty;
        var plural = JsonUtil.Str(names?["plural"]) ?? string.Empty;
        var kind = JsonUtil.Str(names?["kind"]) ?? string.Empty;
        var singular = JsonUtil.Str(names?["singular"]) ?? kind.ToLowerInvariant();
        var shortNames = (names?["shortNames"] as JsonArray)?.Select(JsonUtil.Str).OfType<string>().ToArray() ?? [];
        var categories = (names?["categories"] as JsonArray)?.Select(JsonUtil.Str).OfType<string>().ToArray() ?? [];
        var namespaced = JsonUtil.Str(spec?["scope"]) != "Cluster";
        var types = new List<ResourceType>();
        foreach (var v in spec?["versions"] as JsonArray ?? [])
        {
            if (v is not JsonObject vo || vo["served"] is JsonValue sv && sv.TryGetValue<bool>(out var served) && !served)
            {
                continue;
            }

            var hasStatus = vo["subresources"]?["status"] is not null;
            types.Add(new ResourceType(group, JsonUtil.Str(vo["name"]) ?? "v1", plural, singular, kind, namespaced, shortNames, categories, hasStatus, true)
            {
                IsCustom = true,
            });
        }

        return [.. types];
    }

    private static void UnregisterCrd(SimCluster c, JsonObject crd)
    {
        var name = JsonUtil.Str(crd["metadata"]?["name"])!;
        var types = CrdTypes(crd);
        c.SetCustomTypes(name, null);
        if (types.Length == 0)
        {
            return;
        }

        foreach (var (key, bytes) in c.Items(types[0].GroupResource, null).ToList())
        {
            var slash = key.IndexOf('/', StringComparison.Ordinal);
            var objRv = c.NextResourceVersion();
            c.Remove(types[0].GroupResource, slash < 0 ? string.Empty : key[..slash], slash < 0 ? key : key[(slash + 1)..], bytes, objRv);
        }

    }
}
