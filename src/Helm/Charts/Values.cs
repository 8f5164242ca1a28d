using Fleet.Helm.Formats;
using Fleet.Helm.Functions;
using Fleet.Helm.Template;

namespace Fleet.Helm.Charts;

/// <summary>
/// Helm's chartutil value handling: coalescing user values over chart defaults (null deletes a default), globals
/// copied down into subcharts, dependency conditions and tags, and import-values. Ported from the algorithm of
/// Helm's coalesce.go and dependencies.go, since the exact precedence rules are the behaviour to match.
/// </summary>
internal static class Values
{
    private static Dictionary<string, object?> Copy(IDictionary<string, object?> m) => (Dictionary<string, object?>)GoYaml.DeepCopy(m)!;

    private static bool IsTable(object? v) => v is IDictionary<string, object?>;

    /// <summary>CoalesceValues: user values over the chart's defaults, recursively through subcharts; nulls delete.</summary>
    public static Dictionary<string, object?> Coalesce(Chart chart, IDictionary<string, object?>? vals) =>
        CoalesceChart(chart, vals is null ? GoValues.NewMap() : Copy(vals), merge: false);

    /// <summary>MergeValues: as Coalesce, but nulls are kept.</summary>
    public static Dictionary<string, object?> Merge(Chart chart, IDictionary<string, object?>? vals) =>
        CoalesceChart(chart, vals is null ? GoValues.NewMap() : Copy(vals), merge: true);

    private static Dictionary<string, object?> CoalesceChart(Chart ch, Dictionary<string, object?> dest, bool merge)
    {
        CoalesceValues(ch, dest, merge);
        return CoalesceDeps(ch, dest, merge);
    }

    private static Dictionary<string, object?> CoalesceDeps(Chart ch, Dictionary<string, object?> dest, bool merge)
    {
        foreach (var sub in ch.Dependencies)
        {
            if (!dest.TryGetValue(sub.Name, out var c))
            {
                dest[sub.Name] = GoValues.NewMap();
            }
            else if (!IsTable(c))
            {
                throw new HelmException($"type mismatch on {sub.Name}: %!t({GoValues.TypeName(c)}={GoValues.Format(c)})");
            }

            var dv = (Dictionary<string, object?>)dest[sub.Name]!;
            CoalesceGlobals(dv, dest);
            dest[sub.Name] = CoalesceChart(sub, dv, merge);
        }

        return dest;
    }

    private static void CoalesceGlobals(Dictionary<string, object?> dest, Dictionary<string, object?> src)
    {
        Dictionary<string, object?> dg;
        if (!dest.TryGetValue("global", out var destGlob))
        {
            dg = GoValues.NewMap();
        }
        else if (destGlob is Dictionary<string, object?> d)
        {
            dg = d;
        }
        else
        {
            return;
        }

        Dictionary<string, object?> sg;
        if (!src.TryGetValue("global", out var srcGlob))
        {
            sg = GoValues.NewMap();
        }
        else if (srcGlob is Dictionary<string, object?> s)
        {
            sg = s;
        }
        else
        {
            return;
        }

        foreach (var (key, val) in sg)
        {
            if (val is IDictionary<string, object?> table)
            {
                var vv = Copy(table);
                if (!dg.TryGetValue(key, out var destv))
                {
                    dg[key] = vv;
                }
                else if (destv is Dictionary<string, object?> destvmap)
                {
                    CoalesceTables(vv, destvmap, merge: true);
                    dg[key] = vv;
                }
            }
            else if (dg.TryGetValue(key, out var existing) && IsTable(existing))
            {
                // A table is not replaced by a scalar global.
            }
            else
            {
                dg[key] = val;
            }
        }

        dest["global"] = dg;
    }

    private static void CoalesceValues(Chart c, Dictionary<string, object?> v, bool merge)
    {
        var vc = Copy(c.Values);
        foreach (var (key, val) in vc)
        {
            if (v.TryGetValue(key, out var value))
            {
                if (value is null && !merge)
                {
                    v.Remove(key);
                }
                else if (value is Dictionary<string, object?> dest && val is Dictionary<string, object?> src)
                {
                    var childMerge = merge || c.Dependencies.Any(d => d.Name == key);
                    CoalesceTables(dest, src, childMerge);
                }
            }
            else
            {
                v[key] = val;
            }
        }
    }

    /// <summary>coalesceTablesFullKey: dst wins; tables merge; a null in dst deletes a key src has, unless merging (a null for a key src lacks stays).</summary>
    public static Dictionary<string, object?> CoalesceTables(Dictionary<string, object?> dst, Dictionary<string, object?>? src, bool merge)
    {
        if (src is null)
        {
            return dst;
        }

        foreach (var (key, val) in src)
        {
            var present = dst.TryGetValue(key, out var dv);
            if (present && !merge && dv is null)
            {
                dst.Remove(key);
            }
            else if (!present)
            {
                dst[key] = val;
            }
            else if (val is Dictionary<string, object?> srcTable)
            {
                if (dv is Dictionary<string, object?> dstTable)
                {
                    CoalesceTables(dstTable, srcTable, merge);
                }
            }
        }

        return dst;
    }

    /// <summary>Deep merge of values files and --set, later values winning (Helm's mergeMaps).</summary>
    public static Dictionary<string, object?> MergeMaps(Dictionary<string, object?> a, IDictionary<string, object?> b)
    {
        var result = new Dictionary<string, object?>(a, StringComparer.Ordinal);
        foreach (var (k, v) in b)
        {
            if (v is IDictionary<string, object?> vm && result.TryGetValue(k, out var existing) && existing is Dictionary<string, object?> em)
            {
                result[k] = MergeMaps(em, vm);
                continue;
            }

            result[k] = v;
        }

        return result;
    }

    /// <summary>A dotted path into values ("a.b.c"), or null when absent (Values.PathValue).</summary>
    public static object? PathValue(IDictionary<string, object?> vals, string path, out bool found)
    {
        found = false;
        var parts = path.Split('.');
        object? current = vals;
        foreach (var part in parts)
        {
            if (current is not IDictionary<string, object?> m || !m.TryGetValue(part, out current))
            {
                return null;
            }
        }

        found = true;
        return current;
    }

    /// <summary>Values.Table: a nested table by dotted path, or null.</summary>
    public static Dictionary<string, object?>? Table(IDictionary<string, object?> vals, string path)
    {
        object? current = vals;
        foreach (var part in path.Split('.'))
        {
            if (current is not IDictionary<string, object?> m || !m.TryGetValue(part, out current))
            {
                return null;
            }
        }

        return current as Dictionary<string, object?>;
    }

    // ---- dependencies (chartutil/dependencies.go) ----

    public static void CheckDependencies(Chart chart)
    {
        var missing = chart.Metadata.Dependencies.Where(r => chart.Dependencies.All(d => d.Name != r.Name)).Select(r => r.Name).ToList();
        if (missing.Count > 0)
        {
            throw new HelmException($"An error occurred while checking for chart dependencies. You may need to run `helm dependency build` to fetch missing dependencies: found in Chart.yaml, but missing in charts/ directory: {string.Join(", ", missing)}");
        }
    }

    public static void ProcessDependencies(Chart chart, Dictionary<string, object?> vals)
    {
        ProcessEnabled(chart, vals, "");
        ProcessImportValues(chart);
    }

    private static bool IsCompatibleRange(string constraint, string version)
    {
        var v = SemVer.TryParse(version);
        if (v is null || constraint.Trim().Length == 0)
        {
            return false;
        }

        try
        {
            return SemVer.Satisfies(constraint, v);
        }
        catch (GoFuncException)
        {
            return false;
        }
    }

    private static void ProcessEnabled(Chart c, Dictionary<string, object?> v, string path)
    {
        if (c.Metadata.Dependencies.Count == 0)
        {
            return;
        }

        var chartDependencies = new List<Chart>();
        foreach (var existing in c.Dependencies)
        {
            if (!c.Metadata.Dependencies.Any(req => existing.Name == req.Name && IsCompatibleRange(req.Version, existing.Metadata.Version)))
            {
                chartDependencies.Add(existing);
            }
        }

        // The metadata is copied so that renaming for aliases does not change the loaded chart.
        c.Metadata = c.Metadata.Copy();
        c.Metadata.Dependencies = c.Metadata.Dependencies.Select(d => new ChartDependency
        {
            Name = d.Name,
            Version = d.Version,
            Repository = d.Repository,
            Condition = d.Condition,
            Tags = d.Tags,
            Enabled = d.Enabled,
            ImportValues = d.ImportValues,
            Alias = d.Alias,
        }).ToList();
        foreach (var req in c.Metadata.Dependencies)
        {
            var match = c.Dependencies.FirstOrDefault(ch => ch.Name == req.Name && IsCompatibleRange(req.Version, ch.Metadata.Version));
            if (match is not null)
            {
                chartDependencies.Add(match.CopyWithName(req.Alias.Length > 0 ? req.Alias : match.Name));
            }

            if (req.Alias.Length > 0)
            {
                req.Name = req.Alias;
            }
        }

        c.Dependencies = chartDependencies;
        foreach (var req in c.Metadata.Dependencies)
        {
            req.Enabled = true;
        }

        var cvals = Coalesce(c, v);
        var tags = Table(cvals, "tags");
        foreach (var r in c.Metadata.Dependencies)
        {
            bool hasTrue = false, hasFalse = false;
            foreach (var k in r.Tags)
            {
                if (tags is not null && tags.TryGetValue(k, out var b) && b is bool bv)
                {
                    if (bv)
                    {
                        hasTrue = true;
                    }
                    else
                    {
                        hasFalse = true;
                    }
                }
            }

            if (!hasTrue && hasFalse)
            {
                r.Enabled = false;
            }
            else if (hasTrue || (!hasTrue && !hasFalse))
            {
                r.Enabled = true;
            }
        }

        foreach (var r in c.Metadata.Dependencies)
        {
            if (r.Condition.Length == 0)
            {
                continue;
            }

            foreach (var cond in r.Condition.Split(','))
            {
                var value = PathValue(cvals, path + cond.Trim(), out var found);
                if (found && value is bool bv)
                {
                    r.Enabled = bv;
                    break;
                }
            }
        }

        var removed = c.Metadata.Dependencies.Where(r => !r.Enabled).Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        var keep = c.Dependencies.Where(d => !removed.Contains(d.Name)).ToList();
        var keepMeta = c.Metadata.Dependencies.Where(d => !removed.Contains(d.Name)).ToList();
        foreach (var t in keep)
        {
            t.Parent = c;
            ProcessEnabled(t, cvals, path + t.Name + ".");
        }

        c.Metadata.Dependencies = keepMeta;
        c.Dependencies = keep;
    }

    private static void ProcessImportValues(Chart c)
    {
        foreach (var d in c.Dependencies)
        {
            ProcessImportValues(d);
        }

        if (c.Metadata.Dependencies.Count == 0)
        {
            return;
        }

        var cvals = Merge(c, null);
        var b = GoValues.NewMap();
        foreach (var r in c.Metadata.Dependencies)
        {
            var outiv = new List<object?>();
            foreach (var riv in r.ImportValues)
            {
                switch (riv)
                {
                    case IDictionary<string, object?> iv:
                        var child = GoValues.StrVal(iv.Get("child"));
                        var parent = GoValues.StrVal(iv.Get("parent"));
                        outiv.Add(new Dictionary<string, object?>(StringComparer.Ordinal) { ["child"] = child, ["parent"] = parent });
                        var vv = Table(cvals, r.Name + "." + child);
                        if (vv is null)
                        {
                            continue;
                        }

                        b = MergeTables(b, PathToMap(parent, Copy(vv)));
                        break;
                    case string s:
                        var childPath = "exports." + s;
                        outiv.Add(new Dictionary<string, object?>(StringComparer.Ordinal) { ["child"] = childPath, ["parent"] = "." });
                        var vm = Table(cvals, r.Name + "." + childPath);
                        if (vm is null)
                        {
                            continue;
                        }

                        b = MergeTables(b, Copy(vm));
                        break;
                }
            }

            r.ImportValues = outiv;
        }

        c.Values = MergeTables(cvals, b);
    }

    /// <summary>MergeTables: CoalesceTables with nulls kept.</summary>
    private static Dictionary<string, object?> MergeTables(Dictionary<string, object?> dst, Dictionary<string, object?> src) => CoalesceTables(dst, src, merge: true);

    private static Dictionary<string, object?> PathToMap(string path, Dictionary<string, object?> data)
    {
        if (path == ".")
        {
            return data;
        }

        var parts = path.Split('.', StringSplitOptions.RemoveEmptyEntries);
        var result = data;
        for (var i = parts.Length - 1; i >= 0; i--)
        {
            result = new Dictionary<string, object?>(StringComparer.Ordinal) { [parts[i]] = result };
        }

        return result;
    }
}
