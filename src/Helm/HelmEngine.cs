using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Fleet.Helm.Charts;
using Fleet.Helm.Formats;
using Fleet.Helm.Functions;
using Fleet.Helm.Template;

namespace Fleet.Helm;

/// <summary>
/// Renders a Helm chart in-process as `helm template` (Helm v3.17) does: loads the chart, coalesces values,
/// processes dependencies, executes every template, and sorts the documents into manifests and hooks.
/// </summary>
public static partial class HelmEngine
{
    [GeneratedRegex(@"(?:^|\s*\n)---\s*")]
    private static partial Regex ManifestSeparator();

    [GeneratedRegex(@"HELM_ERR_START(.*)HELM_ERR_END", RegexOptions.Singleline)]
    private static partial Regex WarnPattern();

    private static readonly ContentCache<Dictionary<string, Tree>> ParsedTemplates = new(4096);

    /// <summary>Kinds in the order Helm installs them; other kinds follow, alphabetically.</summary>
    public static readonly IReadOnlyList<string> InstallOrder =
    [
        "PriorityClass", "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy", "PodDisruptionBudget",
        "ServiceAccount", "Secret", "SecretList", "ConfigMap", "StorageClass", "PersistentVolume", "PersistentVolumeClaim",
        "CustomResourceDefinition", "ClusterRole", "ClusterRoleList", "ClusterRoleBinding", "ClusterRoleBindingList", "Role",
        "RoleList", "RoleBinding", "RoleBindingList", "Service", "DaemonSet", "Pod", "ReplicationController", "ReplicaSet",
        "Deployment", "HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob", "IngressClass", "Ingress", "APIService",
    ];

    private static readonly HashSet<string> HookEvents = new(StringComparer.Ordinal)
    {
        "pre-install", "post-install", "pre-delete", "post-delete", "pre-upgrade", "post-upgrade", "pre-rollback", "post-rollback", "test",
    };

    /// <summary>
    /// Renders the chart at <paramref name="chartPath"/> (a directory with Chart.yaml, or a .tgz) with user
    /// <paramref name="values"/> (already merged from values files and --set; see <see cref="HelmValues"/>).
    /// </summary>
    public static HelmRenderResult Render(string chartPath, IDictionary<string, object?>? values, HelmRenderOptions? options = null)
    {
        options ??= new HelmRenderOptions();
        var chart = ChartLoader.Load(chartPath, options.Limits);
        return Render(chart, values, options);
    }

    internal static HelmRenderResult Render(Chart chart, IDictionary<string, object?>? values, HelmRenderOptions options)
    {
        HelmRenderResult? result = null;
        Exception? failure = null;

        // Deeply nested templates recurse deeply: run on a thread with a stack sized for the template depth limit.
        var thread = new Thread(
            () =>
            {
                try
                {
                    result = RenderCore(chart, values, options);
                }
                catch (Exception e)
                {
                    failure = e;
                }
            },
            512 * 1024 * 1024);
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            throw failure switch
            {
                HelmException h => h,
                HelmLimitException l => new HelmException(l.Message),
                TemplateException t => new HelmException(t.Message),
                OperationCanceledException c => c,
                _ => new HelmException($"rendering template failed: {failure.Message}"),
            };
        }

        return result!;
    }

    private static HelmRenderResult RenderCore(Chart chart, IDictionary<string, object?>? userValues, HelmRenderOptions options)
    {
        if (chart.IsLibrary)
        {
            throw new HelmException("validation: chart.metadata.type library not installable");
        }

        var vals = userValues is null ? GoValues.NewMap() : (Dictionary<string, object?>)GoYaml.DeepCopy(userValues)!;
        Values.CheckDependencies(chart);
        Values.ProcessDependencies(chart, vals);
        var kube = ParseKubeVersion(options.KubeVersion);
        if (chart.Metadata.KubeVersion.Length > 0)
        {
            var v = SemVer.TryParse(kube.Version);
            bool ok;
            try
            {
                ok = v is not null && SemVer.Satisfies(chart.Metadata.KubeVersion, v);
            }
            catch (GoFuncException)
            {
                ok = false;
            }

            if (!ok)
            {
                throw new HelmException($"chart requires kubeVersion: {chart.Metadata.KubeVersion} which is incompatible with Kubernetes {kube.Version}");
            }
        }

        var coalesced = Values.Coalesce(chart, vals);
        SchemaValidator.Validate(chart, coalesced);
        var caps = new CapabilitiesObject(kube, new VersionSetObject([.. CapabilitiesObject.DefaultApiVersions, .. options.ApiVersions]));
        var release = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["Name"] = options.ReleaseName,
            ["Namespace"] = options.Namespace,
            ["IsUpgrade"] = options.IsUpgrade,
            ["IsInstall"] = !options.IsUpgrade,
            ["Revision"] = 1,
            ["Service"] = "Helm",
        };
        var rendered = RenderTemplates(chart, coalesced, release, caps, options);
        foreach (var key in rendered.Keys.Where(k => k.EndsWith("NOTES.txt", StringComparison.Ordinal)).ToList())
        {
            rendered.Remove(key);
        }

        return Sort(chart, rendered, options);
    }

    private static KubeVersionObject ParseKubeVersion(string text)
    {
        var v = SemVer.TryParse(text.Trim()) ?? throw new HelmException($"invalid kube version {GoStrings.Quote(text)}: Invalid Semantic Version");
        return new KubeVersionObject("v" + v.GoString(), v.Major.ToString(System.Globalization.CultureInfo.InvariantCulture), v.Minor.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    private sealed record Renderable(string Text, Dictionary<string, object?> Vals, string BasePath);

    private static Dictionary<string, object?> AllTemplates(Chart c, Dictionary<string, Renderable> templates, Dictionary<string, object?> parentTop)
    {
        var subcharts = GoValues.NewMap();
        var md = c.Metadata.Copy();
        md.IsRoot = c.IsRoot;
        object? vals = GoValues.NewMap();
        if (c.IsRoot)
        {
            vals = parentTop["Values"];
        }
        else if (parentTop["Values"] is IDictionary<string, object?> pv && pv.TryGetValue(c.Name, out var mine) && mine is Dictionary<string, object?> mineMap)
        {
            vals = mineMap;
        }

        var next = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["Chart"] = md,
            ["Files"] = FilesObject.From(c.Files),
            ["Release"] = parentTop["Release"],
            ["Capabilities"] = parentTop["Capabilities"],
            ["Values"] = vals,
            ["Subcharts"] = subcharts,
        };
        foreach (var child in c.Dependencies)
        {
            subcharts[child.Name] = AllTemplates(child, templates, next);
        }

        var fullPath = c.FullPath;
        foreach (var t in c.Templates)
        {
            if (c.IsLibrary && !GoPath.Base(t.Name).StartsWith('_'))
            {
                continue;
            }

            templates[fullPath + "/" + t.Name] = new Renderable(Encoding.UTF8.GetString(t.Data), next, fullPath + "/templates");
        }

        return next;
    }

    private static Dictionary<string, string> RenderTemplates(Chart chart, Dictionary<string, object?> values, Dictionary<string, object?> release, CapabilitiesObject caps, HelmRenderOptions options)
    {
        var top = new Dictionary<string, object?>(StringComparer.Ordinal) { ["Values"] = values, ["Release"] = release, ["Capabilities"] = caps };
        var templates = new Dictionary<string, Renderable>(StringComparer.Ordinal);
        AllTemplates(chart, templates, top);

        // Deeper paths first, then reverse name order, so that definitions in parent charts win (Helm's sortTemplates).
        var keys = templates.Keys.ToList();
        keys.Sort((a, b) =>
        {
            var ca = a.Count(ch => ch == '/');
            var cb = b.Count(ch => ch == '/');
            return ca != cb ? cb.CompareTo(ca) : string.CompareOrdinal(b, a);
        });

        var limits = new ExecLimits
        {
            MaxDepth = options.Limits.MaxTemplateDepth,
            MaxOutputChars = options.Limits.MaxOutputChars,
            Deadline = Environment.TickCount64 + (long)options.Limits.Timeout.TotalMilliseconds,
            Cancellation = options.Cancellation,
        };
        var set = new TemplateSet(HelmFunctions.Create(options.Time), MissingKey.Zero, limits);
        HelmFunctions.Bind(set, new Dictionary<string, int>(StringComparer.Ordinal));
        foreach (var name in keys)
        {
            try
            {
                var text = templates[name].Text;
                set.AddParsed(ParsedTemplates.GetOrAdd(ContentCache<Dictionary<string, Tree>>.Key(name, text), () => set.ParseDetached(name, text)));
            }
            catch (TemplateException e)
            {
                var tokens = e.Message.Split(": ");
                throw new HelmException(tokens.Length == 1 ? $"parse error in ({name}): {e.Message}" : $"parse error at ({tokens[1]}): {tokens[^1]}");
            }
        }

        var rendered = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in keys)
        {
            if (GoPath.Base(name).StartsWith('_'))
            {
                continue;
            }

            var r = templates[name];
            r.Vals["Template"] = new Dictionary<string, object?>(StringComparer.Ordinal) { ["Name"] = name, ["BasePath"] = r.BasePath };
            try
            {
                rendered[name] = set.Execute(name, r.Vals).Replace("<no value>", "", StringComparison.Ordinal);
            }
            catch (TemplateException e)
            {
                throw new HelmException(CleanupExecError(name, e.Message));
            }
        }

        return rendered;
    }

    private static string CleanupExecError(string filename, string message)
    {
        var tokens = message.Split(": ", 3);
        if (tokens.Length != 3)
        {
            return $"execution error in ({filename}): {message}";
        }

        var warn = WarnPattern().Match(tokens[2]);
        return warn.Success ? $"execution error at ({tokens[1]}): {warn.Groups[1].Value}" : message;
    }

    private sealed record Doc(string Path, string Content, string Kind, string Name, object? Parsed, int Order);

    private static int KindRank(string kind)
    {
        for (var i = 0; i < InstallOrder.Count; i++)
        {
            if (InstallOrder[i] == kind)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Helm's lessByKind: known kinds by install order, unknown kinds after them alphabetically; stable otherwise.</summary>
    private static List<T> SortByKind<T>(List<T> items, Func<T, string> kind)
    {
        var indexed = items.Select((x, i) => (x, i)).ToList();
        indexed.Sort((a, b) =>
        {
            var ka = kind(a.x);
            var kb = kind(b.x);
            var ra = KindRank(ka);
            var rb = KindRank(kb);
            int c;
            if (ra < 0 && rb < 0)
            {
                c = string.CompareOrdinal(ka, kb);
            }
            else if (ra < 0)
            {
                c = 1;
            }
            else if (rb < 0)
            {
                c = -1;
            }
            else
            {
                c = ra.CompareTo(rb);
            }

            return c != 0 ? c : a.i.CompareTo(b.i);
        });
        return indexed.Select(p => p.x).ToList();
    }

    private static HelmRenderResult Sort(Chart chart, Dictionary<string, string> files, HelmRenderOptions options)
    {
        var generic = new List<Doc>();
        var hooks = new List<(Doc Doc, List<string> Events, int Weight, List<string> Policies)>();
        foreach (var path in files.Keys.Order(StringComparer.Ordinal))
        {
            var content = files[path];
            if (GoPath.Base(path).StartsWith('_') || content.Trim().Length == 0)
            {
                continue;
            }

            var docs = ManifestSeparator().Split(content.Trim()).Where(d => d.Length > 0).Select(d => d.Trim()).ToList();
            foreach (var m in docs)
            {
                object? parsed;
                try
                {
                    parsed = GoYaml.Load(m, floatNumbers: false);
                }
                catch (HelmYamlException e)
                {
                    throw new HelmException($"YAML parse error on {path}: error converting YAML to JSON: {e.Message}");
                }

                if (parsed is not (null or IDictionary<string, object?>))
                {
                    throw new HelmException($"YAML parse error on {path}: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {(parsed is IList<object?> ? "array" : "string")} into Go value of type releaseutil.SimpleHead");
                }

                var obj = parsed as IDictionary<string, object?>;
                var kind = obj?.Get("kind") as string ?? "";
                var metadata = obj?.Get("metadata") as IDictionary<string, object?>;
                var name = metadata?.Get("name") as string ?? "";
                var annotations = metadata?.Get("annotations") as IDictionary<string, object?>;
                var doc = new Doc(path, m, kind, name, parsed, generic.Count + hooks.Count);
                if (annotations?.Get("helm.sh/hook") is not string hookTypes)
                {
                    generic.Add(doc);
                    continue;
                }

                var events = new List<string>();
                var unknown = false;
                foreach (var raw in hookTypes.Split(','))
                {
                    var e = raw.Trim().ToLowerInvariant();
                    if (e == "test-success")
                    {
                        e = "test";
                    }

                    if (!HookEvents.Contains(e))
                    {
                        unknown = true;
                        break;
                    }

                    events.Add(e);
                }

                if (unknown)
                {
                    continue;
                }

                var weight = annotations.Get("helm.sh/hook-weight") is string w && int.TryParse(w, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var hw) ? hw : 0;
                var policies = annotations.Get("helm.sh/hook-delete-policy") is string p
                    ? p.Split(',').Select(x => x.Trim()).Where(x => x.Length > 0).ToList()
                    : [];
                hooks.Add((doc, events, weight, policies));
            }
        }

        var sortedManifests = SortByKind(generic, d => d.Kind);
        var sortedHooks = SortByKind(hooks, h => h.Doc.Kind);
        if (options.SkipTests)
        {
            sortedHooks = sortedHooks.Where(h => !h.Events.Contains("test")).ToList();
        }

        var text = new StringBuilder();
        var crds = new List<JsonObject>();
        if (options.IncludeCrds)
        {
            foreach (var crd in AllCrds(chart))
            {
                var data = Encoding.UTF8.GetString(crd.File.Data);
                text.Append("---\n# Source: ").Append(crd.Path).Append('\n').Append(data).Append('\n');
                foreach (var d in GoYaml.LoadAll(data, floatNumbers: false))
                {
                    if (ToJson(d) is JsonObject o)
                    {
                        crds.Add(o);
                    }
                }
            }
        }

        foreach (var m in sortedManifests)
        {
            text.Append("---\n# Source: ").Append(m.Path).Append('\n').Append(m.Content).Append('\n');
        }

        foreach (var h in sortedHooks)
        {
            text.Append("---\n# Source: ").Append(h.Doc.Path).Append('\n').Append(h.Doc.Content).Append('\n');
        }

        return new HelmRenderResult
        {
            Crds = crds,
            Objects = sortedManifests.Select(m => ToJson(m.Parsed)).OfType<JsonObject>().ToList(),
            Hooks = sortedHooks.Select(h => new HelmHook
            {
                Object = ToJson(h.Doc.Parsed) as JsonObject ?? [],
                Name = h.Doc.Name,
                Kind = h.Doc.Kind,
                Path = h.Doc.Path,
                Events = h.Events,
                Weight = h.Weight,
                DeletePolicies = h.Policies,
            }).ToList(),
            Manifest = text.ToString(),
        };
    }

    /// <summary>CRDs of the chart and its enabled subcharts, parents first (Chart.CRDObjects).</summary>
    private static IEnumerable<(string Path, ChartFile File)> AllCrds(Chart chart)
    {
        foreach (var f in chart.CrdObjects())
        {
            yield return (chart.FullPath + "/" + f.Name, f);
        }

        foreach (var d in chart.Dependencies)
        {
            foreach (var x in AllCrds(d))
            {
                yield return x;
            }
        }
    }

    /// <summary>A Go value as System.Text.Json nodes (ints as long, floats as double).</summary>
    internal static JsonNode? ToJson(object? v) => v switch
    {
        null => null,
        IDictionary<string, object?> m => new JsonObject(m.Select(kv => KeyValuePair.Create(kv.Key, ToJson(kv.Value)))),
        IList<object?> l => new JsonArray(l.Select(ToJson).ToArray()),
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        long n => JsonValue.Create(n),
        int n => JsonValue.Create((long)n),
        double d => double.IsFinite(d) ? JsonValue.Create(d) : JsonValue.Create(GoValues.FormatFloat(d, 'g', -1)),
        _ => JsonValue.Create(GoValues.Format(v)),
    };
}
