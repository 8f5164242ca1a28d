using System.CommandLine;
using Fleet.Cli;
using Fleet.Cli.Commands;

var root = new RootCommand("fleet: multi-cluster GitOps control plane")
{
    RenderCommand.Create(),
};
return CliHost.Invoke(root, args, Console.Out, Console.Error);
