using System.CommandLine;
using Fleet.Cli.Api;
using Spectre.Console;

namespace Fleet.Cli.Commands;

/// <summary>
/// What every API command shares: the global <c>--server</c> and <c>--token</c> options, the config file and
/// environment behind them, and the one way a command turns failures into a message and an exit code.
/// </summary>
internal sealed class CliContext(CliEnvironment environment)
{
    public CliEnvironment Environment { get; } = environment;

    public Option<string?> Server { get; } = new("--server")
    {
        Description = "Fleet server URL (default: $FLEET_SERVER, then the config file)",
        Recursive = true,
    };

    public Option<string?> Token { get; } = new("--token")
    {
        Description = "API bearer token (default: $FLEET_TOKEN, then the config file)",
        Recursive = true,
    };

    /// <summary>Flag, then environment variable, then config file.</summary>
    public (string? Server, string? Token, string? Namespace) Settings(ParseResult parse)
    {
        var config = CliConfig.Load(Environment.ConfigPath);
        return (
            parse.GetValue(Server) ?? NonEmpty(Environment.Variables("FLEET_SERVER")) ?? config.Server,
            parse.GetValue(Token) ?? NonEmpty(Environment.Variables("FLEET_TOKEN")) ?? config.Token,
            NonEmpty(Environment.Variables("FLEET_NAMESPACE")) ?? config.Namespace);
    }

    public FleetApiClient Client(ParseResult parse)
    {
        var (server, token, _) = Settings(parse);
        if (string.IsNullOrEmpty(server))
        {
            throw new CliException("no Fleet server: run 'fleet login --server URL', or pass --server or set FLEET_SERVER", CliHost.BadArguments);
        }
        return new FleetApiClient(ParseServer(server), token, Environment.Handler?.Invoke());
    }

    public static Uri ParseServer(string server) =>
        Uri.TryCreate(server, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? uri
            : throw new CliException($"server \"{server}\" is not an http:// or https:// URL", CliHost.BadArguments);

    /// <summary>The namespace a command works in: <c>-n</c>, else the config file's, else <c>default</c>.</summary>
    public string Namespace(ParseResult parse, Option<string?> option) =>
        parse.GetValue(option) ?? Settings(parse).Namespace ?? "default";

    /// <summary>A Spectre console over the command's output: colours and live views only on a terminal.</summary>
    public IAnsiConsole Console(ParseResult parse)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(parse.InvocationConfiguration.Output),
            Ansi = Environment.Interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = Environment.Interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = Environment.Interactive ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!Environment.Interactive)
        {
            // A pipe has no width: never wrap a table's rows.
            console.Profile.Width = 4096;
        }
        return console;
    }

    /// <summary>Sets an action that reports a <see cref="CliException"/> on stderr and returns its exit code.</summary>
    public static void SetAction(Command command, Func<ParseResult, CancellationToken, Task<int>> action) =>
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                return await action(parse, ct);
            }
            catch (CliException ex)
            {
                parse.InvocationConfiguration.Error.WriteLine($"error: {ex.Message}");
                return ex.ExitCode;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return CliHost.Failure;
            }
        });

    public static Option<string?> NamespaceOption() => new("--namespace", "-n") { Description = "Namespace (default: the config file's, else \"default\")" };

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
