using System.CommandLine;
using Fleet.Cli.Api;

namespace Fleet.Cli.Commands;

/// <summary>
/// Commands that do one thing to each named object of a kind: <c>fleet delete KIND NAME...</c> and
/// <c>fleet suspend|resume KIND NAME...</c> (the API's <c>/suspend</c> and <c>/resume</c> actions: spec.suspend, or
/// spec.paused for a cluster).
/// </summary>
internal static class ObjectCommands
{
    public static Command Delete(CliContext context) =>
        PerObject(context, "delete", "Delete objects (Fleet prunes what an application deployed when the application says prune: true)", "deleted",
            (client, path, ct) => client.DeleteAsync(path, ct), null);

    public static Command Suspend(CliContext context) =>
        PerObject(context, "suspend", "Stop reconciling objects (apps and sources keep what they last did; a cluster gets no applies)", "suspended",
            (client, path, ct) => client.PostJsonAsync(path, null, ct), "suspend");

    public static Command Resume(CliContext context) =>
        PerObject(context, "resume", "Reconcile suspended objects again", "resumed",
            (client, path, ct) => client.PostJsonAsync(path, null, ct), "resume");

    private static Command PerObject(CliContext context, string verb, string description, string done,
        Func<FleetApiClient, string, CancellationToken, Task> call, string? action)
    {
        var kind = GetCommand.KindArgument();
        var names = new Argument<string[]>("NAME") { Description = "Names of the objects", Arity = ArgumentArity.OneOrMore };
        var ns = CliContext.NamespaceOption();
        var command = new Command(verb, description) { kind, names, ns };
        CliContext.SetAction(command, async (parse, ct) =>
        {
            var k = CliKind.Parse(parse.GetRequiredValue(kind));
            var namespaceName = context.Namespace(parse, ns);
            using var client = context.Client(parse);
            foreach (var name in parse.GetRequiredValue(names))
            {
                await call(client, FleetApiClient.ResourcePath(k.Plural, namespaceName, name, action), ct);
                parse.InvocationConfiguration.Output.WriteLine($"{k.Kind} {namespaceName}/{name} {done}");
            }
            return CliHost.Success;
        });
        return command;
    }
}
