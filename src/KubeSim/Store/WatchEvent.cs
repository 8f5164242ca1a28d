using System.Text.Json.Nodes;

namespace Fleet.KubeSim.Store;

/// <summary>
/// A change to one object, as watchers and the watch history see it. <see cref="PreviousLabels"/> is set only
/// when a modification changed the labels (a label-selected watch then reports the object entering or leaving
/// its selection); the history keeps no earlier version of the object itself.
/// </summary>
internal sealed record WatchEvent(long ResourceVersion, string GroupResource, string Namespace, string Type, byte[] Object, JsonObject? PreviousLabels);
