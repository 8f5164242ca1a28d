using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Fleet.Kubernetes.Tests;

/// <summary>
/// Immutable-field changes. KubeSim does not (yet) refuse changes to a Deployment's spec.selector or a Job's
/// spec.template, so these run against a small HTTP endpoint that answers as kube-apiserver does: 422 Invalid with a
/// FieldValueInvalid cause naming the field and "field is immutable".
/// </summary>
public sealed class ImmutableFieldTests
{
    private static readonly KubeClientOptions Fast = new() { MaxRetries = 1, RetryBaseDelay = TimeSpan.FromMilliseconds(5) };

    /// <summary>Just enough of an API server for apps/v1 Deployments and batch/v1 Jobs: discovery, apply, get, delete.</summary>
    private sealed class ImmutableApi
    {
        private readonly ConcurrentDictionary<string, JsonObject> _objects = new();
        private int _rv = 100;
        private int _uid;

        public async Task Handle(HttpContext ctx)
        {
            var path = ctx.Request.Path.Value!;
            if (path is "/apis/apps/v1" or "/apis/batch/v1")
            {
                var (kind, plural) = path == "/apis/apps/v1" ? ("Deployment", "deployments") : ("Job", "jobs");
                await ctx.Response.WriteAsJsonAsync(new { kind = "APIResourceList", groupVersion = path[6..], resources = new[] { new { name = plural, kind, @namespaced = true, verbs = new[] { "get", "list", "patch", "delete" } } } });
                return;
            }
            switch (ctx.Request.Method)
            {
                case "GET" when _objects.TryGetValue(path, out var found):
                    await ctx.Response.WriteAsync(found.ToJsonString());
                    return;
                case "GET":
                case "DELETE" when !_objects.ContainsKey(path):
                    await Status(ctx, 404, "NotFound", $"\"{path}\" not found", null);
                    return;
                case "DELETE":
                    _objects.TryRemove(path, out _);
                    await ctx.Response.WriteAsJsonAsync(new { kind = "Status", status = "Success", code = 200 });
                    return;
                case "PATCH":
                    var body = JsonNode.Parse(await new StreamReader(ctx.Request.Body).ReadToEndAsync())!.AsObject();
                    var kind = body.Str("kind")!;
                    var immutable = kind == "Deployment" ? "selector" : "template";
                    if (_objects.TryGetValue(path, out var existing) &&
                        !JsonNode.DeepEquals(existing.Path("spec", immutable), body.Path("spec", immutable)))
                    {
                        var field = $"spec.{immutable}";
                        var message = $"Invalid value: {body.Path("spec", immutable)?.ToJsonString()}: field is immutable";
                        await Status(ctx, 422, "Invalid", $"{kind}.{(kind == "Job" ? "batch" : "apps")} \"{body.Str("metadata", "name")}\" is invalid: {field}: {message}",
                            new[] { new { reason = "FieldValueInvalid", message, field } });
                        return;
                    }
                    var created = existing is null;
                    var metadata = body.Obj("metadata");
                    metadata["resourceVersion"] = Interlocked.Increment(ref _rv).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    metadata["uid"] = created ? $"uid-{Interlocked.Increment(ref _uid)}" : existing!.Str("metadata", "uid");
                    _objects[path] = body;
                    ctx.Response.StatusCode = created ? 201 : 200;
                    await ctx.Response.WriteAsync(body.ToJsonString());
                    return;
                default:
                    await Status(ctx, 405, "MethodNotAllowed", "not here", null);
                    return;
            }
        }

        private static async Task Status(HttpContext ctx, int code, string reason, string message, object? causes)
        {
            ctx.Response.StatusCode = code;
            await ctx.Response.WriteAsJsonAsync(new { kind = "Status", apiVersion = "v1", status = "Failure", code, reason, message, details = new { causes } });
        }
    }

    private static async Task<(TestApiServer Server, KubeClient Client)> StartAsync()
    {
        var server = await TestApiServer.StartAsync();
        var api = new ImmutableApi();
        server.Handler = (ctx, _) => api.Handle(ctx);
        return (server, new KubeClient(new ClusterConnection(server.Uri.ToString()), Fast));
    }

    private static ApplyOptions Options(Inventory? previous = null) => new("shop", "team-a") { Previous = previous, Timeout = TimeSpan.FromSeconds(20) };

    [Fact]
    public async Task Apply_ImmutableSelectorChange_FailsNamingFieldWithoutForce_RecreatesWithForce()
    {
        var (server, client) = await StartAsync();
        await using var _ = server;
        using var __ = client;
        var applier = new Applier();
        var first = await applier.ApplyAsync(client, [Manifests.Deployment("shop", "web", app: "web")], Options());
        Assert.True(first.Succeeded, string.Join("\n", first.Errors));
        var uid = (await client.GetAsync("apps/v1", "Deployment", "shop", "web")).Str("metadata", "uid");

        var changed = new List<JsonObject> { Manifests.Deployment("shop", "web", app: "web-v2") };
        var refused = await applier.ApplyAsync(client, changed, Options(first.Inventory));
        Assert.False(refused.Succeeded);
        var error = Assert.Single(refused.Errors);
        Assert.Contains("Deployment/shop/web", error, StringComparison.Ordinal);
        Assert.Contains("field spec.selector is immutable", error, StringComparison.Ordinal);
        Assert.Contains("set force", error, StringComparison.Ordinal);
        // The failed object keeps its previous inventory entry, so that the next attempt applies it again.
        Assert.Equal(first.Inventory, refused.Inventory);

        var forced = await applier.ApplyAsync(client, changed, Options(refused.Inventory) with { Force = true });
        Assert.True(forced.Succeeded, string.Join("\n", forced.Errors));
        var change = Assert.Single(forced.Changes);
        Assert.Equal(ChangeAction.Created, change.Action);
        Assert.Contains("recreated: immutable field spec.selector changed", change.Message, StringComparison.Ordinal);
        var live = await client.GetAsync("apps/v1", "Deployment", "shop", "web");
        Assert.NotEqual(uid, live.Str("metadata", "uid"));
        Assert.Equal("web-v2", live.Str("spec", "selector", "matchLabels", "app"));
    }

    [Fact]
    public async Task Apply_JobTemplateChange_IsImmutableToo()
    {
        var (server, client) = await StartAsync();
        await using var _ = server;
        using var __ = client;
        var applier = new Applier();
        var first = await applier.ApplyAsync(client, [Manifests.Job("shop", "migrate")], Options());
        Assert.True(first.Succeeded, string.Join("\n", first.Errors));
        var changed = new List<JsonObject> { Manifests.Job("shop", "migrate", "busybox:1.37") };
        var refused = await applier.ApplyAsync(client, changed, Options(first.Inventory));
        Assert.Contains("field spec.template is immutable", Assert.Single(refused.Errors), StringComparison.Ordinal);
        var forced = await applier.ApplyAsync(client, changed, Options(first.Inventory) with { Force = true });
        Assert.True(forced.Succeeded, string.Join("\n", forced.Errors));
        Assert.Equal(ChangeAction.Created, Assert.Single(forced.Changes).Action);
    }

    [Theory]
    [InlineData(422, "Invalid", "FieldValueForbidden", "spec", "spec")]                      // StatefulSet, PVC
    [InlineData(422, "Invalid", "FieldValueForbidden", "provisioner", "provisioner")]        // StorageClass
    [InlineData(422, "Invalid", "FieldValueInvalid", "spec.clusterIPs[0]", "spec.clusterIPs[0]")] // "may not change once set"
    [InlineData(422, "Invalid", "FieldValueInvalid", "spec.selector", "spec.selector")]
    [InlineData(422, "Invalid", "FieldValueInvalid", "roleRef", "roleRef")]
    [InlineData(422, "Invalid", "FieldValueInvalid", "spec.template.spec.containers[0].image", null)] // a bad value, not an immutable one
    [InlineData(422, "Invalid", "FieldValueRequired", "spec.selector", null)]
    [InlineData(422, "Invalid", "FieldValueInvalid", "spec.replicas", null)]
    [InlineData(409, "Conflict", "FieldManagerConflict", ".spec.replicas", null)]
    [InlineData(400, "BadRequest", "FieldValueForbidden", "spec", null)]
    public void ImmutableField_IsDecidedFromStatusDetails(int code, string reason, string causeReason, string field, string? expected)
    {
        // The message says "immutable" in every case: it must not matter.
        var ex = new KubeApiException("apply", new KubeStatus(code, reason, "field is immutable", [new StatusCause(causeReason, "field is immutable", field)]));
        Assert.Equal(expected, Applier.ImmutableField(ex));
    }
}
