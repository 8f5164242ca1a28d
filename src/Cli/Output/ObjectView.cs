using System.Globalization;
using System.Text.Json.Nodes;

namespace Fleet.Cli.Output;

/// <summary>Reads the parts of an API object that tables show, tolerating absent fields.</summary>
internal static class ObjectView
{
    public static string Str(JsonNode? node, params string[] path)
    {
        foreach (var part in path)
        {
            node = node is JsonObject o ? o[part] : null;
        }
        return node is JsonValue v ? v.ToString() : "";
    }

    public static string Name(JsonNode obj) => Str(obj, "metadata", "name");

    public static string Namespace(JsonNode obj) => Str(obj, "metadata", "namespace");

    public static JsonObject? Condition(JsonNode obj, string type) =>
        (obj["status"]?["conditions"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => Str(c, "type") == type);

    /// <summary><c>True</c>, <c>False</c> or <c>Unknown</c> (no status yet).</summary>
    public static string Ready(JsonNode obj) => Condition(obj, "Ready") is { } c ? Str(c, "status") : "Unknown";

    public static string ReadyMessage(JsonNode obj) => Condition(obj, "Ready") is { } c ? Str(c, "message") : "";

    public static string Labels(JsonNode obj) =>
        obj["metadata"]?["labels"] is JsonObject labels && labels.Count > 0
            ? string.Join(',', labels.Select(l => $"{l.Key}={l.Value}"))
            : "<none>";

    /// <summary>Age as kubectl prints it: <c>45s</c>, <c>12m</c>, <c>5h</c>, <c>3d</c>.</summary>
    public static string Age(JsonNode obj, DateTimeOffset now) =>
        DateTimeOffset.TryParse(Str(obj, "metadata", "creationTimestamp"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var created)
            ? Duration(now - created)
            : "<unknown>";

    public static string Duration(TimeSpan span) => span switch
    {
        { TotalSeconds: < 120 } => $"{Math.Max(0, (int)span.TotalSeconds)}s",
        { TotalMinutes: < 120 } => $"{(int)span.TotalMinutes}m",
        { TotalHours: < 48 } => $"{(int)span.TotalHours}h",
        _ => $"{(int)span.TotalDays}d",
    };
}
