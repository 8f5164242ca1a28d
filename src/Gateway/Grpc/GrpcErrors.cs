using Fleet.Gateway.Services;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;

namespace Fleet.Gateway.Grpc;

/// <summary>The gRPC form of a service failure: a status code, and for invalid objects a google.rpc.BadRequest naming each field.</summary>
internal static class GrpcErrors
{
    public static StatusCode CodeOf(ApiErrorKind kind) => kind switch
    {
        ApiErrorKind.BadRequest or ApiErrorKind.Invalid => StatusCode.InvalidArgument,
        ApiErrorKind.NotFound => StatusCode.NotFound,
        ApiErrorKind.AlreadyExists => StatusCode.AlreadyExists,
        ApiErrorKind.Conflict => StatusCode.Aborted,
        ApiErrorKind.Unauthenticated => StatusCode.Unauthenticated,
        ApiErrorKind.Forbidden => StatusCode.PermissionDenied,
        ApiErrorKind.NotAllowed => StatusCode.FailedPrecondition,
        ApiErrorKind.TooLarge => StatusCode.ResourceExhausted,
        ApiErrorKind.Gone => StatusCode.OutOfRange,
        _ => StatusCode.Internal,
    };

    /// <summary>The status REST answers the same failure with (for the audit log, which records HTTP statuses).</summary>
    public static int HttpStatusOf(ApiErrorKind kind) => kind switch
    {
        ApiErrorKind.BadRequest => StatusCodes.Status400BadRequest,
        ApiErrorKind.Invalid => StatusCodes.Status422UnprocessableEntity,
        ApiErrorKind.NotFound => StatusCodes.Status404NotFound,
        ApiErrorKind.AlreadyExists or ApiErrorKind.Conflict => StatusCodes.Status409Conflict,
        ApiErrorKind.Unauthenticated => StatusCodes.Status401Unauthorized,
        ApiErrorKind.Forbidden => StatusCodes.Status403Forbidden,
        ApiErrorKind.NotAllowed => StatusCodes.Status405MethodNotAllowed,
        ApiErrorKind.TooLarge => StatusCodes.Status413PayloadTooLarge,
        ApiErrorKind.Gone => StatusCodes.Status410Gone,
        _ => StatusCodes.Status500InternalServerError,
    };

    public static RpcException From(ApiException ex)
    {
        var status = new Google.Rpc.Status { Code = (int)CodeOf(ex.Kind), Message = ex.Message };
        if (ex.Fields.Count > 0)
        {
            var badRequest = new BadRequest();
            foreach (var field in ex.Fields)
            {
                badRequest.FieldViolations.Add(new BadRequest.Types.FieldViolation { Field = field.Field, Description = field.Message });
            }
            status.Details.Add(Any.Pack(badRequest));
        }
        return status.ToRpcException();
    }

    /// <summary>The reason in the <see cref="ErrorInfo"/> of a watch ended for falling behind.</summary>
    public const string WatchTooSlowReason = "WATCH_TOO_SLOW";

    /// <summary>
    /// A watch that fell behind: <c>RESOURCE_EXHAUSTED</c> (its buffer of changes filled), with a
    /// <c>google.rpc.ErrorInfo</c> (domain <c>fleet.dev</c>, reason <see cref="WatchTooSlowReason"/>) whose
    /// <c>resourceVersion</c> metadata is the version to watch again from.
    /// </summary>
    public static RpcException TooSlow(WatchTooSlowException ex)
    {
        var info = new ErrorInfo { Reason = WatchTooSlowReason, Domain = "fleet.dev" };
        info.Metadata["resourceVersion"] = ex.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var status = new Google.Rpc.Status { Code = (int)StatusCode.ResourceExhausted, Message = ex.Message };
        status.Details.Add(Any.Pack(info));
        return status.ToRpcException();
    }

    /// <summary>A request that names no valid kind, field or value: INVALID_ARGUMENT with the one field violation.</summary>
    public static ApiException Invalid(string field, string message) =>
        new(ApiErrorKind.Invalid, $"{field}: {message}", [new Fleet.Abstractions.Resources.FieldError(field, message)]);
}
