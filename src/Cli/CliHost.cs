using System.CommandLine;
using System.CommandLine.Invocation;

namespace Fleet.Cli;

/// <summary>
/// Runs a command tree with the exit codes Fleet promises: 0 success, 1 failure (the server refused, a reconcile
/// failed or timed out), 2 bad arguments, 3 not found, 4 not authenticated or not allowed.
/// </summary>
public static class CliHost
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int BadArguments = 2;
    public const int NotFound = 3;
    public const int NotAuthorized = 4;

    public static int Invoke(RootCommand root, IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr) =>
        InvokeAsync(root, args, stdout, stderr, CancellationToken.None).GetAwaiter().GetResult();

    public static async Task<int> InvokeAsync(RootCommand root, IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(stderr);
        var parse = root.Parse(args);
        // Directives ([suggest]) and --help run even when the rest of the line does not parse yet.
        if (parse.Errors.Count > 0 && parse.Action is null or ParseErrorAction)
        {
            foreach (var error in parse.Errors)
            {
                stderr.WriteLine($"error: {error.Message}");
            }

            stderr.WriteLine($"Run '{CommandPath(parse)} --help' for usage.");
            return BadArguments;
        }

        return await parse.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr }, ct);
    }

    private static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var result = parse.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Add(result.Command is RootCommand ? "fleet" : result.Command.Name);
        }
        names.Reverse();
        return string.Join(' ', names);
    }
}
