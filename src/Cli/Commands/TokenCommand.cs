using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fleet.Cli.Api;
using Fleet.Cli.Output;
using static Fleet.Cli.Output.ObjectView;

namespace Fleet.Cli.Commands;

/// <summary>
/// <c>fleet token create|list|revoke</c>: API tokens (<c>/api/v1/tokens</c>), or with <c>--registration</c> a
/// namespace's cluster registration tokens (<c>/api/v1/namespaces/{ns}/registrationtokens</c>). Admins only.
/// </summary>
internal static class TokenCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create(CliContext context)
    {
        var command = new Command("token", "Create, list and revoke API tokens and cluster registration tokens (admins only)");
        command.Subcommands.Add(CreateCommand(context));
        command.Subcommands.Add(ListCommand(context));
        command.Subcommands.Add(RevokeCommand(context));
        return command;
    }

    private static Option<bool> RegistrationOption() => new("--registration") { Description = "A cluster registration token of the namespace (-n) instead of an API token" };

    private static string Path(bool registration, string? ns, string? name = null) =>
        (registration ? $"api/v1/namespaces/{Uri.EscapeDataString(ns!)}/registrationtokens" : "api/v1/tokens") + (name is null ? "" : "/" + Uri.EscapeDataString(name));

    private static Command CreateCommand(CliContext context)
    {
        var name = new Argument<string>("NAME") { Description = "The token's name (what the audit log shows)" };
        var registration = RegistrationOption();
        var ns = CliContext.NamespaceOption();
        var role = new Option<string>("--role") { Description = "API token: viewer, operator or admin", DefaultValueFactory = _ => "viewer" };
        role.AcceptOnlyFromAmong("viewer", "operator", "admin");
        var namespaces = new Option<string[]>("--namespaces") { Description = "API token: the namespaces it may touch (repeatable or comma-separated; default: all)", AllowMultipleArgumentsPerToken = false };
        var expiresIn = new Option<string?>("--expires-in") { Description = "Lifetime as a duration (720h, 30m); default: the server's" };
        var maxUses = new Option<int?>("--max-uses") { Description = "Registration token: how many clusters may register with it" };
        var labels = new Option<string[]>("--cluster-label") { Description = "Registration token: label KEY=VALUE stamped on each cluster registered with it (repeatable)", AllowMultipleArgumentsPerToken = false };
        var command = new Command("create", "Create a token and print its secret (shown this once only)")
        {
            name, registration, ns, role, namespaces, expiresIn, maxUses, labels,
        };
        command.Validators.Add(result =>
        {
            var isRegistration = result.GetValue(registration);
            if (!isRegistration && (result.GetValue(maxUses) is not null || result.GetValue(labels) is { Length: > 0 }))
            {
                result.AddError("--max-uses and --cluster-label apply to registration tokens: add --registration");
            }
            if (isRegistration && result.GetValue(namespaces) is { Length: > 0 })
            {
                result.AddError("--namespaces applies to API tokens; a registration token belongs to the namespace given with -n");
            }
        });
        CliContext.SetAction(command, async (parse, ct) =>
        {
            var isRegistration = parse.GetValue(registration);
            var body = new JsonObject { ["name"] = parse.GetRequiredValue(name) };
            if (parse.GetValue(expiresIn) is { } expiry)
            {
                body["expiresIn"] = expiry;
            }
            if (isRegistration)
            {
                if (parse.GetValue(maxUses) is { } uses)
                {
                    body["maxUses"] = uses;
                }
                if (parse.GetValue(labels) is { Length: > 0 } pairs)
                {
                    body["clusterLabels"] = KeyValues(pairs, "--cluster-label");
                }
            }
            else
            {
                body["role"] = parse.GetValue(role);
                var scopes = (parse.GetValue(namespaces) ?? []).SelectMany(n => n.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray();
                if (scopes.Length > 0)
                {
                    body["namespaces"] = new JsonArray(scopes.Select(s => (JsonNode?)s).ToArray());
                }
            }
            using var client = context.Client(parse);
            var created = await client.PostJsonAsync(Path(isRegistration, isRegistration ? context.Namespace(parse, ns) : null), body, ct);
            // The secret alone on stdout, for scripts; what it is on stderr.
            parse.InvocationConfiguration.Output.WriteLine(Str(created, "token"));
            parse.InvocationConfiguration.Error.WriteLine(isRegistration
                ? $"registration token {Str(created, "namespace")}/{Str(created, "name")} created{Expiry(created)}; it is shown this once only"
                : $"API token {Str(created, "name")} ({Str(created, "role")}) created{Expiry(created)}; it is shown this once only");
            return CliHost.Success;
        });
        return command;
    }

    private static Command ListCommand(CliContext context)
    {
        var registration = RegistrationOption();
        var ns = CliContext.NamespaceOption();
        var output = GetCommand.OutputOption();
        var command = new Command("list", "List tokens (never their secrets)") { registration, ns, output };
        CliContext.SetAction(command, async (parse, ct) =>
        {
            var isRegistration = parse.GetValue(registration);
            using var client = context.Client(parse);
            await PrintAsync(client, parse.InvocationConfiguration.Output, isRegistration, isRegistration ? context.Namespace(parse, ns) : null, Printer.ParseFormat(parse.GetValue(output)), ct);
            return CliHost.Success;
        });
        return command;
    }

    private static Command RevokeCommand(CliContext context)
    {
        var name = new Argument<string>("NAME") { Description = "The token's name" };
        var registration = RegistrationOption();
        var ns = CliContext.NamespaceOption();
        var command = new Command("revoke", "Revoke a token: it stops working at once") { name, registration, ns };
        CliContext.SetAction(command, async (parse, ct) =>
        {
            var isRegistration = parse.GetValue(registration);
            using var client = context.Client(parse);
            var tokenName = parse.GetRequiredValue(name);
            await client.DeleteAsync(Path(isRegistration, isRegistration ? context.Namespace(parse, ns) : null, tokenName), ct);
            parse.InvocationConfiguration.Output.WriteLine($"{(isRegistration ? "registration" : "API")} token {tokenName} revoked");
            return CliHost.Success;
        });
        return command;
    }

    /// <summary>The token table (also <c>fleet get tokens</c>).</summary>
    public static async Task PrintAsync(FleetApiClient client, TextWriter output, bool registration, string? ns, OutputFormat format, CancellationToken ct)
    {
        var list = await client.GetAsync(Path(registration, ns), ct);
        if (format is OutputFormat.Json or OutputFormat.Yaml)
        {
            output.WriteLine(format == OutputFormat.Json ? list.ToJsonString(Indented) : new Fleet.Rendering.RenderResult([list.AsObject()]).ToYaml());
            return;
        }
        var items = (list["items"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        if (items.Count == 0)
        {
            output.WriteLine("No tokens found.");
            return;
        }
        var table = registration
            ? TableWriter.Create(["NAME", "USES", "MAX USES", "USABLE", "EXPIRES", "CLUSTER LABELS", "CREATED BY"])
            : TableWriter.Create(["NAME", "ROLE", "NAMESPACES", "ACTIVE", "EXPIRES", "CREATED BY"]);
        foreach (var t in items)
        {
            TableWriter.AddRow(table, registration
                ? [Str(t, "name"), Str(t, "uses"), Str(t, "maxUses") is { Length: > 0 } max ? max : "<unlimited>", Str(t, "usable"), Or(Str(t, "expiresAt"), "<never>"),
                    t["clusterLabels"] is JsonObject l && l.Count > 0 ? string.Join(',', l.Select(p => $"{p.Key}={p.Value}")) : "<none>", Str(t, "createdBy")]
                : [Str(t, "name"), Str(t, "role"), t["namespaces"] is JsonArray n ? string.Join(',', n.Select(x => x?.ToString())) : "<all>", Str(t, "active"),
                    Or(Str(t, "expiresAt"), "<never>"), Str(t, "createdBy")]);
        }
        TableWriter.Write(output, table);
    }

    internal static JsonObject KeyValues(IEnumerable<string> pairs, string option)
    {
        var map = new JsonObject();
        foreach (var pair in pairs)
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new CliException($"{option} \"{pair}\" is not KEY=VALUE", CliHost.BadArguments);
            }
            map[pair[..eq]] = pair[(eq + 1)..];
        }
        return map;
    }

    private static string Expiry(JsonNode token) => Str(token, "expiresAt") is { Length: > 0 } at ? $", expires {at}" : "";

    private static string Or(string value, string otherwise) => value.Length > 0 ? value : otherwise;
}
