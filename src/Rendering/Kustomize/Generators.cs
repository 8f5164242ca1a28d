using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fleet.Rendering.Yaml;

namespace Fleet.Rendering.Kustomize;

/// <summary>configMapGenerator and secretGenerator, with kustomize's behaviors and options.</summary>
internal static class Generators
{
    public static void Run(JsonObject doc, string file, string dir, List<Resource> ra, Files files, RenderLimits limits)
    {
        var global = doc["generatorOptions"] as JsonObject;
        foreach (var (field, kind) in new[] { ("configMapGenerator", "ConfigMap"), ("secretGenerator", "Secret") })
        {
            if (doc[field] is null)
            {
                continue;
            }

            if (doc[field] is not JsonArray list)
            {
                throw new RenderException($"{file}: '{field}' must be a list");
            }

            for (var i = 0; i < list.Count; i++)
            {
                if (list[i] is not JsonObject spec)
                {
                    throw new RenderException($"{file}: {field}[{i}] must be a mapping");
                }

                Generate(spec, kind, $"{file}: {field}[{i}]", global, dir, ra, files, limits);
            }
        }
    }

    private static void Generate(JsonObject spec, string kind, string where, JsonObject? global, string dir, List<Resource> ra, Files files, RenderLimits limits)
    {
        var name = Resource.Str(spec, "name");
        if (name.Length == 0)
        {
            throw new RenderException($"{where}: a generator needs a name");
        }

        where = $"{where} ({name})";
        var ns = Resource.Str(spec, "namespace");
        var behavior = Resource.Str(spec, "behavior");
        if (behavior.Length == 0)
        {
            behavior = "create";
        }

        if (behavior is not ("merge" or "replace"))
        {
            // kustomize treats any other value as create.
            behavior = "create";
        }

        var data = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var binary = new SortedDictionary<string, string>(StringComparer.Ordinal);
        void Put(string key, string value, string source)
        {
            if (data.ContainsKey(key) || binary.ContainsKey(key))
            {
                throw new RenderException($"{where}: {source}: cannot add key '{key}', another key by that name already exists");
            }

            data[key] = value;
        }

        foreach (var env in Builder.Strings(spec, "envs", where).Concat(spec["env"] is JsonValue ev ? [ev.ToString()] : []))
        {
            var full = files.LocateFile(dir, env, where);
            var lineNo = 0;
            foreach (var raw in files.Read(full).Split('\n'))
            {
                lineNo++;
                var line = raw.TrimEnd('\r');
                if (line.Trim().Length == 0 || line.TrimStart().StartsWith('#'))
                {
                    continue;
                }

                if (lineNo == 1)
                {
                    line = line.TrimStart('\uFEFF');
                }

                // As kustomize: a line without '=' is a key with an empty value.
                var eq = line.IndexOf('=', StringComparison.Ordinal);
                var key = (eq < 0 ? line : line[..eq]).TrimStart();
                if (key.Length == 0 || key.Any(char.IsWhiteSpace))
                {
                    throw new RenderException($"{files.Rel(full)}:{lineNo}: '{key}' is not a valid environment variable name");
                }

                Put(key, eq < 0 ? string.Empty : line[(eq + 1)..], files.Rel(full));
            }
        }

        foreach (var f in Builder.Strings(spec, "files", where))
        {
            var eq = f.IndexOf('=', StringComparison.Ordinal);
            var key = eq >= 0 ? f[..eq] : Path.GetFileName(f);
            var path = eq >= 0 ? f[(eq + 1)..] : f;
            if (eq == 0)
            {
                throw new RenderException($"{where}: file source '{f}' has an empty key");
            }

            var full = files.LocateFile(dir, path, where);
            var bytes = files.ReadBytes(full);
            string text;
            try
            {
                text = new UTF8Encoding(false, true).GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
                // Not UTF-8: binaryData (or Secret data), base64 in kustomize's 70-character lines.
                Put(key, string.Empty, f);
                data.Remove(key);
                binary[key] = Base64Lines(bytes);
                continue;
            }

            Put(key, text, f);
        }

        foreach (var lit in Builder.Strings(spec, "literals", where))
        {
            var eq = lit.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new RenderException($"{where}: literal '{lit}' is not KEY=VALUE");
            }

            var value = lit[(eq + 1)..];
            if (value.Length >= 2 && ((value[0] == '"' && value[^1] == '"') || (value[0] == '\'' && value[^1] == '\'')))
            {
                value = value[1..^1];
            }

            Put(lit[..eq], value, "literals");
        }

        var options = MergeOptions(global, spec["options"] as JsonObject);
        var obj = new JsonObject { ["apiVersion"] = "v1", ["kind"] = kind };
        var meta = new JsonObject { ["name"] = name };
        if (ns.Length > 0)
        {
            meta["namespace"] = ns;
        }

        if (options.Labels.Count > 0)
        {
            meta["labels"] = ToObject(options.Labels);
        }

        if (options.Annotations.Count > 0)
        {
            meta["annotations"] = ToObject(options.Annotations);
        }

        obj["metadata"] = meta;
        if (kind == "Secret")
        {
            var type = Resource.Str(spec, "type");
            obj["type"] = type.Length > 0 ? type : "Opaque";
            var all = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var (k, v) in data)
            {
                all[k] = Base64Lines(Encoding.UTF8.GetBytes(v));
            }

            foreach (var (k, v) in binary)
            {
                all[k] = v;
            }

            // kustomize writes data on a generated Secret even when it is empty.
            obj["data"] = ToObject(all);
        }
        else
        {
            if (data.Count > 0)
            {
                obj["data"] = ToObject(data);
            }

            if (binary.Count > 0)
            {
                obj["binaryData"] = ToObject(binary);
            }
        }

        if (options.Immutable)
        {
            obj["immutable"] = true;
        }

        var resource = new Resource(obj, where) { NeedsHash = !options.DisableHash, Behavior = behavior };
        if (behavior == "create")
        {
            var clash = ra.Find(r => r.Id == resource.Id);
            if (clash is not null)
            {
                throw new RenderException($"{where}: may not add resource with an already registered id: {resource.Describe()} conflicts with {clash.Describe()}; use behavior merge or replace");
            }

            ra.Add(resource);
            return;
        }

        var existing = ra.Where(r => r.Kind == kind && r.Group.Length == 0 && r.HadName(name) &&
            (ns.Length == 0 ? true : r.History.Exists(h => h.Namespace == ns))).ToList();
        if (existing.Count != 1)
        {
            throw new RenderException($"{where}: behavior '{behavior}' needs exactly one existing {kind} named '{name}', found {existing.Count}");
        }

        var target = existing[0];
        if (behavior == "replace")
        {
            // A replaced generator's origin is the replacing one; a merged one keeps the original's.
            target.Origin = resource.Origin;
            target.Obj["data"] = obj["data"]?.DeepClone();
            if (obj["data"] is null)
            {
                target.Obj.Remove("data");
            }

            target.Obj.Remove("binaryData");
            if (obj["binaryData"] is not null)
            {
                target.Obj["binaryData"] = obj["binaryData"]!.DeepClone();
            }
        }
        else
        {
            foreach (var field in new[] { "data", "binaryData" })
            {
                if (obj[field] is JsonObject add)
                {
                    if (target.Obj[field] is not JsonObject have)
                    {
                        have = [];
                        target.Obj[field] = have;
                    }

                    foreach (var (k, v) in add)
                    {
                        have[k] = v?.DeepClone();
                    }
                }
            }
        }

        foreach (var field in new[] { "labels", "annotations" })
        {
            if (meta[field] is JsonObject add)
            {
                if (target.Metadata[field] is not JsonObject have)
                {
                    have = [];
                    target.Metadata[field] = have;
                }

                foreach (var (k, v) in add)
                {
                    have[k] = v?.DeepClone();
                }
            }
        }

        if (options.Immutable)
        {
            target.Obj["immutable"] = true;
        }

        target.NeedsHash = target.NeedsHash && !options.DisableHash;
    }

    /// <summary>Base64 as kustomize writes Secret data: values longer than 70 characters are split into 70-character lines, each ending in a newline.</summary>
    internal static string Base64Lines(byte[] bytes)
    {
        const int lineLength = 70;
        var encoded = Convert.ToBase64String(bytes);
        if (encoded.Length < lineLength)
        {
            return encoded;
        }

        var sb = new StringBuilder(encoded.Length + (encoded.Length / lineLength) + 1);
        for (var i = 0; i < encoded.Length; i += lineLength)
        {
            sb.Append(encoded, i, Math.Min(lineLength, encoded.Length - i)).Append('\n');
        }

        return sb.ToString();
    }

    private sealed record Options(Dictionary<string, string> Labels, Dictionary<string, string> Annotations, bool DisableHash, bool Immutable);

    private static Options MergeOptions(JsonObject? global, JsonObject? local)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        var annotations = new Dictionary<string, string>(StringComparer.Ordinal);
        var disable = false;
        var immutable = false;
        foreach (var o in new[] { global, local })
        {
            if (o is null)
            {
                continue;
            }

            foreach (var (k, v) in Builder.StringMap(o["labels"], "generatorOptions", "labels"))
            {
                labels[k] = v;
            }

            foreach (var (k, v) in Builder.StringMap(o["annotations"], "generatorOptions", "annotations"))
            {
                annotations[k] = v;
            }

            // kustomize disables the hash when either the global or the generator's own option says so.
            if (o["disableNameSuffixHash"] is JsonValue d && d.GetValueKind() == JsonValueKind.True)
            {
                disable = true;
            }

            // Likewise immutable: either one setting it is enough.
            if (o["immutable"] is JsonValue im && im.GetValueKind() == JsonValueKind.True)
            {
                immutable = true;
            }
        }

        return new Options(labels, annotations, disable, immutable);
    }

    private static JsonObject ToObject(IEnumerable<KeyValuePair<string, string>> pairs)
    {
        var o = new JsonObject();
        foreach (var (k, v) in pairs)
        {
            o[k] = v;
        }

        return o;
    }

    /// <summary>
    /// kustomize's content hash: SHA-256 of a JSON encoding of kind, data (and binaryData, or type for
    /// Secrets) with an empty name, as Go's encoding/json writes it (sorted keys, HTML-safe escapes);
    /// the first ten hex digits, with 0, 1, 3, a and e swapped for letters so the result has no vowels
    /// or look-alike digits.
    /// </summary>
    public static string Hash(JsonObject obj)
    {
        var kind = Resource.Str(obj, "kind");
        var fields = new SortedDictionary<string, object>(StringComparer.Ordinal)
        {
            ["kind"] = kind,
            ["name"] = string.Empty,
        };
        // A missing data map is hashed as an empty string, as kustomize's hasher reads it; an optional
        // map is included whenever it is present.
        object MapOrEmpty(JsonNode? node) => node is JsonObject ? StringMapOf(node) : string.Empty;
        fields["data"] = MapOrEmpty(obj["data"]);
        if (kind == "Secret")
        {
            fields["type"] = Resource.Str(obj, "type");
            if (obj["stringData"] is JsonObject)
            {
                fields["stringData"] = StringMapOf(obj["stringData"]);
            }
        }
        else if (obj["binaryData"] is JsonObject)
        {
            fields["binaryData"] = StringMapOf(obj["binaryData"]);
        }

        var sb = new StringBuilder();
        WriteGoJson(sb, fields);
        var hex = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
        var chars = hex[..10].ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = chars[i] switch
            {
                '0' => 'g',
                '1' => 'h',
                '3' => 'k',
                'a' => 'm',
                'e' => 't',
                var c => c,
            };
        }

        return new string(chars);
    }

    private static SortedDictionary<string, object> StringMapOf(JsonNode? node)
    {
        var d = new SortedDictionary<string, object>(StringComparer.Ordinal);
        if (node is JsonObject o)
        {
            foreach (var (k, v) in o)
            {
                d[k] = v is JsonValue jv ? YamlReader.ScalarText(jv) : string.Empty;
            }
        }

        return d;
    }

    /// <summary>Go encoding/json output for maps of strings: sorted keys, no spaces, &lt; &gt; &amp; U+2028 U+2029 escaped.</summary>
    private static void WriteGoJson(StringBuilder sb, object value)
    {
        if (value is SortedDictionary<string, object> map)
        {
            sb.Append('{');
            var first = true;
            foreach (var (k, v) in map)
            {
                if (!first)
                {
                    sb.Append(',');
                }

                first = false;
                WriteGoString(sb, k);
                sb.Append(':');
                WriteGoJson(sb, v);
            }

            sb.Append('}');
            return;
        }

        WriteGoString(sb, (string)value);
    }

    private static void WriteGoString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '<': sb.Append("\\u003c"); break;
                case '>': sb.Append("\\u003e"); break;
                case '&': sb.Append("\\u0026"); break;
                case '\u2028': sb.Append("\\u2028"); break;
                case '\u2029': sb.Append("\\u2029"); break;
                default:
                    if (c < 0x20)
                    {
                        sb.Append("\\u00").Append(((int)c).ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        sb.Append('"');
    }
}
