using System.CommandLine;

namespace Fleet.Cli;

/// <summary>Runs a command tree with the exit codes Fleet promises: 0 success, 1 failure, 2 bad arguments.</summary>
public static class CliHost
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int BadArguments = 2;

    public static int Invoke(RootCommand root, IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(stderr);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                stderr.WriteLine($"error: {error.Message}");
            }

            stderr.WriteLine($"Run '{root.Name} --help' for usage.");
            return BadArguments;
        }

        return parse.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr });
    }
}
