using System.Text.Json;
using System.Text.Json.Nodes;
using Fleet.Cli.Commands;
using Fleet.Rendering;
using static Fleet.Cli.Output.ObjectView;

namespace Fleet.Cli.Output;

/// <summary>Output formats of <c>fleet get</c>: kubectl's <c>table</c>, <c>wide</c>, <c>json</c> and <c>yaml</c>.</summary>
internal enum OutputFormat
{
    Table,
    Wide,
    Json,
    Yaml,
}

/// <summary>Prints API objects as tables (Spectre.Console, borderless like kubectl's) or as JSON or YAML documents.</summary>
internal static class Printer
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static string[] FormatNames { get; } = ["table", "wide", "json", "yaml"];

    public static OutputFormat ParseFormat(string? name) => name?.ToLowerInvariant() switch
    {
        null or "table" => OutputFormat.Table,
        "wide" => OutputFormat.Wide,
        "json" => OutputFormat.Json,
        "yaml" => OutputFormat.Yaml,
        _ => throw new CliException($"unknown output format \"{name}\": use one of {string.Join(", ", FormatNames)}", CliHost.BadArguments),
    };

    /// <summary>One object, or a list (<paramref name="single"/> false) as a table or a List document.</summary>
    public static void Print(TextWriter output, CliKind kind, IReadOnlyList<JsonNode> items, OutputFormat format, bool single, bool allNamespaces, DateTimeOffset now)
    {
        switch (format)
        {
            case OutputFormat.Json:
                output.WriteLine(Document(kind, items, single).ToJsonString(Indented));
                return;
            case OutputFormat.Yaml:
                output.Write(new RenderResult([Document(kind, items, single)]).ToYaml());
                return;
        }
        if (items.Count == 0)
        {
            output.WriteLine("No resources found.");
            return;
        }
        var columns = Columns(kind, format == OutputFormat.Wide);
        var headers = columns.Select(c => c.Header);
        var table = TableWriter.Create(allNamespaces ? headers.Prepend("NAMESPACE") : headers);
        foreach (var item in items)
        {
            var cells = columns.Select(c => c.Value(item, now));
            TableWriter.AddRow(table, allNamespaces ? cells.Prepend(Namespace(item)) : cells);
        }
        TableWriter.Write(output, table);
    }

    private static JsonObject Document(CliKind kind, IReadOnlyList<JsonNode> items, bool single) =>
        single
            ? items[0].DeepClone().AsObject()
            : new JsonObject
            {
                ["apiVersion"] = "fleet.dev/v1",
                ["kind"] = kind.Kind + "List",
                ["items"] = new JsonArray(items.Select(i => i.DeepClone()).ToArray()),
            };

    private sealed record Column(string Header, Func<JsonNode, DateTimeOffset, string> Value);

    private static List<Column> Columns(CliKind kind, bool wide)
    {
        var columns = new List<Column> { new("NAME", (o, _) => Name(o)) };
        if (kind == CliKind.Cluster)
        {
            columns.Add(new("READY", (o, _) => Ready(o)));
            columns.Add(new("VERSION", (o, _) => Str(o, "status", "kubernetesVersion")));
            if (wide)
            {
                columns.Add(new("SERVER", (o, _) => Str(o, "spec", "server")));
                columns.Add(new("LABELS", (o, _) => Labels(o)));
            }
        }
        else if (kind == CliKind.Source)
        {
            columns.Add(new("READY", (o, _) => Ready(o)));
            columns.Add(new("REVISION", (o, _) => Str(o, "status", "artifact", "revision")));
            if (wide)
            {
                columns.Add(new("URL", (o, _) => Str(o, "spec", "url")));
            }
        }
        else if (kind == CliKind.App)
        {
            columns.Add(new("READY", (o, _) => Ready(o)));
            columns.Add(new("CLUSTERS", (o, _) => Str(o, "status", "placements", "selected") is { Length: > 0 } selected
                ? $"{Str(o, "status", "placements", "ready")}/{selected}"
                : ""));
            columns.Add(new("REVISION", (o, _) => Str(o, "status", "lastAppliedRevision")));
            columns.Add(new("SUSPENDED", (o, _) => Str(o, "spec", "suspend") is "true" ? "True" : "False"));
            if (wide)
            {
                columns.Add(new("SOURCE", (o, _) => $"{Str(o, "spec", "sourceRef", "kind")}/{Str(o, "spec", "sourceRef", "name")}"));
                columns.Add(new("PATH", (o, _) => Str(o, "spec", "path")));
            }
        }
        else if (kind == CliKind.Placement)
        {
            columns.Add(new("APP", (o, _) => Str(o, "spec", "application")));
            columns.Add(new("CLUSTER", (o, _) => Str(o, "spec", "cluster")));
            columns.Add(new("READY", (o, _) => Ready(o)));
            columns.Add(new("HEALTH", (o, _) => Str(o, "status", "health")));
            if (wide)
            {
                columns.Add(new("REVISION", (o, _) => Str(o, "status", "lastAppliedRevision")));
            }
        }
        else
        {
            columns.Add(new("READY", (o, _) => Ready(o)));
        }
        columns.Add(new("AGE", Age));
        columns.Add(new("STATUS", (o, _) => ReadyMessage(o)));
        return columns;
    }
}
