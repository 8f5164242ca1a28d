using System.CommandLine;
using Fleet.Helm;
using Fleet.Rendering;

namespace Fleet.Cli.Commands;

/// <summary>
/// <c>fleet render DIR [--substitute KEY=VALUE]...</c>: renders a directory as Flux and kustomize do; a Helm chart (a
/// directory with Chart.yaml, or a .tgz) is rendered as <c>helm template</c> does, with its flags.
/// </summary>
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

        var chart = new ChartOptions();
        var command = new Command("render", "Render a directory into multi-document YAML, as `kustomize build` and Flux do, or a Helm chart as `helm template` does")
        {
            dir,
            root,
            substitute,
            strict,
        };
        chart.AddTo(command);
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var directory = Path.GetFullPath(parse.GetRequiredValue(dir));
            if (File.Exists(Path.Combine(directory, "Chart.yaml")) || (File.Exists(directory) && directory.EndsWith(".tgz", StringComparison.Ordinal)))
            {
                return chart.Render(parse, directory, output, error);
            }

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

    /// <summary>The `helm template` flags, used when the argument is a chart.</summary>
    private sealed class ChartOptions
    {
        private readonly Option<string[]> _values = new("--values", "-f") { Description = "Chart: values file (repeatable, later files win)", AllowMultipleArgumentsPerToken = false };
        private readonly Option<string[]> _set = new("--set") { Description = "Chart: value KEY=VALUE[,KEY=VALUE] (repeatable)", AllowMultipleArgumentsPerToken = false };
        private readonly Option<string[]> _setString = new("--set-string") { Description = "Chart: string value KEY=VALUE (repeatable)", AllowMultipleArgumentsPerToken = false };
        private readonly Option<string> _releaseName = new("--release-name") { Description = "Chart: release name", DefaultValueFactory = _ => "release-name" };
        private readonly Option<string> _namespace = new("--namespace", "-n") { Description = "Chart: release namespace", DefaultValueFactory = _ => "default" };
        private readonly Option<string> _kubeVersion = new("--kube-version") { Description = "Chart: Kubernetes version for .Capabilities", DefaultValueFactory = _ => "v1.32.0" };
        private readonly Option<string[]> _apiVersions = new("--api-versions", "-a") { Description = "Chart: extra API versions for .Capabilities (repeatable)", AllowMultipleArgumentsPerToken = false };
        private readonly Option<bool> _includeCrds = new("--include-crds") { Description = "Chart: include the chart's crds/" };
        private readonly Option<bool> _skipTests = new("--skip-tests") { Description = "Chart: leave out test hooks" };
        private readonly Option<bool> _isUpgrade = new("--is-upgrade") { Description = "Chart: render as an upgrade" };

        public void AddTo(Command command)
        {
            command.Options.Add(_values);
            command.Options.Add(_set);
            command.Options.Add(_setString);
            command.Options.Add(_releaseName);
            command.Options.Add(_namespace);
            command.Options.Add(_kubeVersion);
            command.Options.Add(_apiVersions);
            command.Options.Add(_includeCrds);
            command.Options.Add(_skipTests);
            command.Options.Add(_isUpgrade);
        }

        public int Render(ParseResult parse, string chartPath, TextWriter output, TextWriter error)
        {
            try
            {
                var values = HelmValues.Build(parse.GetValue(_values) ?? [], parse.GetValue(_set) ?? [], parse.GetValue(_setString) ?? []);
                var result = HelmEngine.Render(chartPath, values, new HelmRenderOptions
                {
                    ReleaseName = parse.GetValue(_releaseName) ?? "release-name",
                    Namespace = parse.GetValue(_namespace) ?? "default",
                    KubeVersion = parse.GetValue(_kubeVersion) ?? "v1.32.0",
                    ApiVersions = parse.GetValue(_apiVersions) ?? [],
                    IncludeCrds = parse.GetValue(_includeCrds),
                    SkipTests = parse.GetValue(_skipTests),
                    IsUpgrade = parse.GetValue(_isUpgrade),
                });
                output.Write(result.Manifest);
                return CliHost.Success;
            }
            catch (HelmException e)
            {
                error.WriteLine($"error: {e.Message}");
                return CliHost.Failure;
            }
        }
    }
}
