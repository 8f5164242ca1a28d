using Microsoft.Extensions.Logging;

namespace Fleet.Sources;

public sealed partial class GitMirror
{
    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Fetched source {SourceKey}: {Revision} in {ElapsedMs:0} ms")]
    private static partial void LogFetched(ILogger logger, string sourceKey, string revision, double elapsedMs);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Fetch of source {SourceKey} failed ({Reason}): {Error}")]
    private static partial void LogFetchFailed(ILogger logger, string sourceKey, string reason, string error);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Information, Message = "Packed source {SourceKey} at {Revision}: {Digest}, {Size} bytes, {Files} files in {ElapsedMs:0} ms")]
    private static partial void LogPacked(ILogger logger, string sourceKey, string revision, string digest, long size, int files, double elapsedMs);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Debug, Message = "Compacted mirror {Mirror}: {Packs} packs into one with {Commits} commits")]
    private static partial void LogCompacted(ILogger logger, string mirror, int packs, int commits);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Warning, Message = "Compacting the mirror of source {SourceKey} failed")]
    private static partial void LogCompactionFailed(ILogger logger, string sourceKey, Exception exception);
}
