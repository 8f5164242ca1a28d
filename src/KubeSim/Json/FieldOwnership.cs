using System.Globalization;
using System.Text.Json.Nodes;

namespace Fleet.KubeSim.Json;

/// <summary>One entry of <c>metadata.managedFields</c>.</summary>
internal sealed class ManagedEntry
{
    public required string Manager { get; init; }

    public required string Operation { get; init; }

    public required string ApiVersion { get; set; }

    /// <summary>When the manager last changed its fields; kube-apiserver leaves it out for scale writes.</summary>
    public required string? Time { get; set; }

    public string? Subresource { get; init; }

    public required FieldSet Fields { get; set; }

    public bool SameIdentity(string manager, string operation, string? subresource) =>
        Manager == manager && Operation == operation && Subresource == subresource;
}

/// <summary>Which part of an object a write may touch: the main resource or the status subresource.</summary>
internal enum WriteScope
{
    Main,
    Status,
    Whole,
}

/// <summary>A field a server-side apply conflicts on: who owns it and where.</summary>
internal sealed record FieldConflict(string Manager, string ApiVersion, string[] Path, string Operation = "Apply", string? Subresource = null)
{
    /// <summary>The manager as kube-apiserver names it in conflict messages (Update managers with their version).</summary>
    public string Describe()
    {
        var name = $"\"{Manager}\"";
        if (Subresource is not null)
        {
            name += $" with subresource \"{Subresource}\"";
        }

        if (Operation != "Update")
        {
            return name;
        }

        // kube-apiserver's manager identifiers carry no time, so its messages never say "at".
        return $"{name} using {ApiVersion}";
    }
}

/// <summary>
/// Field ownership as the API server tracks it in <c>metadata.managedFields</c> (the structured-merge-diff
/// model): which manager set which field, what server-side apply merges, conflicts on and removes.
/// Written here because that library is Go-only; it follows the documented semantics, using
/// <see cref="ListSemantics"/> for list merge keys.
/// </summary>
internal static class FieldOwnership
{
    private static readonly HashSet<string> UntrackedMetadata = new(StringComparer.Ordinal)
    {
        "name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
        "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields", "selfLink",
    };

    public static string Timestamp(DateTimeOffset now) =>
        now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static List<ManagedEntry> Read(JsonObject obj)
    {
        var list = new List<ManagedEntry>();
        if (obj["metadata"]?["managedFields"] is not JsonArray entries)
        {
            return list;
        }

        foreach (var e in entries)
        {
            if (e is not JsonObject o)
            {
                continue;
            }

            list.Add(new ManagedEntry
            {
                Manager = JsonUtil.Str(o["manager"]) ?? string.Empty,
                Operation = JsonUtil.Str(o["operation"]) ?? "Update",
                ApiVersion = JsonUtil.Str(o["apiVersion"]) ?? string.Empty,
                Time = JsonUtil.Str(o["time"]) ?? string.Empty,
                Subresource = JsonUtil.Str(o["subresource"]),
                Fields = FieldSet.FromFieldsV1(o["fieldsV1"] as JsonObject),
            });
        }

        return list;
    }

    public static void Write(JsonObject obj, List<ManagedEntry> entries)
    {
        var meta = JsonUtil.Metadata(obj);
        meta.Remove("managedFields");
        var array = new JsonArray();

        // kube-apiserver's order: Apply before Update, then by time (none first), manager, subresource.
        foreach (var e in entries.OrderBy(e => e.Operation, StringComparer.Ordinal).ThenBy(e => e.Time ?? string.Empty, StringComparer.Ordinal)
                     .ThenBy(e => e.Manager, StringComparer.Ordinal).ThenBy(e => e.Subresource ?? string.Empty, StringComparer.Ordinal))
        {
            if (e.Fields.IsEmpty)
            {
                continue;
            }

            var o = new JsonObject
            {
                ["manager"] = e.Manager,
                ["operation"] = e.Operation,
                ["apiVersion"] = e.ApiVersion,
            };
            if (e.Time is not null)
            {
                o["time"] = e.Time;
            }

            o["fieldsType"] = "FieldsV1";
            o["fieldsV1"] = e.Fields.ToFieldsV1();
            if (e.Subresource is not null)
            {
                o["subresource"] = e.Subresource;
            }

            array.Add(o);
        }

        if (array.Count > 0)
        {
            meta["managedFields"] = array;
        }
    }

    private static bool Tracked(string field, int depth, bool inMetadata, WriteScope scope)
    {
        if (depth == 0)
        {
            if (field is "apiVersion" or "kind")
            {
                return false;
            }

            return scope switch
            {
                WriteScope.Main => field != "status",
                WriteScope.Status => field is "status",
                _ => true,
            };
        }

        return !(depth == 1 && inMetadata && UntrackedMetadata.Contains(field));
    }

    /// <summary>Maps kube-apiserver's schema marks atomic (label selectors, a Service's selector): owned whole.</summary>
    private static bool IsAtomic(string field) => field is "selector" or "fieldRef" or "configMapKeyRef" or "secretKeyRef" or "resourceFieldRef" or "roleRef";

    /// <summary>The fields an applied configuration sets (maps are paths, not members).</summary>
    public static FieldSet Collect(JsonObject applied, WriteScope scope)
    {
        var set = new FieldSet();
        CollectObject(applied, set, 0, false, scope, false);
        return set;
    }

    private static void CollectObject(JsonObject o, FieldSet into, int depth, bool inMetadata, WriteScope scope, bool mapsAreMembers)
    {
        foreach (var (k, v) in o)
        {
            if (!Tracked(k, depth, inMetadata, scope))
            {
                continue;
            }

            var child = new FieldSet();
            CollectValue(k, v, child, depth + 1, depth == 0 && k == "metadata", scope, mapsAreMembers);
            if (!child.IsEmpty)
            {
                Attach(into, "f:" + k, child);
            }
        }
    }

    private static void CollectValue(string field, JsonNode? v, FieldSet node, int depth, bool inMetadata, WriteScope scope, bool mapsAreMembers)
    {
        switch (v)
        {
            case JsonObject when IsAtomic(field):
                node.Member = true;
                break;
            case JsonObject o when o.Count > 0:
                if (mapsAreMembers)
                {
                    node.Member = true;
                }

                CollectObject(o, node, depth, inMetadata, scope, mapsAreMembers);
                if (node.IsEmpty && !(inMetadata && depth == 1))
                {
                    node.Member = true;
                }

                break;
            case JsonArray a when a.Count > 0:
                var (kind, key) = ListSemantics.For(field, a);
                if (mapsAreMembers && kind != ListKind.Atomic)
                {
                    node.Member = true;
                }

                switch (kind)
                {
                    case ListKind.Map:
                        foreach (var item in a)
                        {
                            var itemNode = node.Child(FieldSet.KeyElement(key!, item));
                            itemNode.Member = true;
                            CollectObject((JsonObject)item!, itemNode, depth + 1, false, scope, mapsAreMembers);
                        }

                        break;
                    case ListKind.Set:
                        foreach (var item in a)
                        {
                            node.Child(FieldSet.ValueElement(item)).Member = true;
                        }

                        break;
                    default:
                        node.Member = true;
                        break;
                }

                break;
            default:
                node.Member = true;
                break;
        }
    }

    private static void Attach(FieldSet parent, string element, FieldSet child)
    {
        var target = parent.Child(element);
        target.UnionWith(child);
    }

    /// <summary>
    /// What an update changed: fields added or modified (maps created by it are members, as for
    /// Update operations in kube-apiserver) and fields removed.
    /// </summary>
    public static (FieldSet Changed, FieldSet Removed) Diff(JsonObject? old, JsonObject @new, WriteScope scope)
    {
        var changed = new FieldSet();
        var removed = new FieldSet();
        if (old is null)
        {
            CollectObject(@new, changed, 0, false, scope, true);
            return (changed, removed);
        }

        DiffObject(old, @new, changed, removed, 0, false, scope);
        return (changed, removed);
    }

    private static void DiffObject(JsonObject old, JsonObject @new, FieldSet changed, FieldSet removed, int depth, bool inMetadata, WriteScope scope)
    {
        foreach (var (k, v) in @new)
        {
            if (!Tracked(k, depth, inMetadata, scope))
            {
                continue;
            }

            var childInMeta = depth == 0 && k == "metadata";
            if (!old.TryGetPropertyValue(k, out var ov))
            {
                var sub = new FieldSet();
                CollectValue(k, v, sub, depth + 1, childInMeta, scope, true);
                Attach(changed, "f:" + k, sub);
                continue;
            }

            if (JsonNode.DeepEquals(ov, v))
            {
                continue;
            }

            var c = new FieldSet();
            var r = new FieldSet();
            if ((ov is JsonObject || (ov is null && v is JsonObject { Count: > 0 })) && v is JsonObject no && !IsAtomic(k))
            {
                DiffObject(ov as JsonObject ?? [], no, c, r, depth + 1, childInMeta, scope);
            }
            else if ((ov is JsonArray || ov is null) && v is JsonArray na && ListSemantics.For(k, na) is (ListKind.Map, { } key)
                     && ListSemantics.For(k, ov as JsonArray).Kind == ListKind.Map)
            {
                var oa = ov as JsonArray ?? [];
                foreach (var item in na)
                {
                    var element = FieldSet.KeyElement(key, item);
                    var before = FieldSet.FindKeyed(oa, element) as JsonObject;
                    var ic = new FieldSet();
                    var ir = new FieldSet();
                    if (before is null)
                    {
                        ic.Member = true;
                        CollectObject((JsonObject)item!, ic, depth + 2, false, scope, true);
                    }
                    else if (!JsonNode.DeepEquals(before, item))
                    {
                        DiffObject(before, (JsonObject)item!, ic, ir, depth + 2, false, scope);
                    }

                    if (!ic.IsEmpty)
                    {
                        Attach(c, element, ic);
                    }

                    if (!ir.IsEmpty)
                    {
                        Attach(r, element, ir);
                    }
                }

                foreach (var item in oa)
                {
                    var element = FieldSet.KeyElement(key, item);
                    if (FieldSet.FindKeyed(na, element) is null)
                    {
                        var gone = r.Child(element);
                        gone.Member = true;
                        CollectObject((JsonObject)item!, gone, depth + 2, false, scope, true);
                    }
                }
            }
            else
            {
                c.Member = true;
            }

            if (!c.IsEmpty)
            {
                Attach(changed, "f:" + k, c);
            }

            if (!r.IsEmpty)
            {
                Attach(removed, "f:" + k, r);
            }
        }

        foreach (var (k, _) in old)
        {
            if (Tracked(k, depth, inMetadata, scope) && !@new.ContainsKey(k))
            {
                var gone = removed.Child("f:" + k);
                gone.Member = true;
                CollectValue(k, old[k], gone, depth + 1, depth == 0 && k == "metadata", scope, true);
            }
        }
    }

    /// <summary>Records an Update-operation write: the manager takes every changed field from the others.</summary>
    public static void RecordUpdate(List<ManagedEntry> entries, JsonObject? old, JsonObject @new, string manager,
        string apiVersion, string? subresource, WriteScope scope, DateTimeOffset now)
    {
        var (changed, removed) = Diff(old, @new, scope);
        if (changed.IsEmpty && removed.IsEmpty)
        {
            return;
        }

        foreach (var e in entries)
        {
            e.Fields.ExceptWith(changed);
            e.Fields.ExceptWith(removed);
        }

        var mine = entries.FirstOrDefault(e => e.SameIdentity(manager, "Update", subresource));
        if (mine is null)
        {
            mine = new ManagedEntry
            {
                Manager = manager, Operation = "Update", ApiVersion = apiVersion, Time = null,
                Subresource = subresource, Fields = new FieldSet(),
            };
            entries.Add(mine);
        }

        mine.Fields.UnionWith(changed);
        mine.ApiVersion = apiVersion;
        mine.Time = subresource == "scale" ? null : Timestamp(now);
        entries.RemoveAll(e => e.Fields.IsEmpty);
    }

    /// <summary>The fields of <paramref name="set"/> another manager owns with a different value than applied.</summary>
    public static List<FieldConflict> Conflicts(List<ManagedEntry> entries, JsonObject live, JsonObject applied,
        FieldSet set, string manager, string? subresource)
    {
        var conflicts = new List<FieldConflict>();
        var paths = set.Paths();
        foreach (var e in entries)
        {
            if (e.SameIdentity(manager, "Apply", subresource))
            {
                continue;
            }

            foreach (var path in paths)
            {
                if (!e.Fields.Contains(path))
                {
                    continue;
                }

                var liveValue = FieldSet.Resolve(live, path, out var inLive);
                if (!inLive)
                {
                    continue;
                }

                var appliedValue = FieldSet.Resolve(applied, path, out _);
                if (appliedValue is JsonObject && liveValue is JsonObject && !(path[^1].StartsWith("f:", StringComparison.Ordinal) && IsAtomic(path[^1][2..])))
                {
                    continue;
                }

                if (!JsonNode.DeepEquals(liveValue, appliedValue))
                {
                    conflicts.Add(new FieldConflict(e.Manager, e.ApiVersion, path, e.Operation, e.Subresource));
                }
            }
        }

        return conflicts;
    }

    /// <summary>Merges an applied configuration into the live object (maps recursively, keyed lists by key).</summary>
    public static void MergeApplied(JsonObject target, JsonObject applied)
    {
        foreach (var (k, v) in applied)
        {
            if (v is null)
            {
                target.Remove(k);
                continue;
            }

            var existing = target[k];
            if (v is JsonObject vo && existing is JsonObject eo && !IsAtomic(k))
            {
                MergeApplied(eo, vo);
            }
            else if (v is JsonArray va && existing is JsonArray ea && ListSemantics.For(k, va) is var (kind, key) && kind != ListKind.Atomic
                     && ListSemantics.For(k, ea).Kind == kind)
            {
                foreach (var item in va)
                {
                    if (kind == ListKind.Set)
                    {
                        if (!ea.Any(x => JsonNode.DeepEquals(x, item)))
                        {
                            ea.Add(item?.DeepClone());
                        }

                        continue;
                    }

                    var idx = ListSemantics.IndexOfKey(ea, key!, ((JsonObject)item!)[key!]);
                    if (idx >= 0 && ea[idx] is JsonObject liveItem)
                    {
                        MergeApplied(liveItem, (JsonObject)item);
                    }
                    else
                    {
                        ea.Add(item.DeepClone());
                    }
                }
            }
            else
            {
                target.Remove(k);
                target[k] = v.DeepClone();
            }
        }
    }

    /// <summary>Removes fields a manager stopped applying that nobody else owns, and maps left empty by that.</summary>
    public static void RemoveOrphans(JsonObject target, FieldSet orphans)
    {
        // Parents come before children: once a keyed item or map goes, what was inside it goes too.
        var removed = new List<string[]>();
        foreach (var path in orphans.Paths())
        {
            if (removed.Any(r => r.Length < path.Length && path.AsSpan(0, r.Length).SequenceEqual(r)))
            {
                continue;
            }

            if (!FieldSet.RemovePath(target, path))
            {
                continue;
            }

            removed.Add(path);
            for (var len = path.Length - 1; len >= 2; len--)
            {
                var prefix = path[..len];
                var node = FieldSet.Resolve(target, prefix, out var found);
                if (found && node is JsonObject { Count: 0 } or JsonArray { Count: 0 } && prefix[^1].StartsWith("f:", StringComparison.Ordinal))
                {
                    FieldSet.RemovePath(target, prefix);
                }
                else
                {
                    break;
                }
            }
        }
    }
}
