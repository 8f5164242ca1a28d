using Fleet.Grains.Common;
using Microsoft.Extensions.Logging;

namespace Fleet.Grains.Sources;

internal sealed partial class GitRepositoryGrain
{
    [LoggerMessage(EventId = GrainEventIds.SourceFetched, Level = LogLevel.Debug, Message = "GitRepository {Source}: fetched {Revision} (new artifact: {Packed})")]
    private static partial void LogFetched(ILogger logger, string source, string revision, bool packed);

    [LoggerMessage(EventId = GrainEventIds.SourceFetchFailed, Level = LogLevel.Debug, Message = "GitRepository {Source}: fetch failed ({Reason})")]
    private static partial void LogFetchFailed(ILogger logger, string source, string reason);

    [LoggerMessage(EventId = GrainEventIds.SourceSuspended, Level = LogLevel.Debug, Message = "GitRepository {Source} is suspended: not fetched")]
    private static partial void LogSuspended(ILogger logger, string source);
}
