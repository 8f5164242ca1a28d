using System.CommandLine;

namespace Fleet.Cli.Commands;

/// <summary>The whole <c>fleet</c> command tree.</summary>
public static class FleetCommands
{
    public static RootCommand Create(CliEnvironment environment)
    {
        var context = new CliContext(environment);
        var root = new RootCommand("fleet: multi-cluster GitOps control plane. Exit codes: 0 success, 1 failure, 2 bad arguments, 3 not found, 4 not authenticated or not allowed.")
        {
            context.Server,
            context.Token,
            LoginCommand.Create(context),
            GetCommand.Create(context),
            DescribeCommand.Create(context),
            ObjectCommands.Delete(context),
            ApplyCommand.Create(context),
            ReconcileCommand.Create(context),
            ObjectCommands.Suspend(context),
            ObjectCommands.Resume(context),
            EventsCommand.Create(context),
            DiffCommand.Create(context),
            TokenCommand.Create(context),
            ClusterCommand.Create(context),
            RenderCommand.Create(),
            CompletionCommand.Create(),
        };
        return root;
    }
}
