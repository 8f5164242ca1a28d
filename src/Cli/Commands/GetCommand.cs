using System.CommandLine;
using System.Text.Json.Nodes;
using Fleet.Cli.Api;
using Fleet.Cli.Output;

namespace Fleet.Cli.Commands;

/// <summary><c>fleet get KIND [NAME] [-n NS | -A] [-l SELECTOR] [-o table|wide|json|yaml]</c>.</summary>
internal static class GetCommand
{
    public static Command Create(CliContext context)
    {
        var kind = KindArgument();
        var name = new Argument<string?>("NAME") { Description = "One object's name (default: list them)", Arity = ArgumentArity.ZeroOrOne };
        var ns = CliContext.NamespaceOption();
        var all = new Option<bool>("--all-namespaces", "-A") { Description = "List in every namespace the token may see" };
        var selector = new Option<string?>("--selector", "-l") { Description = "Label selector, as kubectl's (env=prod,tier in (a,b),!canary)" };
        var output = OutputOption();
        var command = new Command("get", "List objects, or show one")
        {
            kind,
            name,
            ns,
            all,
            selector,
            output,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(all) && result.GetValue(name) is not null)
            {
                result.AddError("a NAME cannot be combined with --all-namespaces");
            }
        });
        CliContext.SetAction(command, async (parse, ct) =>
        {
            var format = Printer.ParseFormat(parse.GetValue(output));
            if (parse.GetRequiredValue(kind) is "tokens" or "token")
            {
                // API tokens are not namespaced objects: the token table (admins only).
                using var tokens = context.Client(parse);
                await TokenCommand.PrintAsync(tokens, parse.InvocationConfiguration.Output, false, null, format, ct);
                return CliHost.Success;
            }
            var k = CliKind.Parse(parse.GetRequiredValue(kind));
            var allNamespaces = parse.GetValue(all);
            using var client = context.Client(parse);
            var namespaceName = allNamespaces ? null : context.Namespace(parse, ns);
            IReadOnlyList<JsonNode> items;
            var objectName = parse.GetValue(name);
            var single = objectName is not null;
            if (objectName is not null)
            {
                items = [await client.GetAsync(FleetApiClient.ResourcePath(k.Plural, namespaceName, objectName), ct)];
            }
            else
            {
                items = await ListAsync(client, k, namespaceName, parse.GetValue(selector), ct);
            }
            Printer.Print(parse.InvocationConfiguration.Output, k, items, format, single, allNamespaces, DateTimeOffset.UtcNow);
            return CliHost.Success;
        });
        return command;
    }

    /// <summary>Every object of a list, page by page where the server pages (<c>metadata.continue</c>).</summary>
    public static async Task<List<JsonNode>> ListAsync(FleetApiClient client, CliKind kind, string? ns, string? selector, CancellationToken ct)
    {
        var items = new List<JsonNode>();
        string? next = null;
        do
        {
            var page = await client.GetAsync(FleetApiClient.ResourcePath(kind.Plural, ns) + FleetApiClient.Query(("labelSelector", selector), ("limit", "500"), ("continue", next)), ct);
            items.AddRange((page["items"] as JsonArray ?? []).OfType<JsonNode>());
            next = ObjectView.Str(page, "metadata", "continue") is { Length: > 0 } token ? token : null;
        }
        while (next is not null);
        return items;
    }

    public static Argument<string> KindArgument()
    {
        var kind = new Argument<string>("KIND") { Description = $"One of {string.Join(", ", CliKind.Words)} (get also: tokens)" };
        kind.CompletionSources.Add(CliKind.Words);
        return kind;
    }

    public static Option<string?> OutputOption()
    {
        var output = new Option<string?>("--output", "-o") { Description = "Output format: table (default), wide, json or yaml" };
        output.CompletionSources.Add(Printer.FormatNames);
        output.AcceptOnlyFromAmong(Printer.FormatNames);
        return output;
    }
}
