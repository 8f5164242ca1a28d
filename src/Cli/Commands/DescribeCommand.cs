using System.CommandLine;
using System.Text.Json.Nodes;
using Fleet.Cli.Api;
using Fleet.Cli.Output;
using Fleet.Rendering;
using static Fleet.Cli.Output.ObjectView;

namespace Fleet.Cli.Commands;

/// <summary><c>fleet describe KIND NAME</c>: the object's metadata, spec, conditions, its placements (apps and clusters) and its recent events.</summary>
internal static class DescribeCommand
{
    private const int RecentEvents = 20;

    public static Command Create(CliContext context)
    {
        var kind = GetCommand.KindArgument();
        var name = new Argument<string>("NAME") { Description = "The object's name" };
        var ns = CliContext.NamespaceOption();
        var command = new Command("describe", "Show one object in detail: conditions, placements and recent events")
        {
            kind,
            name,
            ns,
        };
        CliContext.SetAction(command, async (parse, ct) =>
        {
            var k = CliKind.Parse(parse.GetRequiredValue(kind));
            var objectName = parse.GetRequiredValue(name);
            var namespaceName = context.Namespace(parse, ns);
            using var client = context.Client(parse);
            var obj = await client.GetAsync(FleetApiClient.ResourcePath(k.Plural, namespaceName, objectName), ct);
            var output = parse.InvocationConfiguration.Output;
            var now = DateTimeOffset.UtcNow;

            output.WriteLine($"Name:        {Name(obj)}");
            output.WriteLine($"Namespace:   {Namespace(obj)}");
            output.WriteLine($"Kind:        {Str(obj, "kind")}");
            output.WriteLine($"Labels:      {Labels(obj)}");
            output.WriteLine($"Created:     {Str(obj, "metadata", "creationTimestamp")} ({Age(obj, now)} ago)");
            output.WriteLine($"Generation:  {Str(obj, "metadata", "generation")}");
            output.WriteLine("Spec:");
            WriteIndented(output, obj["spec"]);
            if (obj["status"] is JsonObject status)
            {
                var rest = status.DeepClone().AsObject();
                rest.Remove("conditions");
                rest.Remove("inventory");
                if (rest.Count > 0)
                {
                    output.WriteLine("Status:");
                    WriteIndented(output, rest);
                }
                if (status["inventory"] is JsonArray inventory)
                {
                    output.WriteLine($"Inventory:   {inventory.Count} objects");
                }
            }
            output.WriteLine("Conditions:");
            var conditions = (obj["status"]?["conditions"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
            if (conditions.Count == 0)
            {
                output.WriteLine("  <none>");
            }
            else
            {
                TableWriter.Write(output, Table(["TYPE", "STATUS", "REASON", "AGE", "MESSAGE"], conditions.Select(c => new[]
                {
                    Str(c, "type"), Str(c, "status"), Str(c, "reason"), Since(Str(c, "lastTransitionTime"), now), Str(c, "message"),
                })), indent: 2);
            }
            var placementLabel = k == CliKind.App ? "fleet.dev/application" : k == CliKind.Cluster ? "fleet.dev/cluster" : null;
            if (placementLabel is not null)
            {
                output.WriteLine("Placements:");
                var placements = await GetCommand.ListAsync(client, CliKind.Placement, namespaceName, $"{placementLabel}={objectName}", ct);
                if (placements.Count == 0)
                {
                    output.WriteLine("  <none>");
                }
                else
                {
                    TableWriter.Write(output, Table(["CLUSTER", "APP", "READY", "HEALTH", "REVISION", "MESSAGE"], placements.Select(p => new[]
                    {
                        Str(p, "spec", "cluster"), Str(p, "spec", "application"), Ready(p), Str(p, "status", "health"), Str(p, "status", "lastAppliedRevision"), ReadyMessage(p),
                    })), indent: 2);
                }
            }
            output.WriteLine("Events:");
            var events = await client.GetAsync($"api/v1/namespaces/{Uri.EscapeDataString(namespaceName)}/events" + FleetApiClient.Query(("kind", k.Kind), ("name", objectName)), ct);
            var recent = (events["items"] as JsonArray ?? []).OfType<JsonObject>().TakeLast(RecentEvents).ToList();
            if (recent.Count == 0)
            {
                output.WriteLine("  <none>");
            }
            else
            {
                TableWriter.Write(output, Table(["LAST SEEN", "TYPE", "REASON", "MESSAGE"], recent.Select(e => new[]
                {
                    Since(Str(e, "time"), now), Str(e, "type"), Str(e, "reason"), Str(e, "message"),
                })), indent: 2);
            }
            return CliHost.Success;
        });
        return command;
    }

    private static Spectre.Console.Table Table(string[] headers, IEnumerable<string[]> rows)
    {
        var table = TableWriter.Create(headers);
        foreach (var row in rows)
        {
            TableWriter.AddRow(table, row);
        }
        return table;
    }

    internal static string Since(string time, DateTimeOffset now) =>
        DateTimeOffset.TryParse(time, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var t)
            ? ObjectView.Duration(now - t)
            : "";

    private static void WriteIndented(TextWriter output, JsonNode? node)
    {
        if (node is not JsonObject o || o.Count == 0)
        {
            output.WriteLine("  <none>");
            return;
        }
        foreach (var line in new RenderResult([o]).ToYaml().TrimEnd('\n').Split('\n'))
        {
            output.WriteLine("  " + line);
        }
    }
}
