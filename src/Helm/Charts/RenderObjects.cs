using System.Text;
using DotNet.Globbing;
using Fleet.Helm.Formats;
using Fleet.Helm.Template;

namespace Fleet.Helm.Charts;

/// <summary>.Files: the chart's non-template files, a map of path to bytes with Helm's methods.</summary>
internal sealed class FilesObject(SortedDictionary<string, byte[]> files) : GoObject, IGoRangeable
{
    public override string GoType => "engine.files";

    public static FilesObject From(IEnumerable<ChartFile> files)
    {
        var map = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var f in files)
        {
            map[f.Name] = f.Data;
        }

        return new FilesObject(map);
    }

    public override bool TryGetField(string name, out object? value)
    {
        // files is a map type: a name that is not a method is a map key (nil []byte when absent).
        value = files.TryGetValue(name, out var data) ? data : null;
        return true;
    }

    public override Func<object?[], object?>? Method(string name) => name switch
    {
        "Get" => a => files.TryGetValue(GoValues.Str(a[0]), out var d) ? Encoding.UTF8.GetString(d) : "",
        "GetBytes" => a => files.TryGetValue(GoValues.Str(a[0]), out var d) ? d : null,
        "Glob" => a => Glob(GoValues.Str(a[0])),
        "Lines" => a => Lines(GoValues.Str(a[0])),
        "AsConfig" => _ => AsConfig(),
        "AsSecrets" => _ => AsSecrets(),
        _ => null,
    };

    public IEnumerable<(object? Key, object? Value)> Entries() => files.Select(kv => ((object?)kv.Key, (object?)kv.Value));

    public override string FormatValue()
    {
        var sb = new StringBuilder("map[");
        var first = true;
        foreach (var (k, v) in files)
        {
            if (!first)
            {
                sb.Append(' ');
            }

            first = false;
            sb.Append(k).Append(':');
            GoValues.Format(sb, v);
        }

        return sb.Append(']').ToString();
    }

    public override object? JsonValue() => files.ToDictionary(kv => kv.Key, kv => (object?)Convert.ToBase64String(kv.Value), StringComparer.Ordinal);

    private FilesObject Glob(string pattern)
    {
        Glob glob;
        try
        {
            glob = DotNet.Globbing.Glob.Parse(pattern);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IndexOutOfRangeException or FormatException)
        {
            return new FilesObject(new SortedDictionary<string, byte[]>(StringComparer.Ordinal));
        }

        var result = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (k, v) in files)
        {
            if (glob.IsMatch(k))
            {
                result[k] = v;
            }
        }

        return new FilesObject(result);
    }

    private List<object?> Lines(string path)
    {
        if (!files.TryGetValue(path, out var data) || data.Length == 0)
        {
            return [];
        }

        var s = Encoding.UTF8.GetString(data);
        if (s.EndsWith('\n'))
        {
            s = s[..^1];
        }

        return s.Split('\n').Cast<object?>().ToList();
    }

    private string AsConfig()
    {
        var m = GoValues.NewMap();
        foreach (var (k, v) in files)
        {
            m[k[(k.LastIndexOf('/') + 1)..]] = Encoding.UTF8.GetString(v);
        }

        return GoYaml.Dump(m).TrimEnd('\n');
    }

    private string AsSecrets()
    {
        var m = GoValues.NewMap();
        foreach (var (k, v) in files)
        {
            m[k[(k.LastIndexOf('/') + 1)..]] = Convert.ToBase64String(v);
        }

        return GoYaml.Dump(m).TrimEnd('\n');
    }
}

/// <summary>.Capabilities.KubeVersion.</summary>
internal sealed class KubeVersionObject(string version, string major, string minor) : GoObject
{
    public string Version { get; } = version;

    public override string GoType => "chartutil.KubeVersion";

    public override bool TryGetField(string name, out object? value)
    {
        value = name switch
        {
            "Version" or "GitVersion" or "String" => Version,
            "Major" => major,
            "Minor" => minor,
            _ => null,
        };
        return value is not null;
    }

    public override string? GoString() => Version;

    public override string FormatValue() => $"{{{Version} {major} {minor}}}";

    public override object? JsonValue() => new Dictionary<string, object?>(StringComparer.Ordinal) { ["Version"] = Version, ["Major"] = major, ["Minor"] = minor };
}

/// <summary>.Capabilities.APIVersions: a list with Has.</summary>
internal sealed class VersionSetObject(IReadOnlyList<string> versions) : GoObject, IGoRangeable
{
    public IReadOnlyList<string> Versions { get; } = versions;

    public override string GoType => "chartutil.VersionSet";

    public override bool TryGetField(string name, out object? value)
    {
        value = null;
        return false;
    }

    public override Func<object?[], object?>? Method(string name) => name == "Has" ? a => Versions.Contains(GoValues.Str(a[0])) : null;

    public IEnumerable<(object? Key, object? Value)> Entries() => Versions.Select((v, i) => ((object?)i, (object?)v));

    public override string FormatValue() => "[" + string.Join(" ", Versions) + "]";

    public override object? JsonValue() => Versions.Cast<object?>().ToList();
}

/// <summary>.Capabilities.HelmVersion (the Helm release this engine matches).</summary>
internal sealed class HelmVersionObject : GoObject
{
    public const string Version = "v3.17.4";
    private const string GitCommit = "595a05da6166037d0abebaa27ac8a498fa4d7ed2";
    private const string GoVersion = "go1.23.5";

    public override string GoType => "version.BuildInfo";

    public override bool TryGetField(string name, out object? value)
    {
        value = name switch
        {
            "Version" => Version,
            "GitCommit" => GitCommit,
            "GitTreeState" => "clean",
            "GoVersion" => GoVersion,
            _ => null,
        };
        return value is not null;
    }

    public override string FormatValue() => $"{{{Version} {GitCommit} clean {GoVersion}}}";

    public override object? JsonValue() => new Dictionary<string, object?>(StringComparer.Ordinal)
    {
        ["version"] = Version,
        ["git_commit"] = GitCommit,
        ["git_tree_state"] = "clean",
        ["go_version"] = GoVersion,
    };
}

/// <summary>.Capabilities.</summary>
internal sealed class CapabilitiesObject(KubeVersionObject kube, VersionSetObject apis) : GoObject
{
    private static readonly HelmVersionObject Helm = new();

    public KubeVersionObject KubeVersion { get; } = kube;

    public VersionSetObject ApiVersions { get; } = apis;

    public override string GoType => "*chartutil.Capabilities";

    public override bool TryGetField(string name, out object? value)
    {
        value = name switch
        {
            "KubeVersion" => KubeVersion,
            "APIVersions" => ApiVersions,
            "HelmVersion" => Helm,
            _ => null,
        };
        return value is not null;
    }

    public override string FormatValue() => $"{{{KubeVersion.FormatValue()} {ApiVersions.FormatValue()} {Helm.FormatValue()}}}";

    public override object? JsonValue() => new Dictionary<string, object?>(StringComparer.Ordinal)
    {
        ["KubeVersion"] = KubeVersion.JsonValue(),
        ["APIVersions"] = ApiVersions.JsonValue(),
        ["HelmVersion"] = Helm.JsonValue(),
    };

    /// <summary>The API versions `helm template` assumes without a cluster (client-go's built-in scheme).</summary>
    public static readonly string[] DefaultApiVersions =
    [
        "v1", "admissionregistration.k8s.io/v1", "admissionregistration.k8s.io/v1alpha1", "admissionregistration.k8s.io/v1beta1",
        "internal.apiserver.k8s.io/v1alpha1", "apps/v1", "apps/v1beta1", "apps/v1beta2", "authentication.k8s.io/v1",
        "authentication.k8s.io/v1alpha1", "authentication.k8s.io/v1beta1", "authorization.k8s.io/v1", "authorization.k8s.io/v1beta1",
        "autoscaling/v1", "autoscaling/v2", "autoscaling/v2beta1", "autoscaling/v2beta2", "batch/v1", "batch/v1beta1",
        "certificates.k8s.io/v1", "certificates.k8s.io/v1beta1", "certificates.k8s.io/v1alpha1", "coordination.k8s.io/v1alpha2",
        "coordination.k8s.io/v1beta1", "coordination.k8s.io/v1", "discovery.k8s.io/v1", "discovery.k8s.io/v1beta1", "events.k8s.io/v1",
        "events.k8s.io/v1beta1", "extensions/v1beta1", "flowcontrol.apiserver.k8s.io/v1", "flowcontrol.apiserver.k8s.io/v1beta1",
        "flowcontrol.apiserver.k8s.io/v1beta2", "flowcontrol.apiserver.k8s.io/v1beta3", "networking.k8s.io/v1",
        "networking.k8s.io/v1alpha1", "networking.k8s.io/v1beta1", "node.k8s.io/v1", "node.k8s.io/v1alpha1", "node.k8s.io/v1beta1",
        "policy/v1", "policy/v1beta1", "rbac.authorization.k8s.io/v1", "rbac.authorization.k8s.io/v1beta1",
        "rbac.authorization.k8s.io/v1alpha1", "resource.k8s.io/v1beta1", "resource.k8s.io/v1alpha3", "scheduling.k8s.io/v1alpha1",
        "scheduling.k8s.io/v1beta1", "scheduling.k8s.io/v1", "storage.k8s.io/v1beta1", "storage.k8s.io/v1", "storage.k8s.io/v1alpha1",
        "storagemigration.k8s.io/v1alpha1", "apiextensions.k8s.io/v1beta1", "apiextensions.k8s.io/v1",
    ];
}
