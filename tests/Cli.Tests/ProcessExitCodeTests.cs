using System.Diagnostics;
using Fleet.Cli.Tests.Support;

namespace Fleet.Cli.Tests;

/// <summary>The built <c>fleet</c> executable run as a process, as scripts run it: its exit codes and streams.</summary>
[Collection(FleetServerCollection.Name)]
public sealed class ProcessExitCodeTests(FleetServer server) : IDisposable
{
    private readonly string _config = Path.Combine(Path.GetTempPath(), "fleet-cli-process-" + Guid.NewGuid().ToString("N"), "config.yaml");

    public void Dispose()
    {
        var directory = Path.GetDirectoryName(_config)!;
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Executable_ExitCodes_AreConventional()
    {
        var url = server.BaseUri.AbsoluteUri;
        await server.PutClusterAsync("process", "east-1");

        var help = await RunAsync("--help");
        Assert.Equal(0, help.Code);
        Assert.Contains("Usage:", help.Out, StringComparison.Ordinal);

        var listed = await RunAsync("get", "clusters", "-n", "process", "--server", url);
        Assert.Equal(0, listed.Code);
        Assert.Contains("east-1", listed.Out, StringComparison.Ordinal);

        Assert.Equal(2, (await RunAsync("get")).Code);
        Assert.Equal(2, (await RunAsync("get", "clusters", "-o", "xml", "--server", url)).Code);

        var missing = await RunAsync("get", "cluster", "nope", "-n", "process", "--server", url);
        Assert.Equal(3, missing.Code);
        Assert.Empty(missing.Out);
        Assert.Contains("not found", missing.Err, StringComparison.Ordinal);

        var refused = await RunAsync("get", "clusters", "--server", url, "--token", "fleet_0000000000000000_" + new string('0', 64));
        Assert.Equal(4, refused.Code);

        var unreachable = await RunAsync("get", "clusters", "--server", "http://127.0.0.1:1");
        Assert.Equal(1, unreachable.Code);
        Assert.Contains("cannot reach", unreachable.Err, StringComparison.Ordinal);
    }

    private async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        // The apphost built beside the tests; `dotnet Fleet.Cli.dll` where the platform has none.
        var apphost = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "Fleet.Cli.exe" : "Fleet.Cli");
        var start = File.Exists(apphost) ? new ProcessStartInfo(apphost) : new ProcessStartInfo("dotnet") { ArgumentList = { Path.Combine(AppContext.BaseDirectory, "Fleet.Cli.dll") } };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.Environment["FLEET_CONFIG"] = _config;
        start.Environment.Remove("FLEET_SERVER");
        start.Environment["FLEET_TOKEN"] = FleetServer.AdminToken;
        start.Environment.Remove("FLEET_NAMESPACE");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout, await stderr);
    }
}
