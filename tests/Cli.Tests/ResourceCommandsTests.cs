using System.Text.Json.Nodes;
using Fleet.Cli.Tests.Support;
using Fleet.TestSupport;

namespace Fleet.Cli.Tests;

[Collection(FleetServerCollection.Name)]
public sealed class ResourceCommandsTests(FleetServer server) : IDisposable
{
    private readonly CliRunner _cli = new(server.BaseUri);
    private readonly string _ns = "cli-" + Guid.NewGuid().ToString("N")[..8];

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Get_ListsClustersAsTable_WithLabelSelector()
    {
        await server.PutClusterAsync(_ns, "east-1", "env: prod");
        await server.PutClusterAsync(_ns, "west-1", "env: dev");

        var (code, output, error) = await _cli.RunAsync("get", "clusters", "-n", _ns);
        Assert.Equal(0, code);
        Assert.Empty(error);
        var lines = output.TrimEnd().Split('\n');
        Assert.StartsWith("NAME", lines[0], StringComparison.Ordinal);
        Assert.Contains("READY", lines[0], StringComparison.Ordinal);
        Assert.Equal(["east-1", "west-1"], lines.Skip(1).Select(l => l.Split(' ')[0]));

        var (selectedCode, selected, _) = await _cli.RunAsync("get", "clusters", "-n", _ns, "-l", "env=prod", "-o", "wide");
        Assert.Equal(0, selectedCode);
        Assert.Contains("east-1", selected, StringComparison.Ordinal);
        Assert.DoesNotContain("west-1", selected, StringComparison.Ordinal);
        Assert.Contains("https://127.0.0.1:1", selected, StringComparison.Ordinal);
        Assert.Contains("env=prod", selected, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_AllNamespaces_AddsNamespaceColumn()
    {
        await server.PutClusterAsync(_ns, "a");
        await server.PutClusterAsync(_ns + "-b", "b");
        var (code, output, _) = await _cli.RunAsync("get", "cl", "-A");
        Assert.Equal(0, code);
        Assert.StartsWith("NAMESPACE", output, StringComparison.Ordinal);
        Assert.Contains(output.Split('\n'), l => l.StartsWith(_ns + " ", StringComparison.Ordinal) && l.Contains(" a ", StringComparison.Ordinal));
        Assert.Contains(output.Split('\n'), l => l.StartsWith(_ns + "-b ", StringComparison.Ordinal) && l.Contains(" b ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Get_OneObject_AsJsonAndYaml()
    {
        await server.PutClusterAsync(_ns, "east-1");

        var (code, json, _) = await _cli.RunAsync("get", "cluster", "east-1", "-n", _ns, "-o", "json");
        Assert.Equal(0, code);
        var obj = JsonNode.Parse(json)!;
        Assert.Equal("Cluster", obj["kind"]!.GetValue<string>());
        Assert.Equal("east-1", obj["metadata"]!["name"]!.GetValue<string>());

        var (yamlCode, yaml, _) = await _cli.RunAsync("get", "clusters", "-n", _ns, "-o", "yaml");
        Assert.Equal(0, yamlCode);
        Assert.StartsWith("apiVersion: fleet.dev/v1\nkind: ClusterList\nitems:\n", yaml, StringComparison.Ordinal);
        Assert.Contains("kind: ClusterList", yaml, StringComparison.Ordinal);
        Assert.Contains("    name: east-1", yaml, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_Missing_ExitsThreeNamingIt()
    {
        var (code, output, error) = await _cli.RunAsync("get", "apps", "nope", "-n", _ns);
        Assert.Equal(3, code);
        Assert.Empty(output);
        Assert.Contains($"{_ns}/nope not found", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_EmptyList_SaysSo()
    {
        var (code, output, _) = await _cli.RunAsync("get", "sources", "-n", _ns);
        Assert.Equal(0, code);
        Assert.Equal("No resources found.\n", output);
    }

    [Fact]
    public async Task Get_BadSelector_ExitsOneWithServerMessage()
    {
        var (code, _, error) = await _cli.RunAsync("get", "clusters", "-n", _ns, "-l", "env in (a");
        Assert.Equal(1, code);
        Assert.Contains("labelSelector", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delete_RemovesObject_ThenGetIsNotFound()
    {
        await server.PutClusterAsync(_ns, "gone");
        var (code, output, _) = await _cli.RunAsync("delete", "cluster", "gone", "-n", _ns);
        Assert.Equal(0, code);
        Assert.Equal($"Cluster {_ns}/gone deleted\n", output);
        Assert.Equal(3, (await _cli.RunAsync("get", "cluster", "gone", "-n", _ns)).Code);
        Assert.Equal(3, (await _cli.RunAsync("delete", "cluster", "gone", "-n", _ns)).Code);
    }

    [Fact]
    public async Task Describe_ShowsSpecConditionsAndEvents()
    {
        await server.PutClusterAsync(_ns, "east-1");
        await Eventually.WaitAsync(async () => (await _cli.RunAsync("describe", "cluster", "east-1", "-n", _ns)).Out.Contains("Suspended", StringComparison.Ordinal), "the paused cluster's condition");

        var (code, output, error) = await _cli.RunAsync("describe", "cluster", "east-1", "-n", _ns);
        Assert.Equal(0, code);
        Assert.Empty(error);
        Assert.Contains("Name:        east-1", output, StringComparison.Ordinal);
        Assert.Contains($"Namespace:   {_ns}", output, StringComparison.Ordinal);
        Assert.Contains("  server: https://127.0.0.1:1", output, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^  TYPE +STATUS +REASON", output);
        Assert.Matches(@"(?m)^  Ready +\w+ +Suspended", output);
        Assert.Contains("Placements:\n  <none>", output, StringComparison.Ordinal);
        Assert.Contains("Events:", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Events_ListsTheNamespacesEvents_AndWatchStreamsNewOnes()
    {
        // An unreachable cluster that is not paused: its probe fails and says so in an event.
        await server.PutClusterAsync(_ns, "east-1", paused: false);
        await Eventually.WaitAsync(async () => (await _cli.RunAsync("events", "-n", _ns)).Out.Split('\n').Length > 2, "an event of the new cluster");

        var (code, output, _) = await _cli.RunAsync("events", "-n", _ns, "--for", "cluster/east-1");
        Assert.Equal(0, code);
        Assert.StartsWith("TIME", output, StringComparison.Ordinal);
        Assert.Contains("Cluster/east-1", output, StringComparison.Ordinal);

        // The watch prints what exists, then what happens, until it is stopped.
        using var stop = new CancellationTokenSource();
        using var buffer = new StringWriter();
        var watched = TextWriter.Synchronized(buffer);
        var watch = _cli.RunAsync(watched, stop.Token, "events", "-n", _ns, "-w");
        await Eventually.WaitAsync(() => Read(watched, buffer).Contains("Cluster/east-1", StringComparison.Ordinal), "the existing event in the watch");
        await server.PutClusterAsync(_ns, "west-1", paused: false);
        await Eventually.WaitAsync(() => Read(watched, buffer).Contains("Cluster/west-1", StringComparison.Ordinal), "the new cluster's event in the watch");
        await stop.CancelAsync();
        var (watchCode, watchError) = await watch;
        Assert.Equal(0, watchCode);
        Assert.Empty(watchError);
    }

    /// <summary>The text so far of a synchronized writer (its methods lock the writer itself).</summary>
    private static string Read(TextWriter synchronized, StringWriter buffer)
    {
        lock (synchronized)
        {
            return buffer.ToString();
        }
    }

    [Fact]
    public async Task UnknownKind_IsAUsageError()
    {
        var (code, _, error) = await _cli.RunAsync("get", "pods", "-n", _ns);
        Assert.Equal(2, code);
        Assert.Contains("unknown kind \"pods\"", error, StringComparison.Ordinal);
    }
}
