using System.CommandLine;
using Fleet.Cli.Commands;
using Fleet.Cli.Tests.Support;

namespace Fleet.Cli.Tests;

[Collection(FleetServerCollection.Name)]
public sealed class LoginAndUsageTests(FleetServer server) : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Login_SavesServerAndTokenOwnerOnly_LaterCommandsUseThem()
    {
        var (code, output, error) = await _cli.RunAsync("login", server.BaseUri.AbsoluteUri, "--token", FleetServer.AdminToken, "-n", "team-a");
        Assert.True(code == 0, error);
        Assert.Contains(_cli.ConfigPath, output, StringComparison.Ordinal);
        Assert.DoesNotContain(FleetServer.AdminToken, output, StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_cli.ConfigPath));
        }
        var saved = File.ReadAllText(_cli.ConfigPath);
        Assert.Contains($"token: \"{FleetServer.AdminToken}\"", saved, StringComparison.Ordinal);
        Assert.Contains("namespace: \"team-a\"", saved, StringComparison.Ordinal);

        // No --server, no FLEET_SERVER: the config file's server and namespace are used.
        await server.PutClusterAsync("team-a", "from-config");
        var (getCode, listed, _) = await _cli.RunAsync("get", "clusters");
        Assert.Equal(0, getCode);
        Assert.Contains("from-config", listed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Login_TokenFromStdin()
    {
        _cli.Stdin = FleetServer.AdminToken + "\n";
        var (code, _, error) = await _cli.RunAsync("login", "--server", server.BaseUri.AbsoluteUri, "--token-stdin");
        Assert.True(code == 0, error);
        Assert.Contains($"token: \"{FleetServer.AdminToken}\"", File.ReadAllText(_cli.ConfigPath), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Login_WrongToken_ExitsFourAndSavesNothing()
    {
        var (code, _, error) = await _cli.RunAsync("login", server.BaseUri.AbsoluteUri, "--token", "fleet_0000000000000000_" + new string('0', 64));
        Assert.Equal(4, code);
        Assert.Contains("fleet login", error, StringComparison.Ordinal);
        Assert.False(File.Exists(_cli.ConfigPath));
    }

    [Fact]
    public async Task Login_UnreachableServer_SavesNothing()
    {
        var (code, _, error) = await _cli.RunAsync("login", "http://127.0.0.1:1", "--token", "t");
        Assert.Equal(1, code);
        Assert.Contains("cannot reach the Fleet server at http://127.0.0.1:1/", error, StringComparison.Ordinal);
        Assert.False(File.Exists(_cli.ConfigPath));
    }

    [Fact]
    public async Task Flags_OverrideEnvironment_WhichOverridesConfig()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_cli.ConfigPath)!);
        File.WriteAllText(_cli.ConfigPath, $"server: http://127.0.0.1:1\ntoken: {FleetServer.AdminToken}\n");
        Assert.Equal(1, (await _cli.RunAsync("get", "clusters")).Code);
        _cli.With("FLEET_SERVER", server.BaseUri.AbsoluteUri);
        Assert.Equal(0, (await _cli.RunAsync("get", "clusters")).Code);
        _cli.With("FLEET_TOKEN", "fleet_0000000000000000_" + new string('0', 64));
        Assert.Equal(4, (await _cli.RunAsync("get", "clusters")).Code);
        Assert.Equal(0, (await _cli.RunAsync("get", "clusters", "--token", FleetServer.AdminToken)).Code);
        var (code, _, error) = await _cli.RunAsync("get", "clusters", "--server", "http://127.0.0.1:1");
        Assert.Equal(1, code);
        Assert.Contains("127.0.0.1:1", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BrokenConfigFile_NamesFileAndSetting()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_cli.ConfigPath)!);
        File.WriteAllText(_cli.ConfigPath, "server: http://x\nsevrer: typo\n");
        var (code, _, error) = await _cli.RunAsync("get", "clusters");
        Assert.Equal(1, code);
        Assert.Contains(_cli.ConfigPath, error, StringComparison.Ordinal);
        Assert.Contains("unknown setting \"sevrer\"", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoServerAnywhere_IsAUsageError()
    {
        var (code, _, error) = await _cli.RunAsync("get", "clusters");
        Assert.Equal(2, code);
        Assert.Contains("fleet login", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_WorksForEveryCommand()
    {
        var root = FleetCommands.Create(new CliEnvironment { Variables = _ => null });
        var paths = new List<string[]>();
        void Walk(Command command, string[] path)
        {
            paths.Add(path);
            foreach (var sub in command.Subcommands)
            {
                Walk(sub, [.. path, sub.Name]);
            }
        }
        Walk(root, []);
        Assert.True(paths.Count >= 8);
        foreach (var path in paths)
        {
            var (code, output, error) = await _cli.RunAsync([.. path, "--help"]);
            Assert.True(code == 0, $"{string.Join(' ', path)} --help: {error}");
            Assert.Contains("Usage:", output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task BadArguments_ExitTwoWithHint()
    {
        var (code, _, error) = await _cli.RunAsync("get");
        Assert.Equal(2, code);
        Assert.Contains("Run 'fleet get --help' for usage.", error, StringComparison.Ordinal);
        Assert.Equal(2, (await _cli.RunAsync("get", "clusters", "-o", "xml")).Code);
        Assert.Equal(2, (await _cli.RunAsync("frobnicate")).Code);
    }

    [Fact]
    public async Task SuggestDirective_CompletesCommandsKindsAndFormats()
    {
        var (code, output, _) = await _cli.RunAsync("[suggest:12]", "fleet get cl");
        Assert.Equal(0, code);
        Assert.Equal("clusters", output.Trim());
        var formats = (await _cli.RunAsync("[suggest:24]", "fleet get clusters -o ")).Out;
        Assert.Equal(["json", "table", "wide", "yaml"], formats.Trim().Split('\n').Order());
        var commands = (await _cli.RunAsync("[suggest:6]", "fleet ")).Out;
        Assert.Contains("describe", commands, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bash", "complete -o default -F _fleet_complete fleet")]
    [InlineData("zsh", "compdef _fleet_complete fleet")]
    public async Task Completion_PrintsAScriptUsingTheSuggestDirective(string shell, string registration)
    {
        var (code, output, _) = await _cli.RunAsync("completion", shell);
        Assert.Equal(0, code);
        Assert.Contains("[suggest:", output, StringComparison.Ordinal);
        Assert.Contains(registration, output, StringComparison.Ordinal);
    }
}
