using Fleet.Abstractions.Resources;

namespace Fleet.Gateway.Services;

/// <summary>Why an API call failed, independent of the front end: REST maps it to a status and problem+json, gRPC to a status code.</summary>
public enum ApiErrorKind
{
    /// <summary>The request cannot be understood (malformed body, bad selector). REST 400, gRPC INVALID_ARGUMENT.</summary>
    BadRequest,

    /// <summary>The object is invalid; <see cref="ApiException.Fields"/> names each problem. REST 422, gRPC INVALID_ARGUMENT with BadRequest details.</summary>
    Invalid,

    /// <summary>Not there, or not visible to this caller. REST 404, gRPC NOT_FOUND.</summary>
    NotFound,

    /// <summary>Create of an existing object. REST 409, gRPC ALREADY_EXISTS.</summary>
    AlreadyExists,

    /// <summary>A stale resourceVersion. REST 409, gRPC ABORTED.</summary>
    Conflict,

    /// <summary>No or bad credentials. REST 401, gRPC UNAUTHENTICATED.</summary>
    Unauthenticated,

    /// <summary>Visible, but the caller's role does not allow it. REST 403, gRPC PERMISSION_DENIED.</summary>
    Forbidden,

    /// <summary>The kind cannot be changed this way (read-only kinds). REST 405, gRPC FAILED_PRECONDITION.</summary>
    NotAllowed,

    /// <summary>A size or count limit. REST 413, gRPC RESOURCE_EXHAUSTED.</summary>
    TooLarge,

    /// <summary>A watch's resourceVersion is older than the change feed reaches back: list again. REST 410, gRPC OUT_OF_RANGE.</summary>
    Gone,
}

/// <summary>A failed API call with a message that names what is wrong (never a .NET type name, never a secret).</summary>
public sealed class ApiException(ApiErrorKind kind, string detail, IReadOnlyList<FieldError>? fields = null) : Exception(detail)
{
    public ApiErrorKind Kind { get; } = kind;

    /// <summary>For <see cref="ApiErrorKind.Invalid"/>: each problem with its field path.</summary>
    public IReadOnlyList<FieldError> Fields { get; } = fields ?? [];

    public static ApiException NotFound(ResourceKind kind, string ns, string name) =>
        new(ApiErrorKind.NotFound, $"{kind.Kind} {ns}/{name} not found");

    public static ApiException UnknownPlural(string plural) =>
        new(ApiErrorKind.NotFound, $"unknown resource type \"{plural}\"; served: {string.Join(", ", ResourceKinds.All.Select(k => k.Plural))}");
}
