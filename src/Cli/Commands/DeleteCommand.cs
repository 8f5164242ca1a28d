using System.CommandLine;
using Fleet.Cli.Api;

namespace Fleet.Cli.Commands;

/// <summary><c>fleet delete KIND NAME [-n NS]</c>.</summary>
internal static class DeleteCommand
{
    public static Command Create(CliContext context)
    {
        var kind = GetCommand.KindArgument();
        var names = new Argument<string[]>("NAME") { Description = "Names of the objects to delete", Arity = ArgumentArity.OneOrMore };
        var ns = CliContext.NamespaceOption();
        var command = new Command("delete", "Delete objects (Fleet prunes what an application deployed when the application says prune: true)")
        {
            kind,
            names,
            ns,
        };
        CliContext.SetAction(command, async (parse, ct) =>
        {
            var k = CliKind.Parse(parse.GetRequiredValue(kind));
            var namespaceName = context.Namespace(parse, ns);
            using var client = context.Client(parse);
            foreach (var name in parse.GetRequiredValue(names))
            {
                await client.DeleteAsync(FleetApiClient.ResourcePath(k.Plural, namespaceName, name), ct);
                parse.InvocationConfiguration.Output.WriteLine($"{k.Kind} {namespaceName}/{name} deleted");
            }
            return CliHost.Success;
        });
        return command;
    }
}
