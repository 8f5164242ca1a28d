using Microsoft.Extensions.Logging;

namespace Fleet.Runtime.Diagnostics;

/// <summary>The runtime's log messages.</summary>
internal sealed partial class RuntimeLog(ILogger logger)
{
    private readonly ILogger _logger = logger;

    [LoggerMessage(1, LogLevel.Error, "Turn of grain {GrainType}/{Key} failed")]
    public partial void TurnFailed(string grainType, string key, Exception ex);

    [LoggerMessage(2, LogLevel.Error, "Activation of grain {GrainType}/{Key} failed")]
    public partial void ActivationFailed(string grainType, string key, Exception ex);

    [LoggerMessage(3, LogLevel.Warning, "Deactivation of grain {GrainType}/{Key} failed")]
    public partial void DeactivationFailed(string grainType, string key, Exception ex);

    [LoggerMessage(4, LogLevel.Warning, "Storage unavailable ({Operation}): {Error}; retrying in {Delay}")]
    public partial void StorageRetry(string operation, string error, TimeSpan delay);

    [LoggerMessage(5, LogLevel.Information, "Silo {SiloId} started with {Storage}, {PartitionCount} partitions")]
    public partial void SiloStarted(string siloId, string storage, int partitionCount);

    [LoggerMessage(6, LogLevel.Information, "Silo {SiloId} stopped; {Count} activations deactivated")]
    public partial void SiloStopped(string siloId, int count);

    [LoggerMessage(7, LogLevel.Error, "Cannot open storage {Storage} (attempt {Attempt}): {Error}; retrying in {Delay}")]
    public partial void StorageStartRetry(string storage, int attempt, string error, TimeSpan delay);

    [LoggerMessage(8, LogLevel.Debug, "Tell to {GrainType}/{Key} dropped: partition {Partition} has no live owner (its reminder covers it)")]
    public partial void TellDropped(string grainType, string key, int partition);

    [LoggerMessage(9, LogLevel.Warning, "Remote tell refused: {Reason}")]
    public partial void RemoteTellRefused(string reason);

    [LoggerMessage(10, LogLevel.Error, "Background loop {Loop} failed")]
    public partial void LoopFailed(string loop, Exception ex);

    [LoggerMessage(11, LogLevel.Information, "Silo {SiloId} acquired partitions {Partitions}")]
    public partial void PartitionsAcquired(string siloId, string partitions);

    [LoggerMessage(12, LogLevel.Warning, "Silo {SiloId} lost partitions {Partitions}")]
    public partial void PartitionsLost(string siloId, string partitions);

    [LoggerMessage(13, LogLevel.Information, "Silo {SiloId} released partitions {Partitions} to rebalance")]
    public partial void PartitionsReleased(string siloId, string partitions);

    [LoggerMessage(14, LogLevel.Warning, "Tell listener connection lost: {Error}; reconnecting")]
    public partial void ListenerLost(string error);

    [LoggerMessage(15, LogLevel.Information, "Event retention deleted {Count} events")]
    public partial void EventsPruned(int count);
}
