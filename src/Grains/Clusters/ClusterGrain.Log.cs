using Fleet.Grains.Common;
using Microsoft.Extensions.Logging;

namespace Fleet.Grains.Clusters;

internal sealed partial class ClusterGrain
{
    [LoggerMessage(EventId = GrainEventIds.ClusterProbed, Level = LogLevel.Debug, Message = "Cluster {Cluster} probed: {Reason}")]
    private static partial void LogProbed(ILogger logger, string cluster, string reason);
}
