using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Fleet.KubeSim.Tests.Support;

/// <summary>A thin HTTP client for one virtual cluster, returning status codes and parsed JSON.</summary>
public sealed class KubeClient : IDisposable
{
    private readonly HttpClient _http;

    public KubeClient(Uri clusterUri, string token, string name)
    {
        Name = name;
        _http = new HttpClient { BaseAddress = new Uri(clusterUri + "/"), Timeout = TimeSpan.FromSeconds(30) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("kubesim-tests/1.0");
    }

    public string Name { get; }

    public HttpClient Http => _http;

    public sealed record Result(HttpStatusCode Status, JsonNode? Body, string Text)
    {
        public JsonObject Obj => Body as JsonObject ?? throw new InvalidOperationException($"not an object: {Text}");

        public string? Str(string path) => Node(path)?.GetValue<string>();

        public JsonNode? Node(string path)
        {
            JsonNode? n = Body;
            foreach (var part in path.Split('.'))
            {
                n = int.TryParse(part, out var i) && n is JsonArray a ? (i < a.Count ? a[i] : null) : n?[part];
            }

            return n;
        }
    }

    public Task<Result> Get(string path, string? accept = null) => Send(HttpMethod.Get, path, null, null, accept);

    public Task<Result> Post(string path, string body, string contentType = "application/json") => Send(HttpMethod.Post, path, body, contentType);

    public Task<Result> Put(string path, string body) => Send(HttpMethod.Put, path, body, "application/json");

    public Task<Result> Patch(string path, string body, string contentType) => Send(HttpMethod.Patch, path, body, contentType);

    public Task<Result> Apply(string path, string body, string manager = "test", bool force = false) =>
        Send(HttpMethod.Patch, $"{path}{(path.Contains('?') ? '&' : '?')}fieldManager={manager}{(force ? "&force=true" : string.Empty)}", body, "application/apply-patch+yaml");

    public Task<Result> Delete(string path, string? body = null) => Send(HttpMethod.Delete, path, body, body is null ? null : "application/json");

    public async Task<Result> Send(HttpMethod method, string path, string? body, string? contentType, string? accept = null)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType ?? "application/json");
        }

        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        JsonNode? json = null;
        if (text.Length > 0 && (text[0] == '{' || text[0] == '['))
        {
            json = JsonNode.Parse(text);
        }

        return new Result(response.StatusCode, json, text);
    }

    /// <summary>Polls until <paramref name="condition"/> holds or the deadline passes (no fixed sleeps).</summary>
    public async Task<Result> WaitFor(string path, Func<Result, bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var r = await Get(path);
            if (condition(r))
            {
                return r;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"condition on {path} not met; last answer {(int)r.Status}: {r.Text}");
            }

            await Task.Delay(25);
        }
    }

    public void Dispose() => _http.Dispose();
}
