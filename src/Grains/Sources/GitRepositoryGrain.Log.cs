using Microsoft.Extensions.Logging;

namespace Fleet.Grains.Sources;

internal sealed partial class GitRepositoryGrain
{
    [LoggerMessage(EventId = 4101, Level = LogLevel.Debug, Message = "GitRepository {Source}: fetched {Revision} (new artifact: {Packed})")]
    private static partial void LogFetched(ILogger logger, string source, string revision, bool packed);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "GitRepository {Source}: fetch failed ({Reason}): {Message}")]
    private static partial void LogFetchFailed(ILogger logger, string source, string reason, string message);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Debug, Message = "GitRepository {Source} is suspended: not fetched")]
    private static partial void LogSuspended(ILogger logger, string source);
}
