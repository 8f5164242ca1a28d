using Fleet.Store.Storage;

namespace Fleet.Store.Tests.Storage;

public abstract partial class StorageContract
{
    protected async Task ChangeObjects_KeepEveryVersion_EvenOfTwoQuickWritesToOneObject()
    {
        await using var s = await CreateAsync();
        using var keep = Signal.KeepObjects();
        var r = s.Resources;
        var created = await r.PutAsync("Cluster", "team-a", "c1", Labels("env=prod"), Labels("note=a"), "{\"server\":\"a\"}");
        var first = await r.UpdateStatusAsync("Cluster", "team-a", "c1", "{\"ready\":false}");
        var second = await r.UpdateStatusAsync("Cluster", "team-a", "c1", "{\"ready\":true}");
        var relabelled = await r.PutAsync("Cluster", "team-a", "c1", Labels("env=dev"), Labels("note=a"), "{\"server\":\"b\"}");
        await r.DeleteAsync("Cluster", "team-a", "c1");

        // Read only after all five writes: each change still carries the object as that change left it.
        var changes = await r.ChangesWithObjectsAsync(0, 100);
        Assert.Equal(
            [ResourceChangeType.Spec, ResourceChangeType.Status, ResourceChangeType.Status, ResourceChangeType.Spec, ResourceChangeType.Deleted],
            changes.Select(c => c.Type));
        var objects = changes.Select(c => c.Object!).ToList();
        Assert.Equal(changes.Select(c => c.ResourceVersion), objects.Select(o => o.ResourceVersion));
        Assert.Equal([created.ResourceVersion, first!.ResourceVersion, second!.ResourceVersion, relabelled.ResourceVersion], objects.Take(4).Select(o => o.ResourceVersion));
        Assert.Equal([null, "{\"ready\":false}", "{\"ready\":true}", "{\"ready\":true}", "{\"ready\":true}"], objects.Select(o => o.StatusJson));
        Assert.Equal(["{\"server\":\"a\"}", "{\"server\":\"a\"}", "{\"server\":\"a\"}", "{\"server\":\"b\"}", "{\"server\":\"b\"}"], objects.Select(o => o.SpecJson));
        Assert.Equal(["prod", "prod", "prod", "dev", "dev"], objects.Select(o => o.Labels["env"]));
        Assert.Equal([1L, 1, 1, 2, 2], objects.Select(o => o.Generation));
        Assert.All(objects, o => Assert.Equal((created.Uid, "a", created.CreatedAt), (o.Uid, o.Annotations["note"], o.CreatedAt)));

        // The plain feed leaves the objects out; a delete of nothing records nothing.
        Assert.All(await r.ChangesAsync(0, 100), c => Assert.Null(c.Object));
        Assert.False(await r.DeleteAsync("Cluster", "team-a", "c1"));
        Assert.Equal(changes[^1].Sequence, await r.LatestChangeAsync());
    }
}
