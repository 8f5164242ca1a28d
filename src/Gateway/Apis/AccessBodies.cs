using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fleet.Abstractions.Resources;
using Fleet.Gateway.Resources;
using Fleet.Gateway.Services;
using Fleet.Store;

namespace Fleet.Gateway.Apis;

/// <summary>
/// The bodies of the token and registration endpoints (JSON or YAML): read field by field so that an unknown or
/// mistyped field is refused with its name, as everywhere in the API; and the JSON shapes of tokens, which carry
/// the secret only in the answer to a create.
/// </summary>
internal static class AccessBodies
{
    /// <summary>The request body as an object whose fields are all among <paramref name="allowed"/>.</summary>
    public static async Task<JsonObject> ReadAsync(HttpRequest request, string[] allowed, CancellationToken ct)
    {
        var (body, error) = await RequestReader.ParseBodyAsync(request, ct);
        if (body is null)
        {
            throw new ApiException(error!.Contains("larger than", StringComparison.Ordinal) ? ApiErrorKind.TooLarge : ApiErrorKind.BadRequest, error);
        }
        var unknown = body.Select(p => p.Key).Where(k => !allowed.Contains(k, StringComparer.Ordinal)).Select(k => new FieldError(k, $"unknown field (known: {string.Join(", ", allowed)})")).ToList();
        if (unknown.Count > 0)
        {
            throw new ApiException(ApiErrorKind.Invalid, $"unknown field{(unknown.Count > 1 ? "s" : "")}: {string.Join(", ", unknown.Select(u => u.Field))}", unknown);
        }
        return body;
    }

    public static string? String(JsonObject body, string field) => body[field] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => throw Invalid(field, "must be a string"),
    };

    public static int? Int(JsonObject body, string field) => body[field] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var i) => i,
        JsonValue v when v.GetValueKind() == JsonValueKind.String && int.TryParse(v.GetValue<string>(), NumberStyles.None, CultureInfo.InvariantCulture, out var i) => i,
        _ => throw Invalid(field, "must be a whole number"),
    };

    /// <summary>A Go-style duration (<c>720h</c>, <c>30m</c>).</summary>
    public static TimeSpan? Duration(JsonObject body, string field)
    {
        var text = String(body, field);
        if (text is null)
        {
            return null;
        }
        return GoDuration.TryParse(text, out var d) ? d : throw Invalid(field, $"\"{text}\" is not a duration (e.g. 720h, 30m)");
    }

    public static IReadOnlyList<string>? List(JsonObject body, string field) => body[field] switch
    {
        null => null,
        JsonArray a => a.Select((n, i) => n is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : throw Invalid($"{field}[{i}]", "must be a string")).ToList(),
        _ => throw Invalid(field, "must be a list of strings"),
    };

    public static IReadOnlyDictionary<string, string>? Map(JsonObject body, string field) => body[field] switch
    {
        null => null,
        JsonObject o => o.ToDictionary(p => p.Key, p => p.Value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : throw Invalid($"{field}.{p.Key}", "must be a string"), StringComparer.Ordinal),
        _ => throw Invalid(field, "must be a map of strings"),
    };

    public static JsonObject ApiToken(ApiTokenRecord t, DateTimeOffset now, string? secret = null)
    {
        var json = new JsonObject
        {
            ["kind"] = "ApiToken",
            ["name"] = t.Name,
            ["id"] = t.Id,
            ["role"] = t.Role,
            ["namespaces"] = t.Namespaces is null ? null : new JsonArray(t.Namespaces.Select(n => (JsonNode?)n).ToArray()),
            ["expiresAt"] = Time(t.ExpiresAt),
            ["revokedAt"] = Time(t.RevokedAt),
            ["active"] = t.IsActive(now),
            ["createdBy"] = t.CreatedBy,
            ["createdAt"] = Time(t.CreatedAt),
        };
        if (secret is not null)
        {
            json["token"] = secret;
        }
        return json;
    }

    public static JsonObject RegistrationToken(RegistrationTokenRecord t, DateTimeOffset now, string? secret = null)
    {
        var labels = new JsonObject();
        foreach (var (k, v) in t.ClusterLabels)
        {
            labels[k] = v;
        }
        var json = new JsonObject
        {
            ["kind"] = "RegistrationToken",
            ["namespace"] = t.Namespace,
            ["name"] = t.Name,
            ["id"] = t.Id,
            ["clusterLabels"] = labels,
            ["maxUses"] = t.MaxUses,
            ["uses"] = t.Uses,
            ["expiresAt"] = Time(t.ExpiresAt),
            ["revokedAt"] = Time(t.RevokedAt),
            ["usable"] = t.IsUsable(now),
            ["createdBy"] = t.CreatedBy,
            ["createdAt"] = Time(t.CreatedAt),
        };
        if (secret is not null)
        {
            json["token"] = secret;
        }
        return json;
    }

    public static string? Time(DateTimeOffset? t) => t?.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    private static ApiException Invalid(string field, string message) =>
        new(ApiErrorKind.Invalid, $"{field}: {message}", [new FieldError(field, message)]);
}
