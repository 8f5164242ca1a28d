using System.Globalization;
using Fleet.Gateway.Grpc;
using Fleet.Gateway.Grpc.V1;
using Fleet.Gateway.Watch;
using Fleet.Grpc.Tests.Support;
using Fleet.TestSupport;
using Google.Rpc;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Grpc.Tests;

/// <summary>A silo whose watches may have only a few changes waiting (<c>Fleet:Gateway:Watch:Buffer</c>).</summary>
public sealed class SmallWatchBufferFleet : GrpcFleet
{
    protected override string[] ExtraArguments => ["--Fleet:Gateway:Watch:Buffer=8"];
}

public sealed class SlowWatchTests(SmallWatchBufferFleet fleet) : IClassFixture<SmallWatchBufferFleet>
{
    /// <summary>A paused Cluster with a large annotation, so that a few events fill the HTTP/2 windows.</summary>
    private static Resource Big(string name, int n)
    {
        var cluster = GrpcFleet.Cluster("slow", name, "prod");
        cluster.Cluster.Metadata.Annotations["fleet.dev/padding"] = new string('x', 16_000) + n.ToString(CultureInfo.InvariantCulture);
        return cluster;
    }

    [Fact]
    public async Task Watch_ThatDoesNotKeepUp_EndsResourceExhausted_WithTheVersionToResumeFrom()
    {
        var admin = GrpcFleet.As(fleet.AdminToken);
        var feed = fleet.Services.GetRequiredService<WatchFeed>();
        var start = await fleet.Client.ApplyAsync(new ApplyRequest { Object = Big("a", 0) }, admin);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        using var watch = fleet.Client.Watch(new WatchRequest { Kind = Kind.Cluster, Namespace = "slow", ResourceVersion = start.Object.Cluster.Metadata.ResourceVersion }, GrpcFleet.As(fleet.AdminToken, ct: cts.Token));
        await fleet.Client.ApplyAsync(new ApplyRequest { Object = Big("a", 1) }, admin);
        Assert.True(await watch.ResponseStream.MoveNext(cts.Token));

        // The client stops reading; changes go on until the server drops the watch (HTTP/2 flow control holds the
        // server's writes once the windows are full, then the watch's buffer of eight fills).
        var overflows = feed.Overflows;
        for (var n = 2; feed.Overflows == overflows; n++)
        {
            Assert.True(n < 2_000, "the watch was never dropped");
            await fleet.Client.ApplyAsync(new ApplyRequest { Object = Big($"o{n % 5}", n) }, admin);
        }

        // What was sent arrives, then the error naming the last version sent.
        long last = 0;
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await watch.ResponseStream.MoveNext(cts.Token))
            {
                last = long.Parse(watch.ResponseStream.Current.ResourceVersion, CultureInfo.InvariantCulture);
            }
        });
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        var info = ex.GetRpcStatus()!.GetDetail<ErrorInfo>();
        Assert.Equal((GrpcErrors.WatchTooSlowReason, "fleet.dev"), (info.Reason, info.Domain));
        var resumeFrom = info.Metadata["resourceVersion"];
        Assert.Equal(last, long.Parse(resumeFrom, CultureInfo.InvariantCulture));

        // Watching again from there goes on with the next change.
        using var resumed = fleet.Client.Watch(new WatchRequest { Kind = Kind.Cluster, Namespace = "slow", ResourceVersion = resumeFrom }, GrpcFleet.As(fleet.AdminToken, ct: cts.Token));
        Assert.True(await resumed.ResponseStream.MoveNext(cts.Token));
        Assert.True(long.Parse(resumed.ResponseStream.Current.ResourceVersion, CultureInfo.InvariantCulture) > last);
    }
}
