using Microsoft.Extensions.Logging;

namespace Fleet.Kubernetes;

internal static partial class Log
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Debug, Message = "Retrying {Operation} on {Server} after {Reason} (attempt {Attempt}, waiting {DelayMs} ms)")]
    public static partial void Retrying(ILogger logger, string operation, Uri server, string reason, int attempt, long delayMs);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Debug, Message = "Discovered {Count} resources in {GroupVersion} on {Server}")]
    public static partial void Discovered(ILogger logger, int count, string groupVersion, Uri server);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "TLS: certificate of {Server} rejected: {Reason}")]
    public static partial void CertificateRejected(ILogger logger, Uri server, string reason);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Information, Message = "{Object} {Action}")]
    public static partial void Changed(ILogger logger, ObjectRef @object, ChangeAction action);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Warning, Message = "{Object}: {Error}")]
    public static partial void ObjectFailed(ILogger logger, ObjectRef @object, string error);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Debug, Message = "Health watch of {Kind} in {Namespace} interrupted: {Reason}; retrying with back-off")]
    public static partial void WatchFallback(ILogger logger, string kind, string? @namespace, string reason);
}
