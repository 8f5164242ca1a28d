using System.CommandLine;
using Fleet.Cli.Api;

namespace Fleet.Cli.Commands;

/// <summary><c>fleet login [SERVER] --token TOKEN</c>: checks the server accepts the token, then saves both in the config file (mode 0600).</summary>
internal static class LoginCommand
{
    public static Command Create(CliContext context)
    {
        var server = new Argument<string?>("SERVER") { Description = "Fleet server URL (or --server)", Arity = ArgumentArity.ZeroOrOne };
        var tokenStdin = new Option<bool>("--token-stdin") { Description = "Read the token from standard input (keeps it out of shell history)" };
        var ns = new Option<string?>("--namespace", "-n") { Description = "Default namespace to save for later commands" };
        var command = new Command("login", "Save a Fleet server URL and API token in the config file ($FLEET_CONFIG, else ~/.config/fleet/config.yaml)")
        {
            server,
            tokenStdin,
            ns,
        };
        CliContext.SetAction(command, async (parse, ct) =>
        {
            var path = context.Environment.ConfigPath;
            var saved = CliConfig.Load(path);
            var url = parse.GetValue(server) ?? parse.GetValue(context.Server) ?? context.Environment.Variables("FLEET_SERVER") ?? saved.Server
                ?? throw new CliException("give the server URL: fleet login https://fleet.example.com --token TOKEN", CliHost.BadArguments);
            var token = parse.GetValue(tokenStdin)
                ? (await context.Environment.Stdin().ReadToEndAsync(ct)).Trim()
                : parse.GetValue(context.Token) ?? context.Environment.Variables("FLEET_TOKEN");
            if (string.IsNullOrEmpty(token))
            {
                throw new CliException("give the API token: --token TOKEN, --token-stdin or FLEET_TOKEN", CliHost.BadArguments);
            }
            var uri = CliContext.ParseServer(url);
            using (var client = new FleetApiClient(uri, token, context.Environment.Handler?.Invoke()))
            {
                // Any authenticated read proves the URL and the token; nothing is saved otherwise.
                await client.GetAsync(FleetApiClient.ResourcePath("clusters", null) + FleetApiClient.Query(("limit", "1")), ct);
            }
            var config = new CliConfig(uri.AbsoluteUri.TrimEnd('/'), token, parse.GetValue(ns) ?? saved.Namespace);
            config.Save(path);
            parse.InvocationConfiguration.Output.WriteLine($"Logged in to {config.Server}; settings saved to {path}");
            return CliHost.Success;
        });
        return command;
    }
}
