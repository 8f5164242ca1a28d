using System.Text.Json.Nodes;
using Fleet.Gateway.Grpc;
using Fleet.Gateway.Grpc.V1;
using Fleet.Grpc.Tests.Support;
using Fleet.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Grpc.Tests;

/// <summary>
/// The gRPC API driven by clients nobody here wrote: Node's @grpc/grpc-js with @grpc/proto-loader, and Debian's
/// python3-grpcio with stubs from Debian's protoc. Each reads only proto/fleet/v1/fleet.proto.
/// </summary>
public sealed class InteropTests(GrpcFleet fleet) : IClassFixture<GrpcFleet>
{
    private const string Node = ExternalClient.Node;
    private const string Python = ExternalClient.Python;

    private static ExternalClient Client(string name)
    {
        var client = new ExternalClient(name);
        var reason = client.UnavailableReason();
        Skip.If(reason is not null, reason);
        return client;
    }

    private static string ClusterJson(string ns, string name, string env) =>
        new JsonObject
        {
            ["object"] = new JsonObject
            {
                ["cluster"] = new JsonObject
                {
                    ["metadata"] = new JsonObject { ["namespace"] = ns, ["name"] = name, ["labels"] = new JsonObject { ["env"] = env } },
                    ["spec"] = new JsonObject { ["server"] = "https://127.0.0.1:1", ["paused"] = true },
                },
            },
        }.ToJsonString();

    [SkippableTheory]
    [InlineData(Node)]
    [InlineData(Python)]
    public async Task UnaryCalls_ApplyGetListDelete(string name)
    {
        var client = Client(name);
        var ns = $"unary-{name}";

        var applied = (await client.RunAsync(fleet.GrpcAddress, fleet.AdminToken, "Apply", ClusterJson(ns, "east", "prod"))).Single;
        Assert.True(applied["created"]!.GetValue<bool>(), applied.ToJsonString());
        Assert.Equal("1", applied["object"]!["cluster"]!["metadata"]!["generation"]!.ToString());

        var got = (await client.RunAsync(fleet.GrpcAddress, fleet.AdminToken, "Get", $$"""{"kind":"CLUSTER","namespace":"{{ns}}","name":"east"}""")).Single;
        Assert.Equal("https://127.0.0.1:1", got["cluster"]!["spec"]!["server"]!.GetValue<string>());
        Assert.Equal("prod", got["cluster"]!["metadata"]!["labels"]!["env"]!.GetValue<string>());

        await client.RunAsync(fleet.GrpcAddress, fleet.AdminToken, "Apply", ClusterJson(ns, "west", "dev"));
        var listed = (await client.RunAsync(fleet.GrpcAddress, fleet.AdminToken, "List", $$"""{"kind":"CLUSTER","namespace":"{{ns}}","labelSelector":"env=prod"}""")).Single;
        var names = listed["items"]!.AsArray().Select(i => i!["cluster"]!["metadata"]!["name"]!.GetValue<string>()).ToList();
        Assert.Equal(["east"], names);

        var deleted = await client.RunAsync(fleet.GrpcAddress, fleet.AdminToken, "Delete", $$"""{"kind":"CLUSTER","namespace":"{{ns}}","name":"east"}""");
        Assert.Equal(0, deleted.ExitCode);
        var gone = (await client.RunAsync(fleet.GrpcAddress, fleet.AdminToken, "Get", $$"""{"kind":"CLUSTER","namespace":"{{ns}}","name":"east"}""")).Single;
        Assert.Equal("NOT_FOUND", gone["error"]!["codeName"]!.GetValue<string>());
    }

    [SkippableTheory]
    [InlineData(Node)]
    [InlineData(Python)]
    public async Task Watch_SeesAnObjectChange_AndTheCancelledStreamIsReleased(string name)
    {
        var client = Client(name);
        var ns = $"watch-{name}";
        var streams = fleet.Services.GetRequiredService<GrpcStreams>();
        var created = await fleet.Client.ApplyAsync(new ApplyRequest { Object = GrpcFleet.Secret(ns, "east", "prod") }, GrpcFleet.As(fleet.AdminToken));
        var from = created.Object.Secret.Metadata.ResourceVersion;

        var before = streams.Count;
        using var watch = client.Start(fleet.GrpcAddress, fleet.AdminToken, "Watch", $$"""{"kind":"SECRET","namespace":"{{ns}}","resourceVersion":"{{from}}"}""", "--max-messages", "1");
        await Eventually.WaitAsync(() => streams.Count > before || watch.HasExited, "the watch stream open on the server");
        await fleet.Client.ApplyAsync(new ApplyRequest { Object = GrpcFleet.Secret(ns, "east", "staging") }, GrpcFleet.As(fleet.AdminToken));

        var run = await ExternalClient.WaitAsync(watch);
        Assert.True(run.ExitCode == 0, run.Errors);
        var seen = run.Single;
        Assert.Equal("MODIFIED", seen["type"]!.GetValue<string>());
        Assert.Equal("staging", seen["object"]!["secret"]!["metadata"]!["labels"]!["env"]!.GetValue<string>());
        // The client cancelled after its message: the server's stream ends with it, without waiting for another change.
        await Eventually.WaitAsync(() => streams.Count == before, "the cancelled watch released on the server");
    }

    [SkippableTheory]
    [InlineData(Node)]
    [InlineData(Python)]
    public async Task InvalidObject_IsInvalidArgument_WithBadRequestFieldViolations(string name)
    {
        var client = Client(name);
        var request = """{"object":{"gitRepository":{"metadata":{"namespace":"bad-NAME","name":"app"},"spec":{"url":"ftp://example.com/x","interval":"soon"}}}}"""
            .Replace("NAME", name, StringComparison.Ordinal);

        var error = (await client.RunAsync(fleet.GrpcAddress, fleet.AdminToken, "Apply", request)).Single["error"]!;

        Assert.Equal("INVALID_ARGUMENT", error["codeName"]!.GetValue<string>());
        var fields = error["fieldViolations"]!.AsArray().Select(v => v!["field"]!.GetValue<string>()).Order().ToList();
        Assert.Equal(["spec.interval", "spec.url"], fields);
    }

    [SkippableTheory]
    [InlineData(Node)]
    [InlineData(Python)]
    public async Task ExpiredDeadline_IsDeadlineExceeded(string name)
    {
        var client = Client(name);
        string[] deadline = name == Node ? ["--deadline-ms", "300"] : ["--deadline", "0.3"];

        // A watch of a namespace where nothing happens runs until its deadline.
        var error = (await client.RunAsync(fleet.GrpcAddress, fleet.AdminToken, "Watch", $$"""{"kind":"CLUSTER","namespace":"quiet-{{name}}"}""", deadline)).Single["error"]!;

        Assert.Equal("DEADLINE_EXCEEDED", error["codeName"]!.GetValue<string>());
    }

    [SkippableTheory]
    [InlineData(Node)]
    [InlineData(Python)]
    public async Task MissingOrUnknownToken_IsUnauthenticated(string name)
    {
        var client = Client(name);
        var request = $$"""{"kind":"CLUSTER","namespace":"auth-{{name}}"}""";

        var missing = (await client.RunAsync(fleet.GrpcAddress, null, "List", request)).Single["error"]!;
        var unknown = (await client.RunAsync(fleet.GrpcAddress, "fleet_nope_nope", "List", request)).Single["error"]!;

        Assert.Equal("UNAUTHENTICATED", missing["codeName"]!.GetValue<string>());
        Assert.Equal("UNAUTHENTICATED", unknown["codeName"]!.GetValue<string>());
        Assert.DoesNotContain("fleet_nope_nope", unknown.ToJsonString(), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Reflection_ListsTheService_AndHealthServes()
    {
        var python = Client(Python);

        var services = (await python.RunAsync(fleet.GrpcAddress, null, "list-services", "{}")).Single["services"]!.AsArray().Select(s => s!.GetValue<string>()).ToList();
        Assert.Contains("fleet.v1.Fleet", services);
        Assert.Contains("grpc.health.v1.Health", services);

        var described = (await python.RunAsync(fleet.GrpcAddress, null, "describe", "fleet.v1.Fleet")).Single;
        var methods = described["methods"]!.AsArray().Select(m => m!.GetValue<string>()).ToList();
        Assert.Superset(new HashSet<string> { "Apply", "Get", "List", "Delete", "Reconcile", "Suspend", "Resume", "Register", "Watch", "WatchEvents" }, methods.ToHashSet());

        var health = (await python.RunAsync(fleet.GrpcAddress, null, "health", "{}")).Single;
        Assert.Equal("SERVING", health["status"]!.GetValue<string>());
    }
}
