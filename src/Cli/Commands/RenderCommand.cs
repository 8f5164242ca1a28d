using System.CommandLine;
using Fleet.Rendering;

namespace Fleet.Cli.Commands;

/// <summary><c>fleet render DIR [--substitute KEY=VALUE]...</c>: renders a directory as Flux and kustomize do.</summary>
public static class RenderCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("DIR") { Description = "Directory to render (with or without a kustomization file)" };
        var root = new Option<string?>("--root")
        {
            Description = "Artifact root that the build may read (default: the enclosing Git repository's top level, else the filesystem root)",
        };
        var substitute = new Option<string[]>("--substitute", "-s")
        {
            Description = "postBuild variable KEY=VALUE (repeatable)",
            AllowMultipleArgumentsPerToken = false,
        };
        var strict = new Option<bool>("--strict") { Description = "Fail on variables without a value or default" };
        substitute.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
            {
                var eq = token.Value.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    result.AddError($"--substitute '{token.Value}' is not KEY=VALUE");
                }
            }
        });

        var command = new Command("render", "Render a directory into multi-document YAML, as `kustomize build` and Flux do")
        {
            dir,
            root,
            substitute,
            strict,
        };
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var directory = Path.GetFullPath(parse.GetRequiredValue(dir));
            var artifactRoot = parse.GetValue(root) is { } given ? Path.GetFullPath(given) : DefaultRoot(directory);
            var pairs = parse.GetValue(substitute) ?? [];
            Dictionary<string, string>? vars = null;
            if (pairs.Length > 0)
            {
                vars = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var pair in pairs)
                {
                    var eq = pair.IndexOf('=', StringComparison.Ordinal);
                    vars[pair[..eq]] = pair[(eq + 1)..];
                }
            }

            if (!Directory.Exists(directory))
            {
                error.WriteLine($"error: {parse.GetRequiredValue(dir)}: directory does not exist");
                return CliHost.Failure;
            }

            try
            {
                var relative = Path.GetRelativePath(artifactRoot, directory);
                var result = KustomizeEngine.Render(artifactRoot, relative, new RenderOptions { Substitutions = vars, StrictSubstitution = parse.GetValue(strict) });
                output.Write(result.ToYaml());
                return CliHost.Success;
            }
            catch (RenderException e)
            {
                error.WriteLine($"error: {e.Message}");
                return CliHost.Failure;
            }
        });
        return command;
    }

    /// <summary>
    /// The root a build may read when <c>--root</c> is not given: the top level of the Git repository
    /// enclosing <paramref name="directory"/> (what Flux receives as the artifact), else the filesystem
    /// root. Either way files stay under their kustomization's directory, as kustomize's
    /// <c>LoadRestrictionsRootOnly</c> demands; only whole kustomizations may be loaded from above it.
    /// </summary>
    internal static string DefaultRoot(string directory)
    {
        for (var dir = new DirectoryInfo(directory); dir is not null; dir = dir.Parent)
        {
            // A worktree or submodule has a .git file instead of a directory.
            var git = Path.Combine(dir.FullName, ".git");
            if (Directory.Exists(git) || File.Exists(git))
            {
                return dir.FullName;
            }
        }

        return Path.GetPathRoot(directory) ?? "/";
    }
}
