using System.Text;
using Fleet.Helm.Template;

namespace Fleet.Helm.Charts;

/// <summary>A maintainer in Chart.yaml.</summary>
internal sealed class Maintainer : GoObject
{
    public string Name { get; init; } = "";

    public string Email { get; init; } = "";

    public string Url { get; init; } = "";

    public override string GoType => "*chart.Maintainer";

    public override bool TryGetField(string name, out object? value)
    {
        value = name switch { "Name" => Name, "Email" => Email, "URL" => Url, _ => null };
        return value is not null;
    }

    public override string FormatValue() => $"{{{Name} {Email} {Url}}}";

    public override object? JsonValue()
    {
        var m = GoValues.NewMap();
        AddIf(m, "name", Name);
        AddIf(m, "email", Email);
        AddIf(m, "url", Url);
        return m;
    }

    internal static void AddIf(Dictionary<string, object?> m, string key, string value)
    {
        if (value.Length > 0)
        {
            m[key] = value;
        }
    }
}

/// <summary>A dependency in Chart.yaml (or requirements.yaml of a v1 chart).</summary>
internal sealed class ChartDependency : GoObject
{
    public string Name { get; set; } = "";

    public string Version { get; init; } = "";

    public string Repository { get; init; } = "";

    public string Condition { get; init; } = "";

    public List<string> Tags { get; init; } = [];

    public bool Enabled { get; set; }

    public List<object?> ImportValues { get; set; } = [];

    public string Alias { get; init; } = "";

    public override string GoType => "*chart.Dependency";

    public override bool TryGetField(string name, out object? value)
    {
        value = name switch
        {
            "Name" => Name,
            "Version" => Version,
            "Repository" => Repository,
            "Condition" => Condition,
            "Tags" => Tags.Cast<object?>().ToList(),
            "Enabled" => Enabled,
            "ImportValues" => ImportValues,
            "Alias" => Alias,
            _ => null,
        };
        return value is not null;
    }

    public override object? JsonValue()
    {
        var m = GoValues.NewMap();
        m["name"] = Name;
        Maintainer.AddIf(m, "version", Version);
        m["repository"] = Repository;
        Maintainer.AddIf(m, "condition", Condition);
        if (Tags.Count > 0)
        {
            m["tags"] = Tags.Cast<object?>().ToList();
        }

        if (Enabled)
        {
            m["enabled"] = true;
        }

        if (ImportValues.Count > 0)
        {
            m["import-values"] = ImportValues;
        }

        Maintainer.AddIf(m, "alias", Alias);
        return m;
    }
}

/// <summary>Chart.yaml as templates see it in .Chart (Helm's chart.Metadata plus IsRoot).</summary>
internal sealed class ChartMetadata : GoObject
{
    public string Name { get; set; } = "";

    public string Home { get; init; } = "";

    public List<string> Sources { get; init; } = [];

    public string Version { get; init; } = "";

    public string Description { get; init; } = "";

    public List<string> Keywords { get; init; } = [];

    public List<Maintainer> Maintainers { get; init; } = [];

    public string Icon { get; init; } = "";

    public string ApiVersion { get; set; } = "";

    public string Condition { get; init; } = "";

    public string Tags { get; init; } = "";

    public string AppVersion { get; init; } = "";

    public bool Deprecated { get; init; }

    public Dictionary<string, object?> Annotations { get; init; } = GoValues.NewMap();

    public string KubeVersion { get; init; } = "";

    public List<ChartDependency> Dependencies { get; set; } = [];

    public string Type { get; init; } = "";

    public bool IsRoot { get; set; }

    public override string GoType => "struct { chart.Metadata; IsRoot bool }";

    public ChartMetadata Copy() => (ChartMetadata)MemberwiseClone();

    public override bool TryGetField(string name, out object? value)
    {
        value = name switch
        {
            "Name" => Name,
            "Home" => Home,
            "Sources" => Sources.Cast<object?>().ToList(),
            "Version" => Version,
            "Description" => Description,
            "Keywords" => Keywords.Cast<object?>().ToList(),
            "Maintainers" => Maintainers.Cast<object?>().ToList(),
            "Icon" => Icon,
            "APIVersion" => ApiVersion,
            "Condition" => Condition,
            "Tags" => Tags,
            "AppVersion" => AppVersion,
            "Deprecated" => Deprecated,
            "Annotations" => Annotations,
            "KubeVersion" => KubeVersion,
            "Dependencies" => Dependencies.Cast<object?>().ToList(),
            "Type" => Type,
            "IsRoot" => IsRoot,
            "Metadata" => this,
            _ => null,
        };
        return value is not null;
    }

    public override string FormatValue()
    {
        var sb = new StringBuilder("{{");
        sb.Append(Name).Append(' ').Append(Home).Append(' ');
        GoValues.Format(sb, Sources.Cast<object?>().ToList());
        sb.Append(' ').Append(Version).Append(' ').Append(Description).Append(' ');
        GoValues.Format(sb, Keywords.Cast<object?>().ToList());
        sb.Append(' ');
        GoValues.Format(sb, Maintainers.Cast<object?>().ToList());
        sb.Append(' ').Append(Icon).Append(' ').Append(ApiVersion).Append(' ').Append(Condition).Append(' ').Append(Tags).Append(' ').Append(AppVersion)
            .Append(' ').Append(Deprecated ? "true" : "false").Append(' ');
        GoValues.Format(sb, Annotations);
        sb.Append(' ').Append(KubeVersion).Append(' ');
        GoValues.Format(sb, Dependencies.Cast<object?>().ToList());
        sb.Append(' ').Append(Type).Append("} ").Append(IsRoot ? "true" : "false").Append('}');
        return sb.ToString();
    }

    public override object? JsonValue()
    {
        var m = GoValues.NewMap();
        Maintainer.AddIf(m, "name", Name);
        Maintainer.AddIf(m, "home", Home);
        if (Sources.Count > 0)
        {
            m["sources"] = Sources.Cast<object?>().ToList();
        }

        Maintainer.AddIf(m, "version", Version);
        Maintainer.AddIf(m, "description", Description);
        if (Keywords.Count > 0)
        {
            m["keywords"] = Keywords.Cast<object?>().ToList();
        }

        if (Maintainers.Count > 0)
        {
            m["maintainers"] = Maintainers.Select(x => x.JsonValue()).ToList();
        }

        Maintainer.AddIf(m, "icon", Icon);
        Maintainer.AddIf(m, "apiVersion", ApiVersion);
        Maintainer.AddIf(m, "condition", Condition);
        Maintainer.AddIf(m, "tags", Tags);
        Maintainer.AddIf(m, "appVersion", AppVersion);
        if (Deprecated)
        {
            m["deprecated"] = true;
        }

        if (Annotations.Count > 0)
        {
            m["annotations"] = Annotations;
        }

        Maintainer.AddIf(m, "kubeVersion", KubeVersion);
        if (Dependencies.Count > 0)
        {
            m["dependencies"] = Dependencies.Select(d => d.JsonValue()).ToList();
        }

        Maintainer.AddIf(m, "type", Type);
        m["IsRoot"] = IsRoot;
        return m;
    }
}
