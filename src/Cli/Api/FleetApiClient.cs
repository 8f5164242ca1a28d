using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fleet.Cli.Api;

/// <summary>
/// The Fleet REST API as the CLI calls it: one place for the server URL, the bearer token and the translation of
/// problem+json answers into one readable message (with each field path) and an exit code.
/// </summary>
internal sealed class FleetApiClient : IDisposable
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(60);
    private readonly HttpClient _http;

    public FleetApiClient(Uri server, string? token, HttpMessageHandler? handler = null)
    {
        Server = server;
        _http = new HttpClient(handler ?? new HttpClientHandler(), disposeHandler: true)
        {
            BaseAddress = new Uri(server.AbsoluteUri.TrimEnd('/') + "/"),
            // Watches stay open; every other request has its own deadline.
            Timeout = Timeout.InfiniteTimeSpan,
        };
        if (!string.IsNullOrEmpty(token))
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("fleet-cli");
    }

    public Uri Server { get; }

    /// <summary>What a 401 answer's message advises; null for the API token's advice (log in, or pass --token).</summary>
    public string? UnauthorizedHint { get; init; }

    /// <summary><c>api/v1/namespaces/{ns}/{plural}[/{name}[/{sub}]]</c> with each segment escaped; <paramref name="ns"/> null for every namespace.</summary>
    public static string ResourcePath(string plural, string? ns, string? name = null, string? sub = null)
    {
        var path = new StringBuilder("api/v1/");
        if (ns is not null)
        {
            path.Append("namespaces/").Append(Uri.EscapeDataString(ns)).Append('/');
        }
        path.Append(Uri.EscapeDataString(plural));
        if (name is not null)
        {
            path.Append('/').Append(Uri.EscapeDataString(name));
        }
        if (sub is not null)
        {
            path.Append('/').Append(sub);
        }
        return path.ToString();
    }

    /// <summary>A query string of the given parameters that have a value.</summary>
    public static string Query(params (string Key, string? Value)[] parameters)
    {
        var parts = parameters.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value!)}").ToList();
        return parts.Count == 0 ? "" : "?" + string.Join('&', parts);
    }

    public Task<JsonNode> GetAsync(string path, CancellationToken ct) => SendAsync(HttpMethod.Get, path, null, null, ct);

    public Task<JsonNode> DeleteAsync(string path, CancellationToken ct) => SendAsync(HttpMethod.Delete, path, null, null, ct);

    public Task<JsonNode> PostJsonAsync(string path, JsonNode? body, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, path, body?.ToJsonString() ?? "{}", "application/json", ct);

    public Task<JsonNode> PostYamlAsync(string path, string yaml, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, path, yaml, "application/yaml", ct);

    /// <summary>Sends one request and returns its JSON answer; throws <see cref="CliException"/> for an error answer or no answer.</summary>
    public async Task<JsonNode> SendAsync(HttpMethod method, string path, string? body, string? contentType, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(RequestTimeout);
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, contentType ?? "application/json");
        }
        using var response = await SendRawAsync(request, HttpCompletionOption.ResponseContentRead, deadline.Token, ct);
        var text = await response.Content.ReadAsStringAsync(deadline.Token);
        if (!response.IsSuccessStatusCode)
        {
            throw Failure(method, path, response, text, UnauthorizedHint);
        }
        try
        {
            return JsonNode.Parse(text) ?? new JsonObject();
        }
        catch (JsonException)
        {
            throw new CliException($"{method} {path}: the server answered {(int)response.StatusCode} with a body that is not JSON");
        }
    }

    /// <summary>Reads a server-sent event stream (<c>watch=true</c>) until the server ends it or <paramref name="ct"/> is cancelled.</summary>
    public async IAsyncEnumerable<(string Event, JsonNode Data)> StreamAsync(string path, [EnumeratorCancellation] CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var response = await SendRawAsync(request, HttpCompletionOption.ResponseHeadersRead, ct, ct);
        if (!response.IsSuccessStatusCode)
        {
            throw Failure(HttpMethod.Get, path, response, await response.Content.ReadAsStringAsync(ct));
        }
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
        var name = "message";
        var data = new StringBuilder();
        while (await ReadLineAsync(reader, ct) is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Length > 0)
                {
                    yield return (name, JsonNode.Parse(data.ToString()) ?? new JsonObject());
                }
                name = "message";
                data.Clear();
            }
            else if (line.StartsWith("event:", StringComparison.Ordinal))
            {
                name = line[6..].Trim();
            }
            else if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                data.Append(line[5..].TrimStart());
            }
        }
    }

    private static async Task<string?> ReadLineAsync(StreamReader reader, CancellationToken ct)
    {
        try
        {
            return await reader.ReadLineAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    private async Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken token, CancellationToken caller)
    {
        try
        {
            return await _http.SendAsync(request, completion, token);
        }
        catch (HttpRequestException ex)
        {
            throw new CliException($"cannot reach the Fleet server at {Server}: {ex.Message}");
        }
        catch (OperationCanceledException) when (!caller.IsCancellationRequested)
        {
            throw new CliException($"{request.Method} {request.RequestUri}: no answer from {Server} within {RequestTimeout.TotalSeconds:0}s");
        }
    }

    /// <summary>An error answer as one message: the problem's detail, then each field path and what is wrong there.</summary>
    internal static CliException Failure(HttpMethod method, string path, HttpResponseMessage response, string body, string? unauthorizedHint = null)
    {
        var status = (int)response.StatusCode;
        ProblemDetails? problem = null;
        try
        {
            problem = JsonSerializer.Deserialize(body, CliJsonContext.Default.ProblemDetails);
        }
        catch (JsonException)
        {
            // Not problem+json (a proxy's page, an empty body): the status says what happened.
        }
        var message = new StringBuilder();
        message.Append(problem?.Detail is { Length: > 0 } detail ? detail : $"{method} /{path.Split('?')[0]}: {status} {response.ReasonPhrase}");
        foreach (var error in problem?.Errors ?? [])
        {
            message.Append("\n  ").Append(error.Field).Append(": ").Append(error.Message);
        }
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            message.Append("\n  (").Append(unauthorizedHint ?? "run 'fleet login' or pass --token / FLEET_TOKEN").Append(')');
        }
        var code = response.StatusCode switch
        {
            HttpStatusCode.NotFound => CliHost.NotFound,
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => CliHost.NotAuthorized,
            _ => CliHost.Failure,
        };
        return new CliException(message.ToString(), code) { Status = response.StatusCode };
    }

    public void Dispose() => _http.Dispose();
}
