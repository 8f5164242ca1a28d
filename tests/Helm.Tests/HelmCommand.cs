namespace Fleet.Helm.Tests;

/// <summary>A `helm template NAME CHART [flags]` command line of a conformance case, run through the engine.</summary>
internal sealed class HelmCommand
{
    public required string[] Args { get; init; }

    public required string Chart { get; init; }

    public required HelmRenderOptions Options { get; init; }

    public required List<string> ValueFiles { get; init; }

    public required List<string> Sets { get; init; }

    public required List<string> SetStrings { get; init; }

    public static HelmCommand Parse(string line, string baseDir, TimeProvider? time = null)
    {
        var args = line.Split((char[])[' ', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries);
        var positional = new List<string>();
        var files = new List<string>();
        var sets = new List<string>();
        var setStrings = new List<string>();
        var apis = new List<string>();
        string ns = "default", kube = "v1.32.0";
        bool crds = false, skipTests = false, upgrade = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "template":
                    break;
                case "-f" or "--values":
                    files.Add(Path.Combine(baseDir, args[++i]));
                    break;
                case "--set":
                    sets.Add(args[++i]);
                    break;
                case "--set-string":
                    setStrings.Add(args[++i]);
                    break;
                case "-n" or "--namespace":
                    ns = args[++i];
                    break;
                case "--kube-version":
                    kube = args[++i];
                    break;
                case "-a" or "--api-versions":
                    apis.Add(args[++i]);
                    break;
                case "--include-crds":
                    crds = true;
                    break;
                case "--skip-tests":
                    skipTests = true;
                    break;
                case "--is-upgrade":
                    upgrade = true;
                    break;
                default:
                    positional.Add(args[i]);
                    break;
            }
        }

        return new HelmCommand
        {
            Args = args,
            Chart = Path.Combine(baseDir, positional[^1]),
            ValueFiles = files,
            Sets = sets,
            SetStrings = setStrings,
            Options = new HelmRenderOptions
            {
                ReleaseName = positional.Count > 1 ? positional[0] : "release-name",
                Namespace = ns,
                KubeVersion = kube,
                ApiVersions = apis,
                IncludeCrds = crds,
                SkipTests = skipTests,
                IsUpgrade = upgrade,
                Time = time ?? TimeProvider.System,
            },
        };
    }

    public HelmRenderResult Render() => HelmEngine.Render(Chart, HelmValues.Build(ValueFiles, Sets, SetStrings), Options);
}
