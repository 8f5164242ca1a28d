namespace Fleet.Store;

/// <summary>The storage could not be opened or used: a corrupt file, an unreachable or incompatible database.</summary>
public sealed class FleetStorageException(string message, Exception? inner = null) : Exception(message, inner);
