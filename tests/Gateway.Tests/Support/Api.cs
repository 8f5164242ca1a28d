using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Fleet.Gateway.Tests.Support;

/// <summary>Small helpers for calling the API in tests: JSON bodies, problem+json answers.</summary>
public static class Api
{
    public static StringContent Json(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");

    public static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    /// <summary>Asserts the status and that the answer is problem+json; returns it.</summary>
    public static async Task<JsonObject> ProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>Asserts the status; returns the JSON answer.</summary>
    public static async Task<JsonObject> JsonAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>A Cluster body (JSON) that never reaches a real server.</summary>
    public static JsonObject Cluster(string name, string server = "https://127.0.0.1:1") => new()
    {
        ["apiVersion"] = "fleet.dev/v1",
        ["kind"] = "Cluster",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = new JsonObject { ["server"] = server, ["paused"] = true },
    };
}
