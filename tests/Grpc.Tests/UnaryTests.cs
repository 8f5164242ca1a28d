using Fleet.Gateway.Grpc.V1;
using Fleet.Grpc.Tests.Support;
using Grpc.Core;

namespace Fleet.Grpc.Tests;

public sealed class UnaryTests(GrpcFleet fleet) : IClassFixture<GrpcFleet>
{
    private static Resource Cluster(string ns, string name, string env) => new()
    {
        Cluster = new Cluster
        {
            Metadata = new ObjectMeta { Namespace = ns, Name = name, Labels = { ["env"] = env } },
            Spec = new ClusterSpec { Server = "https://127.0.0.1:1", Paused = true, InsecureSkipTlsVerify = true },
        },
    };

    [Fact]
    public async Task Apply_CreatesThenReplaces_AndGetReturnsTypedObject()
    {
        var created = await fleet.Client.ApplyAsync(new ApplyRequest { Object = Cluster("unary", "east", "prod") });
        Assert.True(created.Created);
        Assert.Equal(1, created.Object.Cluster.Metadata.Generation);
        Assert.True(created.Object.Cluster.Spec.InsecureSkipTlsVerify);

        var replaced = await fleet.Client.ApplyAsync(new ApplyRequest { Object = Cluster("unary", "east", "dev") });
        Assert.False(replaced.Created);

        var got = await fleet.Client.GetAsync(new GetRequest { Kind = Kind.Cluster, Namespace = "unary", Name = "east" });
        Assert.Equal("dev", got.Cluster.Metadata.Labels["env"]);
        Assert.Equal("https://127.0.0.1:1", got.Cluster.Spec.Server);
        Assert.NotNull(got.Cluster.Metadata.CreationTimestamp);
    }

    [Fact]
    public async Task Get_Missing_IsNotFound()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => fleet.Client.GetAsync(new GetRequest { Kind = Kind.Cluster, Namespace = "unary", Name = "nope" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
    }
}
