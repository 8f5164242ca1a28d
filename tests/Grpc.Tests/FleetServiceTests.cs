using System.Net;
using Fleet.Gateway.Grpc;
using Fleet.Gateway.Grpc.V1;
using Fleet.Gateway.Services;
using WatchEvent = Fleet.Gateway.Grpc.V1.WatchEvent;
using Fleet.Grpc.Tests.Support;
using Fleet.Store;
using Fleet.TestSupport;
using Google.Rpc;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Grpc.Tests;

/// <summary>The Fleet service through .NET's generated client: statuses, write-only Secrets, watches, ports.</summary>
public sealed class FleetServiceTests(GrpcFleet fleet) : IClassFixture<GrpcFleet>
{
    private CallOptions Admin => GrpcFleet.As(fleet.AdminToken);

    private async Task<RpcException> FailsAsync(Func<Task> call)
    {
        return await Assert.ThrowsAsync<RpcException>(call);
    }

    [Fact]
    public async Task Apply_CreatesThenReplaces_AndGetReturnsTheTypedObject()
    {
        var created = await fleet.Client.ApplyAsync(new ApplyRequest { Object = GrpcFleet.Cluster("typed", "east", "prod") }, Admin);
        Assert.True(created.Created);
        Assert.Equal(1, created.Object.Cluster.Metadata.Generation);

        var replaced = await fleet.Client.ApplyAsync(new ApplyRequest { Object = GrpcFleet.Cluster("typed", "east", "dev") }, Admin);
        Assert.False(replaced.Created);

        var got = await fleet.Client.GetAsync(new GetRequest { Kind = Kind.Cluster, Namespace = "typed", Name = "east" }, Admin);
        Assert.Equal("dev", got.Cluster.Metadata.Labels["env"]);
        Assert.Equal("https://127.0.0.1:1", got.Cluster.Spec.Server);
        Assert.True(got.Cluster.Spec.Paused);
        Assert.NotNull(got.Cluster.Metadata.CreationTimestamp);
    }

    [Fact]
    public async Task Apply_StaleResourceVersion_IsAborted()
    {
        var first = await fleet.Client.ApplyAsync(new ApplyRequest { Object = GrpcFleet.Cluster("conflict", "east", "prod") }, Admin);
        await fleet.Client.ApplyAsync(new ApplyRequest { Object = GrpcFleet.Cluster("conflict", "east", "dev") }, Admin);
        var stale = GrpcFleet.Cluster("conflict", "east", "staging");
        stale.Cluster.Metadata.ResourceVersion = first.Object.Cluster.Metadata.ResourceVersion;

        var ex = await FailsAsync(() => fleet.Client.ApplyAsync(new ApplyRequest { Object = stale }, Admin).ResponseAsync);

        Assert.Equal(StatusCode.Aborted, ex.StatusCode);
        Assert.Contains("resource version conflict", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Apply_CreateOnly_OfAnExistingObject_IsAlreadyExists()
    {
        await fleet.Client.ApplyAsync(new ApplyRequest { Object = GrpcFleet.Cluster("exists", "east", "prod") }, Admin);

        var ex = await FailsAsync(() => fleet.Client.ApplyAsync(new ApplyRequest { Object = GrpcFleet.Cluster("exists", "east", "prod"), CreateOnly = true }, Admin).ResponseAsync);

        Assert.Equal(StatusCode.AlreadyExists, ex.StatusCode);
    }

    [Fact]
    public async Task Apply_InvalidObject_IsInvalidArgument_WithOneFieldViolationPerProblem()
    {
        var repo = new Resource
        {
            GitRepository = new GitRepository
            {
                Metadata = new ObjectMeta { Namespace = "invalid", Name = "app" },
                Spec = new GitRepositorySpec { Url = "ftp://example.com/x", Interval = "soon" },
            },
        };

        var ex = await FailsAsync(() => fleet.Client.ApplyAsync(new ApplyRequest { Object = repo }, Admin).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        var badRequest = ex.GetRpcStatus()!.GetDetail<BadRequest>();
        Assert.Equal(["spec.interval", "spec.url"], badRequest.FieldViolations.Select(v => v.Field).Order().ToList());
    }

    [Fact]
    public async Task Requests_WithoutKindOrObject_AreInvalidArgument_NamingTheField()
    {
        var get = await FailsAsync(() => fleet.Client.GetAsync(new GetRequest { Namespace = "x", Name = "y" }, Admin).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, get.StatusCode);
        Assert.Equal("kind", get.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations.Single().Field);

        var apply = await FailsAsync(() => fleet.Client.ApplyAsync(new ApplyRequest(), Admin).ResponseAsync);
        Assert.Equal("object", apply.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations.Single().Field);

        var noNamespace = GrpcFleet.Cluster("", "east", "prod");
        var ns = await FailsAsync(() => fleet.Client.ApplyAsync(new ApplyRequest { Object = noNamespace }, Admin).ResponseAsync);
        Assert.Equal("metadata.namespace", ns.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations.Single().Field);
    }

    [Fact]
    public async Task Placements_AreReadOnly_FailedPrecondition()
    {
        var placement = new Resource { Placement = new Placement { Metadata = new ObjectMeta { Namespace = "ro", Name = "app.east" }, Spec = new PlacementSpec { Application = "app", Cluster = "east" } } };

        var ex = await FailsAsync(() => fleet.Client.ApplyAsync(new ApplyRequest { Object = placement }, Admin).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
    }

    [Fact]
    public async Task Get_Missing_IsNotFound()
    {
        var ex = await FailsAsync(() => fleet.Client.GetAsync(new GetRequest { Kind = Kind.Cluster, Namespace = "missing", Name = "nope" }, Admin).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
    }

    [Fact]
    public async Task Secrets_AreWriteOnly_AnswersCarryTheKeysNeverTheValues()
    {
        var secret = new Resource { Secret = new Secret { Metadata = new ObjectMeta { Namespace = "secrets", Name = "git" }, Spec = new SecretSpec { Data = { ["username"] = "fleet", ["password"] = "hunter2" } } } };

        var applied = await fleet.Client.ApplyAsync(new ApplyRequest { Object = secret }, Admin);
        var got = await fleet.Client.GetAsync(new GetRequest { Kind = Kind.Secret, Namespace = "secrets", Name = "git" }, Admin);

        foreach (var answer in new[] { applied.Object, got })
        {
            Assert.Equal(["password", "username"], answer.Secret.Status.Keys.ToList());
            Assert.True(answer.Secret.Spec is null || answer.Secret.Spec.Data.Count == 0);
            Assert.DoesNotContain("hunter2", answer.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task OversizedMessage_IsResourceExhausted()
    {
        var big = GrpcFleet.Cluster("big", "east", "prod");
        big.Cluster.Metadata.Annotations["huge"] = new string('x', 4 * 1024 * 1024);

        var ex = await FailsAsync(() => fleet.Client.ApplyAsync(new ApplyRequest { Object = big }, Admin).ResponseAsync);

        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
    }

    [Fact]
    public async Task Watch_FromAResourceVersion_DeliversEachChangeOnceInOrder_ThenLiveChanges()
    {
        var first = await fleet.Client.ApplyAsync(new ApplyRequest { Object = GrpcFleet.Secret("ordered", "a", "v1") }, Admin);
        await fleet.Client.ApplyAsync(new ApplyRequest { Object = GrpcFleet.Secret("ordered", "b", "v1") }, Admin);
        await fleet.Client.ApplyAsync(new ApplyRequest { Object = GrpcFleet.Secret("ordered", "a", "v2") }, Admin);
        await fleet.Client.ApplyAsync(new ApplyRequest { Object = GrpcFleet.Secret("ordered", "c", "v1") }, Admin);

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var watch = fleet.Client.Watch(new WatchRequest { Kind = Kind.Secret, Namespace = "ordered", ResourceVersion = first.Object.Secret.Metadata.ResourceVersion }, GrpcFleet.As(fleet.AdminToken, ct: cts.Token));
        var seen = new List<string>();
        var versions = new List<long>();
        async Task ReadAsync(int count)
        {
            while (seen.Count < count && await watch.ResponseStream.MoveNext(cts.Token))
            {
                var e = watch.ResponseStream.Current;
                seen.Add($"{e.Type} {e.Object.Secret.Metadata.Name} {e.Object.Secret.Metadata.Labels.GetValueOrDefault("env")}".TrimEnd());
                versions.Add(long.Parse(e.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        await ReadAsync(3);
        await fleet.Client.DeleteAsync(new DeleteRequest { Kind = Kind.Secret, Namespace = "ordered", Name = "b" }, Admin);
        await ReadAsync(4);

        // Resumed from a version, the watch cannot know what the client holds: objects created before it opened are MODIFIED.
        Assert.Equal(["Modified b v1", "Modified a v2", "Modified c v1", "Deleted b"], seen);
        Assert.Equal(versions.Order().Distinct().ToList(), versions);
    }

    [Fact]
    public async Task Watch_WithoutAResourceVersion_StartsWithEveryObjectAdded()
    {
        await fleet.Client.ApplyAsync(new ApplyRequest { Object = GrpcFleet.Secret("fresh", "a", "v1") }, Admin);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var watch = fleet.Client.Watch(new WatchRequest { Kind = Kind.Secret, Namespace = "fresh" }, GrpcFleet.As(fleet.AdminToken, ct: cts.Token));

        Assert.True(await watch.ResponseStream.MoveNext(cts.Token));
        Assert.Equal((WatchEvent.Types.Type.Added, "a"), (watch.ResponseStream.Current.Type, watch.ResponseStream.Current.Object.Secret.Metadata.Name));
        await fleet.Client.ApplyAsync(new ApplyRequest { Object = GrpcFleet.Secret("fresh", "b", "v1") }, Admin);
        Assert.True(await watch.ResponseStream.MoveNext(cts.Token));
        Assert.Equal((WatchEvent.Types.Type.Added, "b"), (watch.ResponseStream.Current.Type, watch.ResponseStream.Current.Object.Secret.Metadata.Name));
    }

    [Fact]
    public async Task List_PagesWithLimitAndContinue_AndGivesTheVersionToWatchFrom()
    {
        foreach (var name in new[] { "a", "b", "c", "d", "e" })
        {
            await fleet.Client.ApplyAsync(new ApplyRequest { Object = GrpcFleet.Secret("paged", name, "v1") }, Admin);
        }

        var names = new List<string>();
        var request = new ListRequest { Kind = Kind.Secret, Namespace = "paged", Limit = 2 };
        var pages = 0;
        ListResponse page;
        do
        {
            page = await fleet.Client.ListAsync(request, Admin);
            names.AddRange(page.Items.Select(i => i.Secret.Metadata.Name));
            request.Continue = page.Continue;
            pages++;
        }
        while (page.Continue.Length > 0);

        Assert.Equal(["a", "b", "c", "d", "e"], names);
        Assert.Equal(3, pages);
        Assert.True(long.Parse(page.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture) > 0);
    }

    [Fact]
    public async Task Actions_SuspendResumeAndReconcile_ChangeTheObjectAsRestDoes()
    {
        var repo = new Resource { GitRepository = new GitRepository { Metadata = new ObjectMeta { Namespace = "actions", Name = "app" }, Spec = new GitRepositorySpec { Url = "https://example.com/app.git", Interval = "1h", Suspend = true } } };
        await fleet.Client.ApplyAsync(new ApplyRequest { Object = repo }, Admin);
        var target = new ActionRequest { Kind = Kind.GitRepository, Namespace = "actions", Name = "app" };

        var resumed = await fleet.Client.ResumeAsync(target, Admin);
        Assert.False(resumed.GitRepository.Spec.Suspend);
        var suspended = await fleet.Client.SuspendAsync(target, Admin);
        Assert.True(suspended.GitRepository.Spec.Suspend);
        var reconciled = await fleet.Client.ReconcileAsync(target, Admin);
        Assert.True(reconciled.GitRepository.Metadata.Annotations.ContainsKey("reconcile.fluxcd.io/requestedAt"));
        Assert.Equal(suspended.GitRepository.Metadata.Generation, reconciled.GitRepository.Metadata.Generation);

        var viewer = GrpcFleet.As(await fleet.TokenAsync("grpc-viewer-actions", "viewer", "actions"));
        var denied = await FailsAsync(() => fleet.Client.ReconcileAsync(target, viewer).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
    }

    [Fact]
    public async Task Apply_DryRun_AnswersButStoresNothing()
    {
        var answer = await fleet.Client.ApplyAsync(new ApplyRequest { Object = GrpcFleet.Cluster("dry", "east", "prod"), DryRun = true }, Admin);
        Assert.Equal("east", answer.Object.Cluster.Metadata.Name);

        var ex = await FailsAsync(() => fleet.Client.GetAsync(new GetRequest { Kind = Kind.Cluster, Namespace = "dry", Name = "east" }, Admin).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
    }

    [Fact]
    public async Task Watch_CancelledByTheClient_IsReleasedOnTheServerAtOnce()
    {
        var streams = fleet.Services.GetRequiredService<GrpcStreams>();
        var feed = fleet.Services.GetRequiredService<Fleet.Gateway.Watch.WatchFeed>();
        var before = (streams.Count, feed.Subscriptions);
        using var cts = new CancellationTokenSource();
        using var watch = fleet.Client.Watch(new WatchRequest { Kind = Kind.Application, Namespace = "cancel" }, GrpcFleet.As(fleet.AdminToken, ct: cts.Token));
        var reading = watch.ResponseStream.MoveNext(cts.Token);
        await Eventually.WaitAsync(() => (streams.Count, feed.Subscriptions) == (before.Count + 1, before.Subscriptions + 1), "the watch open on the server, subscribed to the shared reader");

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<Exception>(() => reading);
        // Nothing changes in the store meanwhile: only the cancellation can end the server's stream and its subscription.
        await Eventually.WaitAsync(() => (streams.Count, feed.Subscriptions) == before, "the cancelled watch released on the server");
    }

    [Fact]
    public async Task WatchEvents_StreamsFleetsEvents()
    {
        var log = fleet.Services.GetRequiredService<IEventLog>();
        var written = await log.AppendAsync("events", "Application", "web", FleetEventType.Warning, "BuildFailed", "kustomize build failed");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var watch = fleet.Client.WatchEvents(new WatchEventsRequest { Namespace = "events", After = written.Sequence - 1 }, GrpcFleet.As(fleet.AdminToken, ct: cts.Token));

        Assert.True(await watch.ResponseStream.MoveNext(cts.Token));
        var e = watch.ResponseStream.Current;
        Assert.Equal(("Application", "web", "Warning", "BuildFailed"), (e.InvolvedKind, e.InvolvedName, e.Type, e.Reason));
    }

    [Fact]
    public async Task Tenants_SeeOnlyTheirNamespaces_AndViewersMayNotWrite()
    {
        await fleet.Client.ApplyAsync(new ApplyRequest { Object = GrpcFleet.Cluster("tenant-a", "east", "prod") }, Admin);
        await fleet.Client.ApplyAsync(new ApplyRequest { Object = GrpcFleet.Cluster("tenant-b", "east", "prod") }, Admin);
        var operatorA = GrpcFleet.As(await fleet.TokenAsync("grpc-operator-a", "operator", "tenant-a"));
        var viewerA = GrpcFleet.As(await fleet.TokenAsync("grpc-viewer-a", "viewer", "tenant-a"));

        var own = await fleet.Client.GetAsync(new GetRequest { Kind = Kind.Cluster, Namespace = "tenant-a", Name = "east" }, viewerA);
        Assert.Equal("tenant-a", own.Cluster.Metadata.Namespace);
        var other = await FailsAsync(() => fleet.Client.GetAsync(new GetRequest { Kind = Kind.Cluster, Namespace = "tenant-b", Name = "east" }, operatorA).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, other.StatusCode);
        var all = await fleet.Client.ListAsync(new ListRequest { Kind = Kind.Cluster }, operatorA);
        Assert.All(all.Items, i => Assert.Equal("tenant-a", i.Cluster.Metadata.Namespace));

        var write = await FailsAsync(() => fleet.Client.ApplyAsync(new ApplyRequest { Object = GrpcFleet.Cluster("tenant-a", "east", "dev") }, viewerA).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, write.StatusCode);
        var elsewhere = await FailsAsync(() => fleet.Client.ApplyAsync(new ApplyRequest { Object = GrpcFleet.Cluster("tenant-b", "west", "dev") }, operatorA).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, elsewhere.StatusCode);
    }

    [Fact]
    public async Task MissingToken_IsUnauthenticated_ButReflectionAndHealthAnswer()
    {
        var ex = await FailsAsync(() => fleet.Client.ListAsync(new ListRequest { Kind = Kind.Cluster }).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);

        var health = new global::Grpc.Health.V1.Health.HealthClient(fleet.Channel);
        Assert.Equal(global::Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new global::Grpc.Health.V1.HealthCheckRequest())).Status);
    }

    [Fact]
    public async Task Register_WithARegistrationToken_CreatesTheClusterOnce_AndIsAudited()
    {
        var token = GrpcFleet.As(await fleet.RegistrationTokenAsync("registered", "edge"));
        var request = new RegisterRequest { Name = "edge-1", Server = "https://127.0.0.1:6443", Token = "sa-token", Labels = { ["site"] = "edge" } };

        var registered = await fleet.Client.RegisterAsync(request, token);
        Assert.Equal("edge-1", registered.Cluster.Metadata.Name);
        Assert.Equal("registered", registered.Cluster.Metadata.Namespace);
        Assert.Equal("edge-1-credentials", registered.Cluster.Spec.CredentialsRef.Name);
        Assert.Equal("edge-1-credentials", registered.Secret);

        // One use: the token is spent.
        var again = await FailsAsync(() => fleet.Client.RegisterAsync(request, token).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, again.StatusCode);
        // An API token is not a registration token.
        var api = await FailsAsync(() => fleet.Client.RegisterAsync(request, Admin).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, api.StatusCode);

        var audit = await fleet.Services.GetRequiredService<AuditService>().ListAsync(Caller.System, 0, 1000, CancellationToken.None);
        Assert.Contains(audit.Items, e => e.Verb == "register" && e.Namespace == "registered" && e.Name == "edge-1" && e.Status == 201);
    }

    [Fact]
    public async Task Ports_KeepGrpcAndRestApart()
    {
        using var rest = new HttpClient { BaseAddress = fleet.RestAddress };
        Assert.Equal(HttpStatusCode.OK, (await rest.GetAsync("healthz")).StatusCode);

        // gRPC is not served on the REST port ...
        using var wrongPort = GrpcChannel.ForAddress(fleet.RestAddress);
        var ex = await Assert.ThrowsAsync<RpcException>(() => new Fleet.Gateway.Grpc.V1.Fleet.FleetClient(wrongPort).GetAsync(new GetRequest { Kind = Kind.Cluster, Namespace = "x", Name = "y" }, Admin).ResponseAsync);
        Assert.NotEqual(StatusCode.NotFound, ex.StatusCode);

        // ... and the gRPC port (HTTP/2 only) answers nothing but gRPC.
        using var h2c = new HttpClient { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        var plain = await h2c.GetAsync(new Uri(fleet.GrpcAddress, "/healthz"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, plain.StatusCode);
    }
}
