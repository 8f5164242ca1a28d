using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Fleet.KubeSim.Tests.Differential;

/// <summary>
/// Sends a scenario's requests to one server and records each answer (status, Warning headers, body) after
/// normalising what legitimately differs between two servers: uids, timestamps, resourceVersions, generated
/// name suffixes and allocated cluster IPs (checked to lie in 10.0.0.0/24, then masked).
/// </summary>
public sealed partial class DiffSession(HttpClient http)
{
    private readonly Dictionary<string, string> _generated = [];

    public List<string> Log { get; } = [];

    /// <summary>Sends one request, records the normalised answer, returns the answer's JSON as received.</summary>
    public async Task<JsonNode?> Send(string method, string path, string? body = null, string? contentType = null,
        Func<JsonNode?, JsonNode?>? project = null, string? accept = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path.TrimStart('/'));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType ?? "application/json");
        }

        request.Headers.TryAddWithoutValidation("Accept", accept ?? "application/json");
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        JsonNode? json = text.Length > 0 && text[0] is '{' or '[' ? JsonNode.Parse(text) : null;
        var warnings = response.Headers.TryGetValues("Warning", out var w) ? string.Join(" | ", w) : string.Empty;
        var shown = project is null ? json?.DeepClone() : project(json?.DeepClone());
        Log.Add($"{method} {path} -> {(int)response.StatusCode}{(warnings.Length > 0 ? $"\nwarnings: {warnings}" : string.Empty)}\n{(shown is null ? text.Trim() : Canonical(Normalize(shown)))}");
        return json;
    }

    public Task<JsonNode?> Apply(string path, string body, string manager, bool force = false) =>
        Send("PATCH", $"{path}{(path.Contains('?') ? '&' : '?')}fieldManager={manager}{(force ? "&force=true" : string.Empty)}", body, "application/apply-patch+yaml");

    /// <summary>Opens a watch and records its first <paramref name="count"/> events.</summary>
    public async Task Watch(string path, int count)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path.TrimStart('/'));
        request.Headers.TryAddWithoutValidation("Accept", "application/json");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Log.Add($"WATCH {ResourceVersionParameter().Replace(path, "resourceVersion=<rv>")} -> {(int)response.StatusCode}");
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
        for (var i = 0; i < count; i++)
        {
            var line = await reader.ReadLineAsync(cts.Token);
            if (line is null)
            {
                Log.Add("(stream ended)");
                return;
            }

            Log.Add(Canonical(Normalize(JsonNode.Parse(line))));
        }
    }

    private JsonNode? Normalize(JsonNode? node, string key = "")
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (k, v) in o.ToList())
                {
                    var masked = Mask(k, v, o);
                    if (masked is not null)
                    {
                        o[k] = masked;
                    }
                    else
                    {
                        Normalize(v, k);
                    }
                }

                break;
            case JsonArray a when key == "managedFields":
                // Entries are ordered by time in seconds, which the two servers cross at different moments:
                // compare them in an order that does not depend on the clock.
                var entries = a.Select(e => Normalize(e?.DeepClone(), string.Empty)).OrderBy(e => $"{e?["operation"]}|{e?["manager"]}|{e?["subresource"]}", StringComparer.Ordinal).ToList();
                a.Clear();
                foreach (var e in entries)
                {
                    a.Add(e);
                }

                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    if (key == "clusterIPs" && a[i] is JsonValue ip)
                    {
                        a[i] = MaskIp(ip.GetValue<string>());
                    }
                    else
                    {
                        Normalize(a[i], key);
                    }
                }

                break;
        }

        return node;
    }

    private JsonNode? Mask(string key, JsonNode? value, JsonObject parent)
    {
        if (key == "nodePort" && value is JsonValue port && port.TryGetValue<int>(out var n))
        {
            return n is >= 30000 and <= 32767 ? "<30000-32767>" : null;
        }

        if (value is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
        {
            return null;
        }

        var s = v.GetValue<string>();
        return key switch
        {
            "uid" or "resourceVersion" or "continue" => $"<{key}>",
            "creationTimestamp" or "deletionTimestamp" or "time" or "lastTransitionTime" or "lastUpdateTime" => "<time>",
            "clusterIP" when s != "None" => MaskIp(s),
            "name" when parent.ContainsKey("generateName") => GeneratedName(parent["generateName"]!.GetValue<string>(), s),
            _ when Uuid().IsMatch(s) => "<uid>",
            _ => Timestamp().IsMatch(s) ? Timestamp().Replace(s, "<time>") : null,
        };
    }

    private static string MaskIp(string ip) =>
        IpInServiceRange().IsMatch(ip) ? "<10.0.0.0/24>" : ip;

    private string GeneratedName(string prefix, string name)
    {
        if (!_generated.TryGetValue(name, out var masked))
        {
            masked = $"{prefix}<{_generated.Count}:{name.Length - prefix.Length}>";
            _generated[name] = masked;
        }

        return masked;
    }

    /// <summary>JSON with every object's keys sorted, indented, so two answers compare as text with readable diffs.</summary>
    public static string Canonical(JsonNode? node)
    {
        static JsonNode? Sort(JsonNode? n) => n switch
        {
            JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Sort(p.Value?.DeepClone())))),
            JsonArray a => new JsonArray(a.Select(x => Sort(x?.DeepClone())).ToArray()),
            _ => n?.DeepClone(),
        };

        return Sort(node)?.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) ?? "null";
    }

    [GeneratedRegex(@"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
    private static partial Regex Uuid();

    [GeneratedRegex(@"resourceVersion=\d+")]
    private static partial Regex ResourceVersionParameter();

    [GeneratedRegex(@"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")]
    private static partial Regex Timestamp();

    [GeneratedRegex(@"^10\.0\.0\.([1-9]|[1-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-4])$")]
    private static partial Regex IpInServiceRange();
}
