using Fleet.Abstractions;

namespace Fleet.Store.Tests.Storage;

/// <summary>List pages, field requirements and watch positions, on every provider.</summary>
public abstract partial class StorageContract
{
    protected async Task Pages_WalkEveryObjectOnceInOrder_WithFiltersInTheQuery()
    {
        await using var s = await CreateAsync();
        var r = s.Resources;
        var writes = new List<ResourceWrite>();
        foreach (var ns in new[] { "ns1", "ns2", "ns3" })
        {
            for (var i = 0; i < 25; i++)
            {
                writes.Add(new ResourceWrite("Cluster", ns, $"c{i:D3}", Labels($"env={(i % 2 == 0 ? "prod" : "dev")}", $"n={i}"), Labels(), "{}"));
            }
        }

        await r.PutManyAsync(writes);
        await r.PutAsync("GitRepository", "ns1", "c000", Labels("env=prod"), Labels(), "{}");

        var all = await WalkAsync(r, new ResourceQuery("Cluster") { Limit = 10 });
        Assert.Equal(writes.Select(w => $"{w.Namespace}/{w.Name}"), all);

        var prodInTwo = await WalkAsync(r, new ResourceQuery("Cluster") { Limit = 4, Namespaces = ["ns1", "ns3"], Selector = LabelSelector.Parse("env=prod") });
        Assert.Equal(26, prodInTwo.Count);
        Assert.All(prodInTwo, k => Assert.DoesNotContain("ns2/", k, StringComparison.Ordinal));

        var byName = await WalkAsync(r, new ResourceQuery("Cluster") { Limit = 2, Fields = [new FieldRequirement(ResourceField.Name, false, "c007")] });
        Assert.Equal(["ns1/c007", "ns2/c007", "ns3/c007"], byName);
        var notNs2 = await WalkAsync(r, new ResourceQuery("Cluster") { Fields = [new FieldRequirement(ResourceField.Namespace, true, "ns2")] });
        Assert.Equal(50, notNs2.Count);
        Assert.Empty((await r.ListPageAsync(new ResourceQuery("Cluster") { Namespaces = [] })).Items);

        // Gt is answered partly outside SQL: pages may be short, but the walk still finds exactly the matches.
        var gt = await WalkAsync(r, new ResourceQuery("Cluster") { Namespace = "ns2", Limit = 5, Selector = LabelSelector.Parse("n>20") });
        Assert.Equal(["ns2/c021", "ns2/c022", "ns2/c023", "ns2/c024"], gt);

        var last = await r.ListPageAsync(new ResourceQuery("Cluster") { Limit = 75 });
        Assert.Null(last.Next);
        Assert.Equal(75, last.Items.Count);
        Assert.Equal(await r.LatestChangeAsync() > 0, last.ResourceVersion >= last.Items.Max(i => i.ResourceVersion));
    }

    protected async Task ChangePosition_StartsAfterAVersion_AndIsGoneOnceTrimmed()
    {
        await using var s = await CreateAsync();
        var r = s.Resources;
        var v1 = await r.PutAsync("Cluster", "ns", "a", Labels(), Labels(), "{}");
        var v2 = await r.PutAsync("Cluster", "ns", "b", Labels(), Labels(), "{}");
        var v3 = await r.PutAsync("Cluster", "ns", "a", Labels(), Labels(), "{\"x\":1}");

        var after1 = await r.ChangePositionAsync(v1.ResourceVersion);
        Assert.Equal([v2.ResourceVersion, v3.ResourceVersion], (await r.ChangesAsync(after1!.Value, 100)).Select(c => c.ResourceVersion));
        var afterAll = await r.ChangePositionAsync(v3.ResourceVersion);
        Assert.Empty(await r.ChangesAsync(afterAll!.Value, 100));

        await r.TrimChangesAsync(1);
        Assert.Null(await r.ChangePositionAsync(v1.ResourceVersion));
        Assert.NotNull(await r.ChangePositionAsync(v2.ResourceVersion));
    }

    private static async Task<List<string>> WalkAsync(IResourceStore r, ResourceQuery query)
    {
        var keys = new List<string>();
        ResourceKey? after = null;
        var pages = 0;
        do
        {
            var page = await r.ListPageAsync(query with { After = after });
            Assert.True(query.Limit == 0 || page.Items.Count <= query.Limit);
            keys.AddRange(page.Items.Select(i => $"{i.Namespace}/{i.Name}"));
            after = page.Next;
            Assert.True(++pages < 1000, "paging does not end");
        }
        while (after is not null);
        Assert.Equal(keys.Count, keys.Distinct().Count());
        return keys;
    }
}
