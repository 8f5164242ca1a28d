using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Fleet.Helm.Formats;
using Fleet.Helm.Functions;
using Fleet.Helm.Template;

namespace Fleet.Helm.Charts;

/// <summary>Loads charts from directories and .tgz archives as Helm's chart/loader does.</summary>
internal static class ChartLoader
{
    public static Chart Load(string path, HelmLimits limits)
    {
        if (Directory.Exists(path))
        {
            return LoadDirectory(path, limits);
        }

        if (File.Exists(path))
        {
            using var stream = File.OpenRead(path);
            return LoadArchive(stream, Path.GetFileName(path), limits, 0);
        }

        throw new HelmException($"path {Path.GetFileName(path)} not found");
    }

    public static Chart LoadDirectory(string dir, HelmLimits limits)
    {
        var root = Path.GetFullPath(dir);
        var ignoreFile = Path.Combine(root, ".helmignore");
        var rules = HelmIgnore.Parse(File.Exists(ignoreFile) ? File.ReadAllText(ignoreFile) : null);
        var files = new List<ChartFile>();
        long total = 0;
        Walk(root, "");
        return LoadFiles(files, limits, 0, Path.GetFileName(root));

        void Walk(string abs, string rel)
        {
            foreach (var entry in new DirectoryInfo(abs).EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal))
            {
                var name = rel.Length == 0 ? entry.Name : rel + "/" + entry.Name;
                var isDir = entry is DirectoryInfo || (entry.LinkTarget is not null && Directory.Exists(entry.FullName));
                if (rules.Ignore(name, isDir))
                {
                    continue;
                }

                if (isDir)
                {
                    Walk(entry.FullName, name);
                    continue;
                }

                var info = new FileInfo(entry.FullName);
                if (!info.Exists)
                {
                    throw new HelmException($"cannot load irregular file {name} as it has file mode type bits set");
                }

                if (info.Length > limits.MaxFileBytes)
                {
                    throw new HelmException($"file {name} is larger than the maximum file size {limits.MaxFileBytes}");
                }

                total += info.Length;
                if (total > limits.MaxChartBytes)
                {
                    throw new HelmException($"chart exceeds the maximum size {limits.MaxChartBytes}");
                }

                files.Add(new ChartFile(name, File.ReadAllBytes(entry.FullName)));
            }
        }
    }

    public static Chart LoadArchive(Stream stream, string what, HelmLimits limits, int depth)
    {
        var files = new List<ChartFile>();
        long total = 0;
        try
        {
            using var gz = new GZipStream(stream, CompressionMode.Decompress, leaveOpen: true);
            using var tar = new TarReader(gz);
            while (tar.GetNextEntry() is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
                {
                    continue;
                }

                var parts = entry.Name.Replace('\\', '/').Split('/', 2);
                if (parts.Length < 2)
                {
                    continue;
                }

                var name = parts[1];
                if (name.StartsWith('/') || name.Split('/').Contains(".."))
                {
                    throw new HelmException($"chart illegally contains content outside the base directory: {entry.Name}");
                }

                if (entry.Length > limits.MaxFileBytes)
                {
                    throw new HelmException($"decompressed chart file {name} is larger than the maximum file size {limits.MaxFileBytes}");
                }

                total += entry.Length;
                if (total > limits.MaxChartBytes)
                {
                    throw new HelmException($"decompressed chart is larger than the maximum size {limits.MaxChartBytes}");
                }

                using var ms = new MemoryStream();
                entry.DataStream?.CopyTo(ms);
                files.Add(new ChartFile(name, ms.ToArray()));
            }
        }
        catch (InvalidDataException e)
        {
            throw new HelmException($"{what}: not a gzipped tar archive: {e.Message}");
        }

        if (files.Count == 0)
        {
            throw new HelmException($"{what}: no files in chart archive");
        }

        return LoadFiles(files, limits, depth, what);
    }

    private static string Text(byte[] data) => new UTF8Encoding(false).GetString(data).TrimStart('\uFEFF');

    public static Chart LoadFiles(List<ChartFile> files, HelmLimits limits, int depth, string what)
    {
        if (depth > limits.MaxSubchartDepth)
        {
            throw new HelmException($"{what}: subcharts nested deeper than {limits.MaxSubchartDepth} levels");
        }

        if (files.Count == 0)
        {
            throw new HelmException($"{what}: no files in chart archive");
        }

        ChartMetadata? metadata = null;
        var values = GoValues.NewMap();
        byte[]? schema = null;
        List<ChartDependency>? requirements = null;
        var templates = new List<ChartFile>();
        var other = new List<ChartFile>();
        var subcharts = new SortedDictionary<string, List<ChartFile>>(StringComparer.Ordinal);
        foreach (var f in files)
        {
            switch (f.Name)
            {
                case "Chart.yaml":
                    metadata = ParseMetadata(Text(f.Data), what);
                    continue;
                case "Chart.lock" or "requirements.lock":
                    continue;
                case "values.yaml":
                    values = LoadValues(Text(f.Data), $"{what}: cannot load values.yaml");
                    continue;
                case "values.schema.json":
                    schema = f.Data;
                    continue;
                case "requirements.yaml":
                    var req = GoYaml.Load(Text(f.Data), floatNumbers: false) as IDictionary<string, object?>;
                    requirements = ParseDependencies(req?.Get("dependencies"));
                    continue;
            }

            if (f.Name.StartsWith("templates/", StringComparison.Ordinal))
            {
                templates.Add(f);
            }
            else if (f.Name.StartsWith("charts/", StringComparison.Ordinal))
            {
                if (f.Name.EndsWith(".prov", StringComparison.Ordinal))
                {
                    other.Add(f);
                    continue;
                }

                var rest = f.Name["charts/".Length..];
                var cname = rest.Split('/', 2)[0];
                if (!subcharts.TryGetValue(cname, out var list))
                {
                    subcharts[cname] = list = [];
                }

                list.Add(new ChartFile(rest, f.Data));
            }
            else
            {
                other.Add(f);
            }
        }

        if (metadata is null)
        {
            throw new HelmException("Chart.yaml file is missing");
        }

        if (metadata.ApiVersion == "v1" && requirements is not null)
        {
            metadata.Dependencies = requirements;
        }

        Validate(metadata, what);
        var chart = new Chart { Metadata = metadata, Values = values, Schema = schema, Templates = templates, Files = other };
        foreach (var (cname, list) in subcharts)
        {
            Chart sub;
            if (cname.EndsWith(".tgz", StringComparison.Ordinal) || cname.EndsWith(".tar.gz", StringComparison.Ordinal))
            {
                if (list.Count != 1 || list[0].Name != cname)
                {
                    throw new HelmException($"error unpacking tar in {metadata.Name}: expected {cname}, got {list[0].Name}");
                }

                using var ms = new MemoryStream(list[0].Data);
                sub = LoadArchive(ms, $"charts/{cname}", limits, depth + 1);
            }
            else
            {
                var buff = list.Where(x => x.Name.Contains('/', StringComparison.Ordinal)).Select(x => x with { Name = x.Name.Split('/', 2)[1] }).ToList();
                try
                {
                    sub = LoadFiles(buff, limits, depth + 1, $"{what}/charts/{cname}");
                }
                catch (HelmException e)
                {
                    throw new HelmException($"error unpacking subchart {cname} in {metadata.Name}: {e.Message}");
                }
            }

            sub.Parent = chart;
            chart.Dependencies.Add(sub);
        }

        return chart;
    }

    private static readonly ContentCache<Dictionary<string, object?>> ParsedValues = new(512);

    /// <summary>A values document (parsed once per content; each caller gets its own copy).</summary>
    public static Dictionary<string, object?> LoadValues(string text, string what) =>
        (Dictionary<string, object?>)GoYaml.DeepCopy(ParsedValues.GetOrAdd(ContentCache<Dictionary<string, object?>>.Key(text), () => ParseValues(text, what)))!;

    private static Dictionary<string, object?> ParseValues(string text, string what)
    {
        try
        {
            return GoYaml.Load(text, floatNumbers: true) switch
            {
                null => GoValues.NewMap(),
                Dictionary<string, object?> m => m,
                var other => throw new HelmException($"{what}: error unmarshaling JSON: json: cannot unmarshal {(other is IList<object?> ? "array" : "string")} into Go value of type map[string]interface {{}}"),
            };
        }
        catch (HelmYamlException e)
        {
            throw new HelmException($"{what}: error converting YAML to JSON: {e.Message}");
        }
    }

    private static string Str(IDictionary<string, object?> m, string key, string what)
    {
        if (!m.TryGetValue(key, out var v) || v is null)
        {
            return "";
        }

        return v switch
        {
            string s => s,
            bool or long or double => throw new HelmException($"{what}: cannot load Chart.yaml: error unmarshaling JSON: json: cannot unmarshal {(v is bool ? "bool" : "number")} into Go struct field Metadata.{key} of type string"),
            _ => throw new HelmException($"{what}: cannot load Chart.yaml: field {key} must be a string"),
        };
    }

    private static List<string> StrList(object? v) => v is IList<object?> l ? l.Select(GoValues.StrVal).ToList() : [];

    private static ChartMetadata ParseMetadata(string text, string what)
    {
        object? doc;
        try
        {
            doc = GoYaml.Load(text, floatNumbers: false);
        }
        catch (HelmYamlException e)
        {
            throw new HelmException($"{what}: cannot load Chart.yaml: error converting YAML to JSON: {e.Message}");
        }

        var m = doc as IDictionary<string, object?> ?? GoValues.NewMap();
        var md = new ChartMetadata
        {
            Name = Str(m, "name", what),
            Home = Str(m, "home", what),
            Sources = StrList(m.Get("sources")),
            Version = Str(m, "version", what),
            Description = Str(m, "description", what),
            Keywords = StrList(m.Get("keywords")),
            Maintainers = (m.Get("maintainers") as IList<object?> ?? []).OfType<IDictionary<string, object?>>()
                .Select(x => new Maintainer { Name = Str(x, "name", what), Email = Str(x, "email", what), Url = Str(x, "url", what) }).ToList(),
            Icon = Str(m, "icon", what),
            ApiVersion = Str(m, "apiVersion", what),
            Condition = Str(m, "condition", what),
            Tags = Str(m, "tags", what),
            AppVersion = m.Get("appVersion") is { } av and not string ? GoValues.Format(av) : Str(m, "appVersion", what),
            Deprecated = m.Get("deprecated") is true,
            Annotations = m.Get("annotations") as Dictionary<string, object?> ?? GoValues.NewMap(),
            KubeVersion = Str(m, "kubeVersion", what),
            Dependencies = ParseDependencies(m.Get("dependencies")),
            Type = Str(m, "type", what),
        };
        if (md.ApiVersion.Length == 0)
        {
            md.ApiVersion = "v1";
        }

        return md;
    }

    private static List<ChartDependency> ParseDependencies(object? v)
    {
        var result = new List<ChartDependency>();
        foreach (var item in v as IList<object?> ?? [])
        {
            if (item is not IDictionary<string, object?> d)
            {
                continue;
            }

            string S(string key) => d.TryGetValue(key, out var x) && x is not null ? GoValues.StrVal(x) : "";
            result.Add(new ChartDependency
            {
                Name = S("name"),
                Version = S("version"),
                Repository = S("repository"),
                Condition = S("condition"),
                Tags = StrList(d.Get("tags")),
                Enabled = d.Get("enabled") is true,
                ImportValues = d.Get("import-values") as List<object?> ?? [],
                Alias = S("alias"),
            });
        }

        return result;
    }

    private static void Validate(ChartMetadata md, string what)
    {
        string? problem = null;
        if (md.Name.Length == 0)
        {
            problem = "chart.metadata.name is required";
        }
        else if (md.Name.Contains('/', StringComparison.Ordinal) || md.Name.Contains('\\', StringComparison.Ordinal) || md.Name is "." or "..")
        {
            problem = $"chart.metadata.name {GoStrings.Quote(md.Name)} is invalid";
        }
        else if (md.Version.Length == 0)
        {
            problem = "chart.metadata.version is required";
        }
        else if (SemVer.TryParse(md.Version) is null)
        {
            problem = $"chart.metadata.version {GoStrings.Quote(md.Version)} is invalid";
        }
        else if (md.Type is not ("" or "application" or "library"))
        {
            problem = "chart.metadata.type must be application or library";
        }
        else
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var dep in md.Dependencies)
            {
                var key = dep.Alias.Length > 0 ? dep.Alias : dep.Name;
                if (!seen.Add(key))
                {
                    problem = $"more than one dependency with name or alias {GoStrings.Quote(key)}";
                    break;
                }
            }
        }

        if (problem is not null)
        {
            throw new HelmException($"{what}: validation: {problem}");
        }
    }
}
