using System.Text.Json.Nodes;
using Fleet.Cli.Tests.Support;

namespace Fleet.Cli.Tests;

[Collection(FleetServerCollection.Name)]
public sealed class TokenCommandsTests(FleetServer server) : IDisposable
{
    private readonly CliRunner _admin = new(server.BaseUri);
    private readonly string _ns = "tok-" + Guid.NewGuid().ToString("N")[..8];

    public void Dispose() => _admin.Dispose();

    [Fact]
    public async Task TokenCreate_ViewerOfOneNamespace_ReadsThereOnly_ThenRevokeEndsIt()
    {
        await server.PutClusterAsync(_ns, "east-1");
        var name = "viewer-" + _ns;
        var (code, output, error) = await _admin.RunAsync("token", "create", name, "--role", "viewer", "--namespaces", _ns, "--expires-in", "24h");
        Assert.True(code == 0, error);
        var secret = output.Trim();
        Assert.StartsWith("fleet_", secret, StringComparison.Ordinal);
        Assert.Contains("shown this once only", error, StringComparison.Ordinal);

        using var viewer = new CliRunner(server.BaseUri);
        viewer.With("FLEET_TOKEN", secret);
        Assert.Equal(0, (await viewer.RunAsync("get", "cluster", "east-1", "-n", _ns)).Code);
        var (deleteCode, _, deleteError) = await viewer.RunAsync("delete", "cluster", "east-1", "-n", _ns);
        Assert.Equal(4, deleteCode);
        Assert.Contains("viewer", deleteError, StringComparison.Ordinal);
        Assert.Equal(3, (await viewer.RunAsync("get", "cluster", "east-1", "-n", "somewhere-else")).Code);

        var (listCode, table, _) = await _admin.RunAsync("get", "tokens");
        Assert.Equal(0, listCode);
        Assert.Matches($@"(?m)^{name} +viewer +{_ns} +true ", table);
        Assert.DoesNotContain(secret, table, StringComparison.Ordinal);

        var (revokeCode, revoked, _) = await _admin.RunAsync("token", "revoke", name);
        Assert.Equal(0, revokeCode);
        Assert.Equal($"API token {name} revoked\n", revoked);
        Assert.Equal(4, (await viewer.RunAsync("get", "clusters", "-n", _ns)).Code);
    }

    [Fact]
    public async Task RegistrationToken_CreateListRevoke()
    {
        var (code, output, error) = await _admin.RunAsync("token", "create", "edge", "--registration", "-n", _ns, "--max-uses", "3", "--cluster-label", "env=edge");
        Assert.True(code == 0, error);
        Assert.StartsWith("fleetreg_", output.Trim(), StringComparison.Ordinal);

        var (listCode, listed, _) = await _admin.RunAsync("token", "list", "--registration", "-n", _ns, "-o", "json");
        Assert.Equal(0, listCode);
        var token = Assert.Single(JsonNode.Parse(listed)!["items"]!.AsArray())!;
        Assert.Equal(3, token["maxUses"]!.GetValue<int>());
        Assert.Equal("edge", token["clusterLabels"]!["env"]!.GetValue<string>());
        Assert.Null(token["token"]);

        Assert.Equal(0, (await _admin.RunAsync("token", "revoke", "edge", "--registration", "-n", _ns)).Code);
        Assert.Equal(2, (await _admin.RunAsync("token", "create", "x", "--max-uses", "1")).Code);
    }
}
