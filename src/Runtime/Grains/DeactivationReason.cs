namespace Fleet.Runtime;

/// <summary>Why an activation is deactivated.</summary>
public enum DeactivationReason
{
    /// <summary>No message arrived for the idle timeout.</summary>
    Idle,

    /// <summary>The grain called <c>DeactivateOnIdle</c>.</summary>
    Requested,

    /// <summary>The silo is shutting down.</summary>
    SiloStopping,

    /// <summary>The silo no longer owns the grain's partition (lease lost or handed to another silo).</summary>
    PartitionLost,

    /// <summary>Activation failed or the grain's state could not be written under its lease.</summary>
    Failed,
}

/// <summary>An ask (a grain method returning <c>Task&lt;T&gt;</c>) that cannot be answered.</summary>
public sealed class GrainCallException(string message, Exception? inner = null) : Exception(message, inner);
