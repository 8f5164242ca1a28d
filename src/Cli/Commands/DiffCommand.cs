using System.CommandLine;
using System.Text.Json.Nodes;
using Fleet.Cli.Api;
using Fleet.Cli.Output;
using Fleet.Rendering;
using static Fleet.Cli.Output.ObjectView;

namespace Fleet.Cli.Commands;

/// <summary>
/// <c>fleet diff app NAME [--cluster C]</c>: what applying the application now would change on each of its clusters,
/// as <c>flux diff kustomization</c> shows it. The server computes it (a server-side apply dry run against the live
/// object); this prints a unified diff per changed object. Exits 0 when nothing would change and 1 when something
/// would, as <c>diff</c>, <c>kubectl diff</c> and <c>flux diff</c> do.
/// </summary>
internal static class DiffCommand
{
    public static Command Create(CliContext context)
    {
        var kind = new Argument<string>("KIND") { Description = "app (the only kind with a desired state on clusters)" };
        kind.AcceptOnlyFromAmong("app", "apps", "application");
        var name = new Argument<string>("NAME") { Description = "The application's name" };
        var cluster = new Option<string?>("--cluster", "-c") { Description = "Only this cluster (default: every cluster the application is placed on)" };
        var ns = CliContext.NamespaceOption();
        var command = new Command("diff", "Show what applying an application would change on its clusters (desired against live); exit 1 when something would change")
        {
            kind,
            name,
            cluster,
            ns,
        };
        CliContext.SetAction(command, async (parse, ct) =>
        {
            var app = parse.GetRequiredValue(name);
            var namespaceName = context.Namespace(parse, ns);
            var selector = $"fleet.dev/application={app}" + (parse.GetValue(cluster) is { } c ? $",fleet.dev/cluster={c}" : "");
            using var client = context.Client(parse);
            var placements = await GetCommand.ListAsync(client, CliKind.Placement, namespaceName, selector, ct);
            if (placements.Count == 0)
            {
                throw new CliException(parse.GetValue(cluster) is { } one
                    ? $"application {namespaceName}/{app} is not placed on cluster {one}"
                    : $"application {namespaceName}/{app} is not placed on any cluster", CliHost.NotFound);
            }
            var output = parse.InvocationConfiguration.Output;
            var changes = 0;
            foreach (var placement in placements.OrderBy(p => Str(p, "spec", "cluster"), StringComparer.Ordinal))
            {
                var clusterName = Str(placement, "spec", "cluster");
                var diff = await client.GetAsync(FleetApiClient.ResourcePath("placements", namespaceName, Name(placement), "diff"), ct);
                foreach (var obj in (diff["objects"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    var action = Str(obj, "action");
                    if (action == "unchanged")
                    {
                        continue;
                    }
                    changes++;
                    var id = Str(obj, "namespace") is { Length: > 0 } objectNs ? $"{Str(obj, "kind")}/{objectNs}/{Str(obj, "name")}" : $"{Str(obj, "kind")}/{Str(obj, "name")}";
                    var message = Str(obj, "message");
                    output.WriteLine($"► {clusterName}: {id} {(action == "configured" ? "drifted" : action)}{(message.Length > 0 ? ": " + message : "")}");
                    if (action is "configured" or "created" or "deleted")
                    {
                        output.Write(UnifiedDiff.Write(Yaml(obj["live"]), Yaml(obj["desired"]), $"{clusterName}/{id} (live)", $"{clusterName}/{id} (desired)"));
                    }
                }
            }
            if (changes == 0)
            {
                output.WriteLine($"✔ {namespaceName}/{app}: no changes on {placements.Count} cluster(s)");
                return CliHost.Success;
            }
            return CliHost.Failure;
        });
        return command;
    }

    /// <summary>The object as YAML with its keys sorted at every level (as kubectl diff prints), so both sides line up.</summary>
    private static string Yaml(JsonNode? node) => node is JsonObject o ? new RenderResult([(JsonObject)Sorted(o)!]).ToYaml().TrimEnd('\n') : "";

    private static JsonNode? Sorted(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Sorted(p.Value)))),
        JsonArray a => new JsonArray(a.Select(Sorted).ToArray()),
        _ => node?.DeepClone(),
    };
}
