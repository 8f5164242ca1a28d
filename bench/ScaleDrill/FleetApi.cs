using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Fleet.Bench.ScaleDrill;

/// <summary>Fleet's REST API as a user drives it: YAML in, JSON out, one namespace.</summary>
internal sealed class FleetApi(Uri gateway, string ns) : IDisposable
{
    private readonly HttpClient _http = new()
    {
        BaseAddress = gateway,
        Timeout = TimeSpan.FromSeconds(100),
        DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", Fleet.TestSupport.TestTokens.Admin) },
    };

    public string Namespace => ns;

    public Uri Gateway => gateway;

    /// <summary>PUT of an object; throws naming the object and the answer unless it is acknowledged (200 or 201).</summary>
    public async Task PutAsync(string plural, string name, string yaml)
    {
        using var content = new StringContent(yaml, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/yaml");
        using var response = await _http.PutAsync($"api/v1/namespaces/{ns}/{plural}/{name}", content);
        if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.Created))
        {
            throw new HttpRequestException($"PUT {plural}/{name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}", null, response.StatusCode);
        }
    }

    /// <summary>PUTs many objects, <paramref name="parallel"/> at a time.</summary>
    public Task PutAllAsync(string plural, IEnumerable<(string Name, string Yaml)> objects, int parallel = 16) =>
        Parallel.ForEachAsync(objects, new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (o, _) => await PutAsync(plural, o.Name, o.Yaml));

    /// <summary>An object, or null when it does not exist.</summary>
    public async Task<JsonObject?> GetAsync(string plural, string name)
    {
        using var response = await _http.GetAsync($"api/v1/namespaces/{ns}/{plural}/{name}");
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    /// <summary>Every object of a kind in the namespace.</summary>
    public async Task<List<JsonObject>> ListAsync(string plural)
    {
        var list = JsonNode.Parse(await _http.GetStringAsync($"api/v1/namespaces/{ns}/{plural}"))!;
        return list["items"]!.AsArray().Select(i => i!.AsObject()).ToList();
    }

    /// <summary>Calls a Receiver's webhook, as a Git host would after a push.</summary>
    public async Task PostHookAsync(string webhookPath)
    {
        using var content = new StringContent("{\"ref\":\"refs/heads/main\"}", Encoding.UTF8, "application/json");
        using var response = await _http.PostAsync(webhookPath.TrimStart('/'), content);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"POST {webhookPath}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    /// <summary>The status of a condition (<c>True</c>, <c>False</c>, <c>Unknown</c>) of an object, or null.</summary>
    public static string? Condition(JsonObject? o, string type) =>
        o?["status"]?["conditions"]?.AsArray().FirstOrDefault(c => c?["type"]?.GetValue<string>() == type)?["status"]?.GetValue<string>();

    public static string? Field(JsonObject? o, string field) => o?["status"]?[field]?.GetValue<string>();

    public void Dispose() => _http.Dispose();
}
