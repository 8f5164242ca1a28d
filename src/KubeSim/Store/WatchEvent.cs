namespace Fleet.KubeSim.Store;

/// <summary>A change to one object, as watchers and the watch history see it.</summary>
internal sealed record WatchEvent(long ResourceVersion, string GroupResource, string Namespace, string Type, byte[] Object, byte[]? Previous);
