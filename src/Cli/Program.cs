using Fleet.Cli;
using Fleet.Cli.Commands;

// System.CommandLine turns Ctrl-C into the actions' cancellation token (a watch ends cleanly).
return await CliHost.InvokeAsync(FleetCommands.Create(CliEnvironment.Process), args, Console.Out, Console.Error, CancellationToken.None);
