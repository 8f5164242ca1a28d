using System.Globalization;
using Fleet.Abstractions.Resources;
using Fleet.Gateway.Resources;
using Fleet.Gateway.Services;
using Fleet.Gateway.Watch;
using Fleet.Store;
using Fleet.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fleet.Gateway.Tests.Rest;

/// <summary>
/// Watches through the gateway's one shared reader of the change feed: fan-out, tenant filtering, the hand-over from
/// a watch's own catch-up to the shared reader, every version of an object, slow consumers and cancellation. The
/// objects are Secrets written straight to the store (the silo writes no status of its own for them).
/// </summary>
[Collection(RestCollection.Name)]
public sealed class WatchFeedTests(RestSilo rest)
{
    private static readonly Dictionary<string, string> None = [];

    private IResourceStore Store => rest.Silo.Services.GetRequiredService<IResourceStore>();

    private ResourceService Service => rest.Silo.Services.GetRequiredService<ResourceService>();

    private static Caller Admin => Caller.System;

    private Task<StoredResource> PutAsync(string ns, string name, int v) =>
        Store.PutAsync("Secret", ns, name, new Dictionary<string, string> { ["v"] = v.ToString(CultureInfo.InvariantCulture) }, None, "{}");

    private static string Describe(WatchEvent e) =>
        $"{e.Type} {e.Object.Namespace}/{e.Object.Name} v={e.Object.Labels.GetValueOrDefault("v")} status={e.Object.StatusJson ?? "-"}";

    /// <summary>What an event shows of its object, whatever its type.</summary>
    private static (long Version, string Name, string? V, string? Status) State(WatchEvent e) =>
        (e.Object.ResourceVersion, e.Object.Name, e.Object.Labels.GetValueOrDefault("v"), e.Object.StatusJson);

    /// <summary>The next <paramref name="count"/> events of a watch (failing after 30 s).</summary>
    private static async Task<List<WatchEvent>> TakeAsync(IAsyncEnumerator<WatchEvent> events, int count)
    {
        var list = new List<WatchEvent>();
        while (list.Count < count)
        {
            var next = events.MoveNextAsync().AsTask();
            Assert.True(await next.WaitAsync(TimeSpan.FromSeconds(30)), $"the watch ended after {list.Count} of {count} events");
            list.Add(events.Current);
        }
        return list;
    }

    private async Task<IAsyncEnumerator<WatchEvent>> WatchAsync(ResourceService service, Caller caller, string? ns, long from, CancellationToken ct, string? fieldSelector = null) =>
        (await service.WatchAsync(caller, ResourceKinds.Secret, ns, new WatchOptions(FieldSelector: fieldSelector, ResourceVersion: from.ToString(CultureInfo.InvariantCulture)), ct)).GetAsyncEnumerator(ct);

    /// <summary>A service with a feed of its own (a small buffer, exact counts), on the silo's store.</summary>
    private (ResourceService Service, WatchFeed Feed) OwnFeed(int buffer)
    {
        var sp = rest.Silo.Services;
        var feed = new WatchFeed(Store, sp.GetRequiredService<StoreChangeSignal>(), TimeProvider.System, new WatchFeedOptions { Buffer = buffer }, NullLogger<WatchFeed>.Instance, CancellationToken.None);
        return (new ResourceService(Store, sp.GetRequiredService<RequestReader>(), feed, TimeProvider.System, CancellationToken.None), feed);
    }

    [Fact]
    public async Task TwoWatches_SeeTheSameChanges_InCommitOrder_ThroughOneReader()
    {
        const string ns = "feed-fanout";
        var start = await PutAsync(ns, "a", 0);
        using var cts = new CancellationTokenSource();
        await using var first = await WatchAsync(Service, Admin, ns, start.ResourceVersion, cts.Token);
        await using var second = await WatchAsync(Service, Admin, ns, start.ResourceVersion, cts.Token);
        var seenByFirst = TakeAsync(first, 20);
        var seenBySecond = TakeAsync(second, 20);

        var versions = new List<long>();
        for (var i = 1; i <= 10; i++)
        {
            versions.Add((await PutAsync(ns, i % 2 == 0 ? "a" : "b", i)).ResourceVersion);
            versions.Add((await Store.UpdateStatusAsync("Secret", ns, i % 2 == 0 ? "a" : "b", $"{{\"n\":{i}}}"))!.ResourceVersion);
        }

        var a = await seenByFirst;
        var b = await seenBySecond;
        Assert.Equal(versions, a.Select(e => e.Object.ResourceVersion));
        Assert.Equal(a.Select(State), b.Select(State));
        Assert.Equal("Modified feed-fanout/a v=10 status={\"n\":10}", Describe(a[^1]));
    }

    [Fact]
    public async Task TwoQuickWritesToOneObject_AreBothDelivered_LiveAndOnCatchUp()
    {
        const string ns = "feed-quick";
        var start = await PutAsync(ns, "a", 0);
        using var cts = new CancellationTokenSource();
        await using var live = await WatchAsync(Service, Admin, ns, start.ResourceVersion, cts.Token);
        var marker = TakeAsync(live, 1);
        await PutAsync(ns, "a", 1);
        await marker;

        // Two writes of one object in one commit: the shared reader reads both in one batch, and re-reading the
        // object would show only the second.
        var writes = Enumerable.Range(2, 2).Select(v => new ResourceWrite("Secret", ns, "a", new Dictionary<string, string> { ["v"] = v.ToString(CultureInfo.InvariantCulture) }, None, "{}")).ToList();
        await Store.PutManyAsync(writes);
        await Store.UpdateStatusAsync("Secret", ns, "a", "{\"n\":1}");
        await Store.UpdateStatusAsync("Secret", ns, "a", "{\"n\":2}");
        var expected = new[]
        {
            "Modified feed-quick/a v=2 status=-", "Modified feed-quick/a v=3 status=-",
            "Modified feed-quick/a v=3 status={\"n\":1}", "Modified feed-quick/a v=3 status={\"n\":2}",
        };
        Assert.Equal(expected, (await TakeAsync(live, 4)).Select(Describe));

        // A watch from before them reads them from the store: the same four.
        await using var later = await WatchAsync(Service, Admin, ns, start.ResourceVersion, cts.Token);
        Assert.Equal(["Modified feed-quick/a v=1 status=-", .. expected], (await TakeAsync(later, 5)).Select(Describe));
    }

    [Fact]
    public async Task Tenant_SeesThroughTheSharedReaderOnlyItsNamespaces()
    {
        var start = await PutAsync("feed-tenant-a", "seed", 0);
        var tenant = new Caller("tenant-a", ApiRole.Viewer, new HashSet<string> { "feed-tenant-a" });
        using var cts = new CancellationTokenSource();
        await using var admin = await WatchAsync(Service, Admin, null, start.ResourceVersion, cts.Token, "metadata.name=t");
        await using var own = await WatchAsync(Service, tenant, null, start.ResourceVersion, cts.Token, "metadata.name=t");
        await using var other = await WatchAsync(Service, tenant, "feed-tenant-b", start.ResourceVersion, cts.Token);
        var seenByAdmin = TakeAsync(admin, 6);
        var seenByTenant = TakeAsync(own, 3);
        var seenInOther = other.MoveNextAsync().AsTask();

        foreach (var (ns, v) in new[] { ("feed-tenant-b", 1), ("feed-tenant-a", 2), ("feed-tenant-b", 3), ("feed-tenant-a", 4), ("feed-tenant-b", 5), ("feed-tenant-a", 6) })
        {
            await PutAsync(ns, "t", v);
        }

        Assert.Equal(6, (await seenByAdmin).Count);
        // Every change of the other namespace was committed before the tenant's last one, and none reached it.
        Assert.Equal(["Added feed-tenant-a/t v=2 status=-", "Modified feed-tenant-a/t v=4 status=-", "Modified feed-tenant-a/t v=6 status=-"], (await seenByTenant).Select(Describe));
        Assert.False(seenInOther.IsCompleted);
        await cts.CancelAsync();
        Assert.False(await seenInOther);
    }

    [Fact]
    public async Task CatchUp_HandsOverToTheSharedReader_WithoutAGapOrADuplicate()
    {
        const string ns = "feed-handover";
        var start = await PutAsync(ns, "a", 0);
        using var cts = new CancellationTokenSource();
        // One watch keeps the shared reader running ahead while the second one catches up and joins it.
        await using var running = await WatchAsync(Service, Admin, ns, start.ResourceVersion, cts.Token);
        var seenByRunning = TakeAsync(running, 60);

        var versions = new System.Collections.Concurrent.ConcurrentQueue<long>();
        var writer = Task.Run(async () =>
        {
            for (var i = 1; i <= 60; i++)
            {
                versions.Enqueue((await PutAsync(ns, $"o{i % 7}", i)).ResourceVersion);
            }
        });
        await Eventually.WaitAsync(() => versions.Count >= 20, "the first writes");
        await using var joining = await WatchAsync(Service, Admin, ns, start.ResourceVersion, cts.Token);
        var joined = await TakeAsync(joining, 60);
        await writer;

        // The same versions in the same order (whether an object counts as ADDED depends on when a watch opened).
        Assert.Equal(versions, joined.Select(e => e.Object.ResourceVersion));
        Assert.Equal((await seenByRunning).Select(State), joined.Select(State));
    }

    [Fact]
    public async Task SlowWatch_IsEndedWithTheVersionToResumeFrom_WithoutHoldingUpTheOthers()
    {
        const string ns = "feed-slow";
        var (service, feed) = OwnFeed(buffer: 10);
        using var _ = feed;
        var start = await PutAsync(ns, "a", 0);
        using var cts = new CancellationTokenSource();
        await using var slow = await WatchAsync(service, Admin, ns, start.ResourceVersion, cts.Token);
        var first = TakeAsync(slow, 1);
        await PutAsync(ns, "a", 1);
        var resumeFrom = (await first)[0].Object.ResourceVersion;

        // The slow watch reads nothing more while eleven changes pass, one more than its buffer; the other one
        // reads each as it comes.
        await using var fast = await WatchAsync(service, Admin, ns, resumeFrom, cts.Token);
        var all = new List<WatchEvent>();
        for (var i = 2; i <= 12; i++)
        {
            var next = TakeAsync(fast, 1);
            await PutAsync(ns, $"o{i % 3}", i);
            all.AddRange(await next);
        }

        var ex = await Assert.ThrowsAsync<WatchTooSlowException>(async () => await slow.MoveNextAsync());
        Assert.Equal(resumeFrom, ex.ResourceVersion);
        Assert.Equal((1L, 1), (feed.Overflows, feed.Subscriptions));

        // Watching again from the version it names misses nothing.
        await using var resumed = await WatchAsync(service, Admin, ns, ex.ResourceVersion, cts.Token);
        // (Resumed, it cannot know which objects its client holds: MODIFIED where the first watch said ADDED.)
        Assert.Equal(all.Select(State), (await TakeAsync(resumed, 11)).Select(State));
    }

    [Fact]
    public async Task CancelledWatch_LeavesTheSharedReaderAtOnce_AndTheLastOneStopsIt()
    {
        var (service, feed) = OwnFeed(buffer: 100);
        using var _ = feed;
        var start = await PutAsync("feed-cancel", "a", 0);
        using var cts = new CancellationTokenSource();
        await using var watch = await WatchAsync(service, Admin, "feed-cancel", start.ResourceVersion, cts.Token);
        var next = watch.MoveNextAsync().AsTask();
        await Eventually.WaitAsync(() => feed.Subscriptions == 1 && feed.Reading, "the watch subscribed");

        await cts.CancelAsync();

        Assert.False(await next);
        Assert.Equal((0, false), (feed.Subscriptions, feed.Reading));
    }
}
