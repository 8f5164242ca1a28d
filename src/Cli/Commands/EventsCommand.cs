using System.CommandLine;
using System.Text.Json.Nodes;
using Fleet.Cli.Api;
using static Fleet.Cli.Output.ObjectView;

namespace Fleet.Cli.Commands;

/// <summary><c>fleet events [-n NS | -A] [--for KIND/NAME] [-w]</c>: the event log, and with <c>-w</c> new events as they happen (server-sent events).</summary>
internal static class EventsCommand
{
    public static Command Create(CliContext context)
    {
        var ns = CliContext.NamespaceOption();
        var all = new Option<bool>("--all-namespaces", "-A") { Description = "Events of every namespace the token may see" };
        var forObject = new Option<string?>("--for") { Description = "Only the events of one object: KIND/NAME (app/web)" };
        var watch = new Option<bool>("--watch", "-w") { Description = "After the existing events, print new ones as they happen (Ctrl-C ends)" };
        var command = new Command("events", "Show the event log")
        {
            ns,
            all,
            forObject,
            watch,
        };
        CliContext.SetAction(command, async (parse, ct) =>
        {
            string? kind = null, name = null;
            if (parse.GetValue(forObject) is { } target)
            {
                var slash = target.IndexOf('/', StringComparison.Ordinal);
                if (slash <= 0 || slash == target.Length - 1)
                {
                    throw new CliException($"--for \"{target}\" is not KIND/NAME", CliHost.BadArguments);
                }
                kind = CliKind.Parse(target[..slash]).Kind;
                name = target[(slash + 1)..];
            }
            var path = (parse.GetValue(all) ? "api/v1/events" : $"api/v1/namespaces/{Uri.EscapeDataString(context.Namespace(parse, ns))}/events")
                + FleetApiClient.Query(("kind", kind), ("name", name), ("watch", parse.GetValue(watch) ? "true" : null));
            var output = parse.InvocationConfiguration.Output;
            using var client = context.Client(parse);
            output.WriteLine(Line("TIME", "NAMESPACE", "TYPE", "REASON", "OBJECT", "MESSAGE"));
            if (!parse.GetValue(watch))
            {
                var list = await client.GetAsync(path, ct);
                foreach (var e in (list["items"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    output.WriteLine(Line(e));
                }
                return CliHost.Success;
            }
            await foreach (var (_, data) in client.StreamAsync(path, ct))
            {
                output.WriteLine(Line(data));
                output.Flush();
            }
            return CliHost.Success;
        });
        return command;
    }

    private static string Line(JsonNode e) =>
        Line(Str(e, "time"), Str(e, "namespace"), Str(e, "type"), Str(e, "reason"), $"{Str(e, "involvedObject", "kind")}/{Str(e, "involvedObject", "name")}", Str(e, "message"));

    // Fixed widths rather than a table: a watch prints each row as it arrives, before later rows' widths are known.
    private static string Line(string time, string ns, string type, string reason, string obj, string message) =>
        $"{time,-25}{ns,-16}{type,-9}{reason,-28}{obj,-36}{message}".TrimEnd();
}
