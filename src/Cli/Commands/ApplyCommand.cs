using System.CommandLine;
using System.Text;
using System.Text.Json.Nodes;
using Fleet.Cli.Api;
using static Fleet.Cli.Output.ObjectView;

namespace Fleet.Cli.Commands;

/// <summary>
/// <c>fleet apply -f FILE|DIR|- [--dry-run]</c>: sends every document to <c>POST /api/v1/apply</c> in one request (all
/// or nothing, Flux's GitRepository, Kustomization and Receiver documents accepted as they are) and prints what
/// happened to each object, as <c>kubectl apply</c> does.
/// </summary>
internal static class ApplyCommand
{
    private static readonly string[] Extensions = [".yaml", ".yml", ".json"];

    public static Command Create(CliContext context)
    {
        var files = new Option<string[]>("--filename", "-f")
        {
            Description = "A YAML or JSON file, a directory of them (not recursive), or - for standard input (repeatable)",
            Required = true,
            AllowMultipleArgumentsPerToken = false,
        };
        var ns = new Option<string?>("--namespace", "-n") { Description = "Namespace for documents without metadata.namespace (default: the config file's, else \"default\")" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Validate and show what would change; store nothing (dryRun=All)" };
        var command = new Command("apply", "Create or update objects from files, all or nothing")
        {
            files,
            ns,
            dryRun,
        };
        CliContext.SetAction(command, async (parse, ct) =>
        {
            var body = new StringBuilder();
            foreach (var file in parse.GetRequiredValue(files))
            {
                foreach (var (name, text) in await ReadAsync(file, context.Environment, ct))
                {
                    if (string.IsNullOrWhiteSpace(text))
                    {
                        continue;
                    }
                    // JSON is YAML: every file becomes one or more documents of one stream.
                    body.Append("---\n# ").Append(name).Append('\n').Append(text.TrimEnd()).Append('\n');
                }
            }
            if (body.Length == 0)
            {
                throw new CliException("no documents to apply", CliHost.BadArguments);
            }
            var dry = parse.GetValue(dryRun);
            using var client = context.Client(parse);
            var result = await client.PostYamlAsync("api/v1/apply" + FleetApiClient.Query(("namespace", context.Namespace(parse, ns)), ("dryRun", dry ? "All" : null)), body.ToString(), ct);
            foreach (var item in (result["items"] as JsonArray ?? []).OfType<JsonObject>())
            {
                parse.InvocationConfiguration.Output.WriteLine($"{Str(item, "kind")} {Str(item, "namespace")}/{Str(item, "name")} {Str(item, "action")}{(dry ? " (dry run)" : "")}");
            }
            return CliHost.Success;
        });
        return command;
    }

    /// <summary>The files named by one <c>-f</c>: the file, a directory's YAML and JSON files in name order, or standard input.</summary>
    private static async Task<List<(string Name, string Text)>> ReadAsync(string path, CliEnvironment environment, CancellationToken ct)
    {
        if (path == "-")
        {
            return [("<stdin>", await environment.Stdin().ReadToEndAsync(ct))];
        }
        if (Directory.Exists(path))
        {
            var found = Directory.EnumerateFiles(path)
                .Where(f => Extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal)
                .ToList();
            if (found.Count == 0)
            {
                throw new CliException($"{path}: no .yaml, .yml or .json files in this directory", CliHost.BadArguments);
            }
            var texts = new List<(string, string)>();
            foreach (var file in found)
            {
                texts.Add((file, await File.ReadAllTextAsync(file, ct)));
            }
            return texts;
        }
        if (!File.Exists(path))
        {
            throw new CliException($"{path}: no such file or directory", CliHost.BadArguments);
        }
        return [(path, await File.ReadAllTextAsync(path, ct))];
    }
}
