using Fleet.Helm.Template;

namespace Fleet.Helm.Charts;

/// <summary>A file of a chart, its path relative to the chart root with '/' separators.</summary>
internal sealed record ChartFile(string Name, byte[] Data);

/// <summary>A loaded chart: metadata, default values, templates, other files and subcharts (Helm's chart.Chart).</summary>
internal sealed class Chart
{
    public required ChartMetadata Metadata { get; set; }

    public Dictionary<string, object?> Values { get; set; } = GoValues.NewMap();

    public byte[]? Schema { get; init; }

    public List<ChartFile> Templates { get; init; } = [];

    public List<ChartFile> Files { get; init; } = [];

    public List<Chart> Dependencies { get; set; } = [];

    public Chart? Parent { get; set; }

    public string Name => Metadata.Name;

    public bool IsRoot => Parent is null;

    public bool IsLibrary => Metadata.Type == "library";

    public string FullPath => Parent is null ? Name : Parent.FullPath + "/charts/" + Name;

    public IEnumerable<ChartFile> CrdObjects() =>
        Files.Where(f => f.Name.StartsWith("crds/", StringComparison.Ordinal) && (f.Name.EndsWith(".yaml", StringComparison.Ordinal) || f.Name.EndsWith(".yml", StringComparison.Ordinal) || f.Name.EndsWith(".json", StringComparison.Ordinal)));

    /// <summary>A shallow copy with its own metadata (for an aliased dependency).</summary>
    public Chart CopyWithName(string name)
    {
        var md = Metadata.Copy();
        md.Name = name;
        return new Chart
        {
            Metadata = md,
            Values = Values,
            Schema = Schema,
            Templates = Templates,
            Files = Files,
            Dependencies = Dependencies,
            Parent = Parent,
        };
    }
}
