using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fleet.KubeSim.Json;

/// <summary>
/// A set of field paths in the FieldsV1 form of <c>metadata.managedFields</c>: a tree whose edges are
/// path elements (<c>f:name</c> for a field, <c>k:{"name":"x"}</c> for a keyed list item,
/// <c>v:"x"</c> for a set item) and whose nodes are members of the set (a leaf <c>{}</c>, or <c>"."</c>
/// beside children). Server-side apply computes ownership and conflicts with it.
/// </summary>
internal sealed class FieldSet
{
    // A sorted list, not a SortedDictionary: sets have a handful of children and are rebuilt on every
    // write, so a compact array with binary search allocates far less.
    private List<KeyValuePair<string, FieldSet>>? _children;

    public bool Member { get; set; }

    public bool IsEmpty => !Member && (_children is null || _children.Count == 0);

    public IEnumerable<KeyValuePair<string, FieldSet>> Children =>
        _children ?? Enumerable.Empty<KeyValuePair<string, FieldSet>>();

    private int IndexOf(string element)
    {
        if (_children is null)
        {
            return -1;
        }

        int lo = 0, hi = _children.Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var cmp = string.CompareOrdinal(_children[mid].Key, element);
            if (cmp == 0)
            {
                return mid;
            }

            if (cmp < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return ~lo;
    }

    public FieldSet Child(string element)
    {
        _children ??= new List<KeyValuePair<string, FieldSet>>(4);
        var i = IndexOf(element);
        if (i >= 0)
        {
            return _children[i].Value;
        }

        var child = new FieldSet();
        _children.Insert(~i, new KeyValuePair<string, FieldSet>(element, child));
        return child;
    }

    public FieldSet? Find(string element)
    {
        var i = IndexOf(element);
        return i >= 0 ? _children![i].Value : null;
    }

    private void RemoveChild(string element)
    {
        var i = IndexOf(element);
        if (i >= 0)
        {
            _children!.RemoveAt(i);
        }
    }

    public static FieldSet FromFieldsV1(JsonObject? json)
    {
        var set = new FieldSet();
        if (json is null)
        {
            return set;
        }

        foreach (var (k, v) in json)
        {
            if (k == ".")
            {
                set.Member = true;
                continue;
            }

            var child = FromFieldsV1(v as JsonObject);
            if (child._children is null || child._children.Count == 0)
            {
                child.Member = true;
            }

            set._children ??= new List<KeyValuePair<string, FieldSet>>(4);
            var at = set.IndexOf(k);
            if (at < 0)
            {
                set._children.Insert(~at, new KeyValuePair<string, FieldSet>(k, child));
            }
        }

        return set;
    }

    public JsonObject ToFieldsV1()
    {
        var o = new JsonObject();
        var hasChildren = _children is { Count: > 0 };
        if (Member && hasChildren)
        {
            o["."] = new JsonObject();
        }

        if (hasChildren)
        {
            foreach (var (k, v) in _children!)
            {
                o[k] = v.ToFieldsV1();
            }
        }

        return o;
    }

    public FieldSet Clone()
    {
        var c = new FieldSet { Member = Member };
        foreach (var (k, v) in Children)
        {
            c.Child(k).CopyFrom(v);
        }

        return c;
    }

    private void CopyFrom(FieldSet other)
    {
        Member = other.Member;
        foreach (var (k, v) in other.Children)
        {
            Child(k).CopyFrom(v);
        }
    }

    public void UnionWith(FieldSet other)
    {
        Member |= other.Member;
        foreach (var (k, v) in other.Children)
        {
            Child(k).UnionWith(v);
        }
    }

    /// <summary>Removes every member of <paramref name="other"/>; prunes subtrees left empty.</summary>
    public void ExceptWith(FieldSet other)
    {
        if (other.Member)
        {
            Member = false;
        }

        if (_children is null)
        {
            return;
        }

        foreach (var (k, v) in other.Children)
        {
            if (Find(k) is { } mine)
            {
                mine.ExceptWith(v);
                if (mine.IsEmpty)
                {
                    RemoveChild(k);
                }
            }
        }
    }

    public bool Contains(IReadOnlyList<string> path)
    {
        var node = this;
        foreach (var e in path)
        {
            node = node.Find(e);
            if (node is null)
            {
                return false;
            }
        }

        return node.Member;
    }

    public void Add(IReadOnlyList<string> path)
    {
        var node = this;
        foreach (var e in path)
        {
            node = node.Child(e);
        }

        node.Member = true;
    }

    public void Remove(IReadOnlyList<string> path)
    {
        var single = new FieldSet();
        single.Add(path);
        ExceptWith(single);
    }

    /// <summary>Every member path, parents before children.</summary>
    public List<string[]> Paths()
    {
        var result = new List<string[]>();
        Walk(this, [], result);
        return result;
    }

    private static void Walk(FieldSet node, List<string> prefix, List<string[]> result)
    {
        if (node.Member && prefix.Count > 0)
        {
            result.Add([.. prefix]);
        }

        foreach (var (k, v) in node.Children)
        {
            prefix.Add(k);
            Walk(v, prefix, result);
            prefix.RemoveAt(prefix.Count - 1);
        }
    }

    public bool SetEquals(FieldSet other)
    {
        if (Member != other.Member)
        {
            return false;
        }

        var mine = _children?.Count ?? 0;
        var theirs = other._children?.Count ?? 0;
        if (mine != theirs)
        {
            return false;
        }

        foreach (var (k, v) in Children)
        {
            var o = other.Find(k);
            if (o is null || !v.SetEquals(o))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A path as Kubernetes prints it in conflict messages: <c>.spec.containers[name="app"].image</c>.</summary>
    public static string Format(IReadOnlyList<string> path)
    {
        var sb = new StringBuilder();
        foreach (var e in path)
        {
            var body = e[2..];
            switch (e[0])
            {
                case 'f':
                    sb.Append('.').Append(body);
                    break;
                case 'k':
                    sb.Append('[');
                    if (JsonNode.Parse(body) is JsonObject key)
                    {
                        sb.AppendJoin(",", key.Select(p => $"{p.Key}={p.Value?.ToJsonString()}"));
                    }

                    sb.Append(']');
                    break;
                case 'v':
                    sb.Append("[=").Append(body).Append(']');
                    break;
                default:
                    sb.Append('[').Append(body).Append(']');
                    break;
            }
        }

        return sb.ToString();
    }

    /// <summary>
    /// The path element of a keyed list item. Ports are keyed by number and protocol (their listMapKeys), the
    /// protocol taking its default <c>TCP</c> when the item leaves it out, as kube-apiserver's schema says.
    /// </summary>
    public static string KeyElement(string keyField, JsonNode? item)
    {
        var key = new JsonObject { [keyField] = item?[keyField]?.DeepClone() };
        if (keyField is "containerPort" or "port")
        {
            key["protocol"] = item?["protocol"]?.DeepClone() ?? "TCP";
        }

        return "k:" + key.ToJsonString();
    }

    public static string ValueElement(JsonNode? value) => "v:" + (value?.ToJsonString() ?? "null");

    /// <summary>The node a path points at in an object, or null when it is absent.</summary>
    public static JsonNode? Resolve(JsonNode? root, IReadOnlyList<string> path, out bool found)
    {
        var node = root;
        var field = string.Empty;
        found = true;
        foreach (var e in path)
        {
            switch (e[0], node)
            {
                case ('f', JsonObject o):
                    field = e[2..];
                    if (!o.TryGetPropertyValue(field, out node))
                    {
                        found = false;
                        return null;
                    }

                    break;
                case ('k', JsonArray a):
                {
                    node = FindKeyed(a, e);
                    if (node is null)
                    {
                        found = false;
                        return null;
                    }

                    break;
                }

                case ('v', JsonArray a):
                {
                    var value = JsonNode.Parse(e[2..]);
                    node = a.FirstOrDefault(x => JsonNode.DeepEquals(x, value));
                    if (node is null)
                    {
                        found = false;
                        return null;
                    }

                    break;
                }

                default:
                    found = false;
                    return null;
            }
        }

        return node;
    }

    public static JsonNode? FindKeyed(JsonArray a, string element)
    {
        var key = JsonNode.Parse(element[2..]) as JsonObject;
        if (key is null)
        {
            return null;
        }

        foreach (var item in a)
        {
            if (item is JsonObject io && key.All(kv => JsonNode.DeepEquals(io[kv.Key] ?? (kv.Key == "protocol" ? "TCP" : null), kv.Value)))
            {
                return item;
            }
        }

        return null;
    }

    /// <summary>Removes the field, keyed item or set value a path names; returns whether it was there.</summary>
    public static bool RemovePath(JsonNode root, IReadOnlyList<string> path)
    {
        if (path.Count == 0)
        {
            return false;
        }

        var parent = Resolve(root, path.Take(path.Count - 1).ToArray(), out var found);
        if (!found || parent is null)
        {
            return false;
        }

        var last = path[^1];
        switch (last[0], parent)
        {
            case ('f', JsonObject o):
                return o.Remove(last[2..]);
            case ('k', JsonArray a):
            {
                var item = FindKeyed(a, last);
                return item is not null && a.Remove(item);
            }

            case ('v', JsonArray a):
            {
                var value = JsonNode.Parse(last[2..]);
                for (var i = 0; i < a.Count; i++)
                {
                    if (JsonNode.DeepEquals(a[i], value))
                    {
                        a.RemoveAt(i);
                        return true;
                    }
                }

                return false;
            }

            default:
                return false;
        }
    }

    public override string ToString() => ToFieldsV1().ToJsonString(new JsonSerializerOptions { WriteIndented = false });
}
