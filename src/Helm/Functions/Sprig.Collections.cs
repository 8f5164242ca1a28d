using System.Globalization;
using Fleet.Helm.Formats;
using Fleet.Helm.Template;

namespace Fleet.Helm.Functions;

internal static partial class Sprig
{
    private static IList<object?> MustList(object? v, string what) => v switch
    {
        IList<object?> l => l,
        byte[] b => b.Select(x => (object?)(int)x).ToList(),
        null => throw new GoFuncException("runtime error: invalid memory address or nil pointer dereference"),
        _ => throw new GoFuncException($"{what} {GoValues.KindName(v)}"),
    };

    private static void Both(Dictionary<string, TemplateFunc> f, string name, TemplateFunc fn)
    {
        f[name] = fn;
        f["must" + char.ToUpperInvariant(name[0]) + name[1..]] = fn;
    }

    private static void RegisterLists(Dictionary<string, TemplateFunc> f)
    {
        f["list"] = TemplateFunc.Variadic(0, a => a.ToList());
        f["tuple"] = f["list"];
        Both(f, "push", F2((l, v) => MustList(l, "Cannot push on type").Append(v).ToList()));
        Both(f, "append", F2((l, v) => MustList(l, "Cannot push on type").Append(v).ToList()));
        Both(f, "prepend", F2((l, v) => MustList(l, "Cannot prepend on type").Prepend(v).ToList()));
        Both(f, "first", F1(l => MustList(l, "Cannot find first on type") is { Count: > 0 } x ? x[0] : null));
        Both(f, "last", F1(l => MustList(l, "Cannot find last on type") is { Count: > 0 } x ? x[^1] : null));
        Both(f, "rest", F1(l => MustList(l, "Cannot find rest on type") is { Count: > 0 } x ? x.Skip(1).ToList() : null));
        Both(f, "initial", F1(l => MustList(l, "Cannot find initial on type") is { Count: > 0 } x ? x.Take(x.Count - 1).ToList() : null));
        Both(f, "reverse", F1(l => MustList(l, "Cannot find reverse on type").Reverse().ToList()));
        Both(f, "compact", F1(l => MustList(l, "Cannot compact on type").Where(GoValues.IsTrue).ToList()));
        Both(f, "uniq", F1(l =>
        {
            var result = new List<object?>();
            foreach (var item in MustList(l, "Cannot find uniq on type"))
            {
                if (!result.Any(r => DeepEqual(r, item)))
                {
                    result.Add(item);
                }
            }

            return result;
        }));
        Both(f, "without", TemplateFunc.Variadic(1, a => MustList(a[0], "Cannot find without on type").Where(x => !a.Skip(1).Any(o => DeepEqual(o, x))).ToList()));
        Both(f, "has", F2((needle, hay) => hay is null ? false : MustList(hay, "Cannot find has on type").Any(x => DeepEqual(x, needle))));
        Both(f, "slice", TemplateFunc.Variadic(1, a =>
        {
            var l = MustList(a[0], "list should be type of slice or array but");
            if (l.Count == 0)
            {
                return null;
            }

            var start = a.Length > 1 ? GoValues.ToInt(a[1]) : 0;
            var end = a.Length > 2 ? GoValues.ToInt(a[2]) : l.Count;
            if (start < 0 || end > l.Count || start > end)
            {
                throw new GoFuncException($"runtime error: slice bounds out of range [{start}:{end}] with capacity {l.Count}");
            }

            return l.Skip(start).Take(end - start).ToList();
        }));
        f["concat"] = TemplateFunc.Variadic(0, a => a.SelectMany(l => MustList(l, "Cannot concat type") is var x ? x : []).ToList());
        Both(f, "chunk", F2((size, l) =>
        {
            var list = MustList(l, "Cannot chunk type");
            var n = GoValues.ToInt(size);
            var result = new List<object?>();
            for (var i = 0; i < list.Count; i += n)
            {
                result.Add(list.Skip(i).Take(n).ToList());
            }

            return result;
        }));
        f["until"] = TemplateFunc.Fixed(1, a => UntilStep(0, GoValues.Int(a[0]), GoValues.Int(a[0]) >= 0 ? 1 : -1));
        f["untilStep"] = TemplateFunc.Fixed(3, a => UntilStep(GoValues.Int(a[0]), GoValues.Int(a[1]), GoValues.Int(a[2])));
        f["dig"] = TemplateFunc.Variadic(3, a =>
        {
            var dict = GoValues.Map(a[^1]);
            var def = a[^2];
            var keys = a[..^2].Select(GoValues.Str).ToList();
            object? current = dict;
            foreach (var key in keys)
            {
                if (current is IDictionary<string, object?> m && m.TryGetValue(key, out var next))
                {
                    current = next;
                }
                else
                {
                    return def;
                }
            }

            return current;
        });
    }

    private static List<object?> UntilStep(int start, int stop, int step)
    {
        var result = new List<object?>();
        if (step == 0)
        {
            return result;
        }

        if (stop < start)
        {
            if (step >= 0)
            {
                return result;
            }

            for (var i = start; i > stop; i += step)
            {
                result.Add(i);
            }

            return result;
        }

        if (step <= 0)
        {
            return result;
        }

        for (var i = start; i < stop; i += step)
        {
            result.Add(i);
        }

        return result;
    }

    public static bool DeepEqual(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (null, _) or (_, null) => false,
        (IDictionary<string, object?> x, IDictionary<string, object?> y) => x.Count == y.Count && x.All(kv => y.TryGetValue(kv.Key, out var v) && DeepEqual(kv.Value, v)),
        (IList<object?> x, IList<object?> y) => x.Count == y.Count && x.Zip(y).All(p => DeepEqual(p.First, p.Second)),
        (byte[] x, byte[] y) => x.AsSpan().SequenceEqual(y),
        _ => a.GetType() == b.GetType() && a.Equals(b),
    };

    private static void RegisterDicts(Dictionary<string, TemplateFunc> f)
    {
        f["dict"] = TemplateFunc.Variadic(0, a =>
        {
            var m = GoValues.NewMap();
            for (var i = 0; i < a.Length; i += 2)
            {
                m[StrVal(a[i])] = i + 1 < a.Length ? a[i + 1] : "";
            }

            return m;
        });
        f["get"] = F2((d, k) => GoValues.Map(d).TryGetValue(GoValues.Str(k), out var v) ? v : "");
        f["set"] = F3((d, k, v) =>
        {
            var m = GoValues.Map(d);
            m[GoValues.Str(k)] = v;
            return m;
        });
        f["unset"] = F2((d, k) =>
        {
            var m = GoValues.Map(d);
            m.Remove(GoValues.Str(k));
            return m;
        });
        f["hasKey"] = F2((d, k) => GoValues.Map(d).ContainsKey(GoValues.Str(k)));
        f["pluck"] = TemplateFunc.Variadic(1, a =>
        {
            var key = GoValues.Str(a[0]);
            return a.Skip(1).Select(GoValues.Map).Where(m => m.ContainsKey(key)).Select(m => m[key]).ToList();
        });
        f["keys"] = TemplateFunc.Variadic(0, a =>
        {
            // Go returns map keys in random order; sorted here so output is repeatable.
            var keys = a.Select(GoValues.Map).SelectMany(m => m.Keys).ToList();
            keys.Sort(StringComparer.Ordinal);
            return keys.Cast<object?>().ToList();
        });
        f["values"] = F1(d =>
        {
            var m = GoValues.Map(d);
            return GoValues.SortedKeys(m).Select(k => m[k]).ToList();
        });
        f["pick"] = TemplateFunc.Variadic(1, a =>
        {
            var m = GoValues.Map(a[0]);
            var result = GoValues.NewMap();
            foreach (var k in a.Skip(1).Select(GoValues.Str))
            {
                if (m.TryGetValue(k, out var v))
                {
                    result[k] = v;
                }
            }

            return result;
        });
        f["omit"] = TemplateFunc.Variadic(1, a =>
        {
            var m = GoValues.Map(a[0]);
            var omit = a.Skip(1).Select(GoValues.Str).ToHashSet(StringComparer.Ordinal);
            return m.Where(kv => !omit.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        });
        Both(f, "merge", TemplateFunc.Variadic(1, a =>
        {
            var dst = GoValues.Map(a[0]);
            foreach (var src in a.Skip(1))
            {
                MergeInto(dst, GoValues.Map(src), overwrite: false);
            }

            return dst;
        }));
        Both(f, "mergeOverwrite", TemplateFunc.Variadic(1, a =>
        {
            var dst = GoValues.Map(a[0]);
            foreach (var src in a.Skip(1))
            {
                MergeInto(dst, GoValues.Map(src), overwrite: true);
            }

            return dst;
        }));
        Both(f, "deepCopy", F1(GoYaml.DeepCopy));
    }

    /// <summary>mergo.Merge (and WithOverride): maps merge deeply; otherwise dst keeps non-empty values (override: src wins unless empty).</summary>
    private static void MergeInto(IDictionary<string, object?> dst, IDictionary<string, object?> src, bool overwrite)
    {
        foreach (var (key, sv) in src)
        {
            if (!dst.TryGetValue(key, out var dv))
            {
                dst[key] = GoYaml.DeepCopy(sv);
                continue;
            }

            if (dv is IDictionary<string, object?> dm && sv is IDictionary<string, object?> sm)
            {
                MergeInto(dm, sm, overwrite);
                continue;
            }

            if (overwrite ? GoValues.IsTrue(sv) : !GoValues.IsTrue(dv) && GoValues.IsTrue(sv))
            {
                dst[key] = GoYaml.DeepCopy(sv);
            }
        }
    }

    private static void RegisterMath(Dictionary<string, TemplateFunc> f)
    {
        f["add1"] = F1(v => GoValues.ToInt64(v) + 1);
        f["add"] = TemplateFunc.Variadic(0, a => a.Sum(GoValues.ToInt64));
        f["sub"] = F2((x, y) => GoValues.ToInt64(x) - GoValues.ToInt64(y));
        f["div"] = F2((x, y) => GoValues.ToInt64(x) / GoValues.ToInt64(y));
        f["mod"] = F2((x, y) => GoValues.ToInt64(x) % GoValues.ToInt64(y));
        f["mul"] = TemplateFunc.Variadic(1, a => a.Aggregate(1L, (acc, v) => acc * GoValues.ToInt64(v)));
        f["max"] = TemplateFunc.Variadic(1, a => a.Max(GoValues.ToInt64));
        f["biggest"] = f["max"];
        f["min"] = TemplateFunc.Variadic(1, a => a.Min(GoValues.ToInt64));
        f["add1f"] = F1(v => (double)((decimal)GoValues.ToFloat64(v) + 1));
        f["addf"] = TemplateFunc.Variadic(0, a => (double)a.Sum(v => (decimal)GoValues.ToFloat64(v)));
        f["subf"] = TemplateFunc.Variadic(1, a => (double)a.Skip(1).Aggregate((decimal)GoValues.ToFloat64(a[0]), (acc, v) => acc - (decimal)GoValues.ToFloat64(v)));
        f["mulf"] = TemplateFunc.Variadic(1, a => (double)a.Skip(1).Aggregate((decimal)GoValues.ToFloat64(a[0]), (acc, v) => acc * (decimal)GoValues.ToFloat64(v)));
        f["divf"] = TemplateFunc.Variadic(1, a => (double)a.Skip(1).Aggregate((decimal)GoValues.ToFloat64(a[0]), (acc, v) => acc / (decimal)GoValues.ToFloat64(v)));
        f["maxf"] = TemplateFunc.Variadic(1, a => a.Max(GoValues.ToFloat64));
        f["minf"] = TemplateFunc.Variadic(1, a => a.Min(GoValues.ToFloat64));
        f["ceil"] = F1(v => Math.Ceiling(GoValues.ToFloat64(v)));
        f["floor"] = F1(v => Math.Floor(GoValues.ToFloat64(v)));
        f["round"] = TemplateFunc.Variadic(2, a =>
        {
            var roundOn = a.Length > 2 ? GoValues.ToFloat64(a[2]) : 0.5;
            var places = GoValues.ToInt(a[1]);
            var val = GoValues.ToFloat64(a[0]);
            var pow = Math.Pow(10, places);
            var digit = pow * val;
            var (intPart, div) = (Math.Truncate(digit), digit - Math.Truncate(digit));
            var round = div >= roundOn ? Math.Ceiling(digit) : intPart;
            return round / pow;
        });
        f["randInt"] = F2((min, max) => Random.Shared.Next(GoValues.ToInt(min), GoValues.ToInt(max)));
        f["atoi"] = S1(s => long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) ? (int)v : 0);
        f["int"] = F1(v => GoValues.ToInt(v));
        f["int64"] = F1(v => GoValues.ToInt64(v));
        f["float64"] = F1(v => GoValues.ToFloat64(v));
        f["toDecimal"] = F1(v =>
        {
            try
            {
                return Convert.ToInt64(StrVal(v), 8);
            }
            catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
            {
                return 0L;
            }
        });
    }
}
