namespace Fleet.Cli;

/// <summary>
/// What the commands read from the process around them: environment variables, standard input, the user's home and
/// whether standard output is a terminal. Tests pass their own; <see cref="Process"/> is the real one.
/// </summary>
public sealed class CliEnvironment
{
    public static CliEnvironment Process { get; } = new()
    {
        Variables = Environment.GetEnvironmentVariable,
        Stdin = () => Console.In,
        Interactive = !Console.IsOutputRedirected,
    };

    /// <summary>Reads an environment variable (null when unset).</summary>
    public required Func<string, string?> Variables { get; init; }

    /// <summary>Standard input, for <c>fleet apply -f -</c>.</summary>
    public Func<TextReader> Stdin { get; init; } = () => TextReader.Null;

    /// <summary>Standard output is a terminal: live progress views and colours; otherwise plain lines.</summary>
    public bool Interactive { get; init; }

    /// <summary>Sends the API's HTTP requests; null for a plain <see cref="HttpClientHandler"/>.</summary>
    public Func<HttpMessageHandler>? Handler { get; init; }

    /// <summary>The config file: <c>$FLEET_CONFIG</c>, else <c>$XDG_CONFIG_HOME/fleet/config.yaml</c>, else <c>~/.config/fleet/config.yaml</c>.</summary>
    public string ConfigPath
    {
        get
        {
            if (Variables("FLEET_CONFIG") is { Length: > 0 } path)
            {
                return path;
            }
            var configHome = Variables("XDG_CONFIG_HOME") is { Length: > 0 } xdg
                ? xdg
                : Path.Combine(Variables("HOME") is { Length: > 0 } home ? home : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
            return Path.Combine(configHome, "fleet", "config.yaml");
        }
    }
}
