using System.Text.Json.Nodes;

namespace Fleet.Kubernetes;

/// <summary>One cause of a failed request, as the API server lists it in Status.details.causes.</summary>
public sealed record StatusCause(string? Reason, string? Message, string? Field);

/// <summary>The Kubernetes Status object returned with a failed request.</summary>
public sealed record KubeStatus(int Code, string Reason, string Message, IReadOnlyList<StatusCause> Causes)
{
    /// <summary>Parses a Status body; falls back to the HTTP code and the raw text when the body is not a Status.</summary>
    internal static KubeStatus Parse(int httpCode, string? body)
    {
        if (!string.IsNullOrWhiteSpace(body))
        {
            try
            {
                if (JsonNode.Parse(body) is JsonObject o && o.Str("kind") == "Status")
                {
                    var causes = o.Path("details", "causes") is JsonArray a
                        ? a.OfType<JsonObject>().Select(c => new StatusCause(c.Str("reason"), c.Str("message"), c.Str("field"))).ToList()
                        : [];
                    return new KubeStatus((int)(o.Long("code") ?? httpCode), o.Str("reason") ?? DefaultReason(httpCode),
                        o.Str("message") ?? "", causes);
                }
            }
            catch (System.Text.Json.JsonException)
            {
                // Not JSON: a proxy or a non-Kubernetes server answered; keep its text below.
            }
        }
        var text = body is null ? "" : body.Length > 300 ? body[..300] : body;
        return new KubeStatus(httpCode, DefaultReason(httpCode), text.Trim(), []);
    }

    /// <summary>From the library's typed Status (as a watch ERROR event carries it).</summary>
    internal static KubeStatus From(k8s.Models.V1Status status, int httpCode) =>
        new(status.Code ?? httpCode, status.Reason ?? DefaultReason(httpCode), status.Message ?? "",
            [.. (status.Details?.Causes ?? []).Select(c => new StatusCause(c.Reason, c.Message, c.Field))]);

    private static string DefaultReason(int code) => code switch
    {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        409 => "Conflict",
        410 => "Expired",
        415 => "UnsupportedMediaType",
        422 => "Invalid",
        429 => "TooManyRequests",
        500 => "InternalError",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        _ => "Unknown",
    };
}

/// <summary>A request the API server refused; carries the server's Status.</summary>
public sealed class KubeApiException : Exception
{
    public KubeApiException(string operation, KubeStatus status)
        : base(Describe(operation, status)) => Status = status;

    public KubeApiException() : this("request", new KubeStatus(0, "Unknown", "", [])) { }

    public KubeApiException(string message) : base(message) => Status = new KubeStatus(0, "Unknown", message, []);

    public KubeApiException(string message, Exception inner) : base(message, inner) => Status = new KubeStatus(0, "Unknown", message, []);

    public KubeStatus Status { get; }

    public int Code => Status.Code;

    /// <summary>The server's answer without the operation: "422 Invalid: ...", for messages that name the object already.</summary>
    public string StatusText => Status.Code == 0 ? Message : Describe(null, Status);

    private static string Describe(string? operation, KubeStatus status)
    {
        var text = operation is null ? $"{status.Code} {status.Reason}" : $"{operation}: {status.Code} {status.Reason}";
        if (status.Message.Length > 0)
        {
            text += $": {status.Message}";
        }
        return text;
    }
}

/// <summary>Connection settings or a kubeconfig that cannot be used, with what is wrong and where.</summary>
public sealed class ClusterConnectionException : Exception
{
    public ClusterConnectionException() { }

    public ClusterConnectionException(string message) : base(message) { }

    public ClusterConnectionException(string message, Exception inner) : base(message, inner) { }
}
