using System.Text.Json.Nodes;

namespace Fleet.KubeSim.Store;

/// <summary>
/// A change to one object, as watchers and the watch history see it. <see cref="PreviousLabels"/> is set only
/// when a modification changed the labels (a label-selected watch then reports the object entering or leaving
/// its selection), so an event does not also keep the whole version before it. A struct: the history holds
/// a million of them across ten thousand clusters, inline in its queues.
/// </summary>
internal readonly record struct WatchEvent(long ResourceVersion, string GroupResource, string Namespace, string Type, byte[] Object, JsonObject? PreviousLabels);
