using System.Text.Json.Nodes;
using DiffPlex.Renderer;
using Fleet.Gateway.Services;
using Fleet.Rendering;

namespace Fleet.WebConsole.Services;

/// <summary>One object of a placement's diff as the application page shows it: what an apply would do, in a word and an icon, and a unified diff of live against desired.</summary>
public sealed record DiffRow(string Object, DiffAction Action, string? Message, string? Unified)
{
    public string Word => Action switch
    {
        DiffAction.Created => "added",
        DiffAction.Configured => "changed",
        DiffAction.Deleted => "removed",
        DiffAction.Unchanged => "unchanged",
        _ => "failed",
    };

    public string Icon => Action switch
    {
        DiffAction.Created => "+",
        DiffAction.Configured => "±",
        DiffAction.Deleted => "−",
        DiffAction.Unchanged => "=",
        _ => "✖",
    };
}

/// <summary>Turns <see cref="PlacementDiffService"/>'s answer into rows: objects in YAML with their keys sorted (as <c>kubectl diff</c> prints), diffed line by line by DiffPlex.</summary>
internal static class DiffRows
{
    public static DiffRow From(ObjectDiff diff, string cluster)
    {
        var id = $"{diff.Kind}/{(diff.Namespace is null ? "" : diff.Namespace + "/")}{diff.Name}";
        string? unified = null;
        if (diff.Action is DiffAction.Created or DiffAction.Configured or DiffAction.Deleted)
        {
            unified = UnidiffRenderer.GenerateUnidiff(Yaml(diff.Live), Yaml(diff.Desired), $"{cluster}/{id} (live)", $"{cluster}/{id} (desired)", contextLines: 3).TrimEnd('\n');
        }
        return new DiffRow(id, diff.Action, diff.Message, unified);
    }

    private static string Yaml(JsonObject? obj) => obj is null ? "" : new RenderResult([(JsonObject)KeysSorted(obj)!]).ToYaml().TrimEnd('\n');

    private static JsonNode? KeysSorted(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, KeysSorted(p.Value)))),
        JsonArray a => new JsonArray([.. a.Select(KeysSorted)]),
        _ => node?.DeepClone(),
    };
}
