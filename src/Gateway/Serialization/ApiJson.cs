using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fleet.Gateway.Serialization;

/// <summary>How the API writes JSON: readable (no escaping of quotes or non-ASCII); responses are never embedded in HTML.</summary>
internal static class ApiJson
{
    public static readonly JsonSerializerOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Write(JsonNode node) => node.ToJsonString(Options);
}

internal static class ApiJsonExtensions
{
    public static string ToApiJson(this JsonNode node) => ApiJson.Write(node);
}
