using Fleet.Gateway.Serialization;
using System.Text.Json.Nodes;
using Fleet.Abstractions.Resources;
using Fleet.Gateway.Services;

namespace Fleet.Gateway.Apis;

/// <summary>ProblemDetails-style errors (RFC 9457) that name what is wrong.</summary>
internal static class Problems
{
    /// <summary>The REST form of a service failure.</summary>
    public static IResult From(ApiException ex) => ex.Kind switch
    {
        ApiErrorKind.Invalid => Json(StatusCodes.Status422UnprocessableEntity, "Invalid", ex.Message, FieldList(ex.Fields)),
        ApiErrorKind.BadRequest => BadRequest(ex.Message),
        ApiErrorKind.NotFound => NotFound(ex.Message),
        ApiErrorKind.AlreadyExists or ApiErrorKind.Conflict => Conflict(ex.Message),
        ApiErrorKind.Unauthenticated => Unauthorized(ex.Message),
        ApiErrorKind.Forbidden => Forbidden(ex.Message),
        ApiErrorKind.NotAllowed => MethodNotAllowed(ex.Message),
        ApiErrorKind.TooLarge => TooLarge(ex.Message),
        ApiErrorKind.Gone => Json(StatusCodes.Status410Gone, "Gone", ex.Message),
        _ => Status(StatusCodes.Status500InternalServerError, ex.Message),
    };

    public static IResult BadRequest(string detail) => Json(StatusCodes.Status400BadRequest, "Bad Request", detail);

    public static IResult NotFound(string detail) => Json(StatusCodes.Status404NotFound, "Not Found", detail);

    public static IResult Conflict(string detail) => Json(StatusCodes.Status409Conflict, "Conflict", detail);

    public static IResult MethodNotAllowed(string detail) => Json(StatusCodes.Status405MethodNotAllowed, "Method Not Allowed", detail);

    public static IResult Unauthorized(string detail) => Json(StatusCodes.Status401Unauthorized, "Unauthorized", detail);

    public static IResult ServiceUnavailable(string detail) => Json(StatusCodes.Status503ServiceUnavailable, "Service Unavailable", detail);

    public static IResult Status(int status, string detail) =>
        Json(status, Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status), detail);

    public static IResult Forbidden(string detail) => Json(StatusCodes.Status403Forbidden, "Forbidden", detail);

    public static IResult UnsupportedMediaType(string detail) => Json(StatusCodes.Status415UnsupportedMediaType, "Unsupported Media Type", detail);

    public static IResult TooLarge(string detail) => Json(StatusCodes.Status413PayloadTooLarge, "Payload Too Large", detail);

    private static JsonArray FieldList(IReadOnlyList<FieldError> errors)
    {
        var list = new JsonArray();
        foreach (var e in errors)
        {
            list.Add(new JsonObject { ["field"] = e.Field, ["message"] = e.Message });
        }
        return list;
    }

    private static IResult Json(int status, string title, string detail, JsonArray? errors = null)
    {
        var body = new JsonObject
        {
            ["type"] = $"https://httpstatuses.io/{status}",
            ["title"] = title,
            ["status"] = status,
            ["detail"] = detail,
        };
        if (errors is not null)
        {
            body["errors"] = errors;
        }
        return Results.Text(body.ToApiJson(), "application/problem+json", statusCode: status);
    }
}
