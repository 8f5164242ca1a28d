using System.Text;
using System.Text.Json.Nodes;
using Fleet.Abstractions;
using Fleet.Store.Storage;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.Store.Tests.Storage;

/// <summary>
/// The behaviour every storage provider must have. Each provider's test class runs every case through a one-line
/// fact, so that the PostgreSQL cases can be skipped where PostgreSQL is missing.
/// </summary>
public abstract partial class StorageContract
{
    protected FakeTimeProvider Time { get; } = new();

    /// <summary>The change signal of the providers a test creates.</summary>
    protected StoreChangeSignal Signal { get; } = new();

    private protected abstract Task<IStorageProvider> CreateAsync();

    protected async Task Changes_FeedRecordsEveryCommittedWriteInOrder_AndSignalsIt()
    {
        await using var s = await CreateAsync();
        var r = s.Resources;
        Assert.Equal(0, await r.LatestChangeAsync());
        await r.PutAsync("Cluster", "team-a", "c1", Labels("env=prod"), Labels(), "{\"server\":\"a\"}");
        await r.PutAsync("Cluster", "team-a", "c1", Labels("env=prod"), Labels(), "{\"server\":\"a\"}");
        await r.UpdateStatusAsync("Cluster", "team-a", "c1", "{\"ready\":true}");
        await r.DeleteAsync("Cluster", "team-a", "c1");
        await r.DeleteAsync("Cluster", "team-a", "c1");
        var changes = await r.ChangesAsync(0, 100);
        Assert.Equal([ResourceChangeType.Spec, ResourceChangeType.Status, ResourceChangeType.Deleted], changes.Select(c => c.Type));
        Assert.All(changes, c => Assert.Equal(("Cluster", "team-a", "c1"), (c.Kind, c.Namespace, c.Name)));
        Assert.True(changes[0].Sequence < changes[1].Sequence && changes[1].Sequence < changes[2].Sequence);
        Assert.True(changes[0].ResourceVersion < changes[1].ResourceVersion);
        Assert.Equal(changes[2].Sequence, await r.LatestChangeAsync());
        Assert.Equal([changes[2].Sequence], (await r.ChangesAsync(changes[1].Sequence, 100)).Select(c => c.Sequence));
        Assert.Single(await r.ChangesAsync(0, 1));

        Assert.Equal(2, await r.TrimChangesAsync(1));
        Assert.Equal([changes[2].Sequence], (await r.ChangesAsync(0, 100)).Select(c => c.Sequence));
    }

    protected async Task Resources_GenerationBumpsOnlyOnSpecChange_ResourceVersionOnEveryChange()
    {
        await using var s = await CreateAsync();
        var r = s.Resources;
        var created = await r.PutAsync("Cluster", "team-a", "c1", Labels("env=prod"), Labels(), "{\"server\":\"a\"}");
        Assert.Equal(1, created.Generation);
        Assert.NotEmpty(created.Uid);

        var same = await r.PutAsync("Cluster", "team-a", "c1", Labels("env=prod"), Labels(), "{\"server\":\"a\"}");
        Assert.Equal(created.ResourceVersion, same.ResourceVersion);

        var relabelled = await r.PutAsync("Cluster", "team-a", "c1", Labels("env=dev"), Labels(), "{\"server\":\"a\"}");
        Assert.Equal(1, relabelled.Generation);
        Assert.True(relabelled.ResourceVersion > created.ResourceVersion);

        var changed = await r.PutAsync("Cluster", "team-a", "c1", Labels("env=dev"), Labels("note=x"), "{\"server\":\"b\"}", relabelled.ResourceVersion);
        Assert.Equal(2, changed.Generation);
        Assert.True(changed.ResourceVersion > relabelled.ResourceVersion);
        Assert.Equal(created.Uid, changed.Uid);

        var beforeStatus = await r.LatestChangeAsync();
        var status = await r.UpdateStatusAsync("Cluster", "team-a", "c1", "{\"ready\":true}");
        Assert.Equal(2, status!.Generation);
        Assert.True(status.ResourceVersion > changed.ResourceVersion);
        var statusChange = Assert.Single(await r.ChangesAsync(beforeStatus, 10));
        Assert.Equal((ResourceChangeType.Status, status.ResourceVersion), (statusChange.Type, statusChange.ResourceVersion));

        // The same status again changes nothing: same resourceVersion, no change-feed row.
        var unchanged = await r.UpdateStatusAsync("Cluster", "team-a", "c1", "{\"ready\":true}");
        Assert.Equal((status.ResourceVersion, "{\"ready\":true}", "x"), (unchanged!.ResourceVersion, unchanged.StatusJson, unchanged.Annotations["note"]));
        Assert.Empty(await r.ChangesAsync(statusChange.Sequence, 10));

        var read = await r.GetAsync("Cluster", "team-a", "c1");
        Assert.Equal("{\"server\":\"b\"}", read!.SpecJson);
        Assert.Equal("{\"ready\":true}", read.StatusJson);
        Assert.Equal("x", read.Annotations["note"]);
        Assert.Equal("dev", read.Labels["env"]);
        Assert.Equal(status.ResourceVersion, read.ResourceVersion);
        Assert.Equal(created.CreatedAt, read.CreatedAt);
        Assert.Null(await r.UpdateStatusAsync("Cluster", "team-a", "missing", "{}"));
    }

    protected async Task Resources_WrongExpectedResourceVersion_Conflicts()
    {
        await using var s = await CreateAsync();
        var r = s.Resources;
        var v1 = await r.PutAsync("Cluster", "ns", "c", Labels(), Labels(), "{}", expectedResourceVersion: 0);
        var ex = await Assert.ThrowsAsync<ResourceConflictException>(() => r.PutAsync("Cluster", "ns", "c", Labels(), Labels(), "{\"a\":1}", expectedResourceVersion: 0));
        Assert.Contains("Cluster ns/c", ex.Message);
        await Assert.ThrowsAsync<ResourceConflictException>(() => r.PutAsync("Cluster", "ns", "c", Labels(), Labels(), "{\"a\":1}", v1.ResourceVersion + 100));
        await Assert.ThrowsAsync<ResourceConflictException>(() => r.PutAsync("Cluster", "ns", "new", Labels(), Labels(), "{}", 5));
        var v2 = await r.PutAsync("Cluster", "ns", "c", Labels(), Labels(), "{\"a\":1}", v1.ResourceVersion);
        Assert.Equal(2, v2.Generation);
    }

    protected async Task Resources_PutMany_WritesAllOrNothing()
    {
        await using var s = await CreateAsync();
        var r = s.Resources;
        var existing = await r.PutAsync("Cluster", "ns", "b", Labels("env=dev"), Labels(), "{}");
        var changesBefore = await r.LatestChangeAsync();
        var failing = new[]
        {
            new ResourceWrite("Cluster", "ns", "a", Labels("env=prod"), Labels(), "{}"),
            new ResourceWrite("Cluster", "ns", "b", Labels("env=prod"), Labels(), "{\"x\":1}", existing.ResourceVersion + 7),
        };
        await Assert.ThrowsAsync<ResourceConflictException>(() => r.PutManyAsync(failing));
        Assert.Null(await r.GetAsync("Cluster", "ns", "a"));
        Assert.Equal("{}", (await r.GetAsync("Cluster", "ns", "b"))!.SpecJson);
        Assert.Equal(changesBefore, await r.LatestChangeAsync());

        var written = await r.PutManyAsync(
        [
            new ResourceWrite("Cluster", "ns", "a", Labels("env=prod"), Labels(), "{}"),
            new ResourceWrite("Cluster", "ns", "b", Labels("env=prod"), Labels(), "{\"x\":1}", existing.ResourceVersion),
            new ResourceWrite("GitRepository", "ns", "unchanged-later", Labels(), Labels(), "{}"),
        ]);
        Assert.Equal(["a", "b", "unchanged-later"], written.Select(w => w.Name));
        Assert.Equal(2, written[1].Generation);
        Assert.Equal("a,b", string.Join(",", (await r.ListAsync("Cluster", "ns", LabelSelector.Parse("env=prod"))).Select(x => x.Name)));
        Assert.Equal(3, (await r.ChangesAsync(changesBefore, 100)).Count);

        // Writing the same again changes nothing: no new versions, no change feed rows.
        var again = await r.PutManyAsync([new ResourceWrite("Cluster", "ns", "a", Labels("env=prod"), Labels(), "{}")]);
        Assert.Equal(written[0].ResourceVersion, again[0].ResourceVersion);
        Assert.Equal(3, (await r.ChangesAsync(changesBefore, 100)).Count);
    }

    protected async Task Resources_GetMany_ReadsEachKeyInOrder_NullWhereMissing()
    {
        await using var s = await CreateAsync();
        var r = s.Resources;
        await r.PutAsync("Cluster", "a", "c1", Labels("env=prod"), Labels(), "{\"server\":\"one\"}");
        await r.PutAsync("Placement", "a", "web~c1", Labels(), Labels(), "{\"cluster\":\"c1\"}");
        await r.UpdateStatusAsync("Placement", "a", "web~c1", "{\"ready\":true}");

        var found = await r.GetManyAsync([("Placement", "a", "web~c1"), ("Cluster", "b", "c1"), ("Cluster", "a", "c1"), ("Cluster", "a", "c1")]);
        Assert.Equal(4, found.Count);
        Assert.Equal("{\"ready\":true}", found[0]!.StatusJson);
        Assert.Equal((await r.GetAsync("Placement", "a", "web~c1"))! with { Labels = found[0]!.Labels, Annotations = found[0]!.Annotations }, found[0]);
        Assert.Null(found[1]);
        Assert.Equal("{\"server\":\"one\"}", found[2]!.SpecJson);
        Assert.Equal("prod", found[3]!.Labels["env"]);
        Assert.Empty(await r.GetManyAsync([]));
    }

    protected async Task Resources_ConcurrentCreatesOfOneObject_MakeOneObject_AndAChangePerWrite()
    {
        await using var s = await CreateAsync();
        var r = s.Resources;
        var start = await r.LatestChangeAsync();
        // Writers racing to create the same objects (one alone, the others in batches with it): every write lands once.
        var writes = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(async () => i % 2 == 0
            ? [await r.PutAsync("Cluster", "race", "c1", Labels($"writer={i}"), Labels(), $"{{\"n\":{i}}}")]
            : await r.PutManyAsync([
                new ResourceWrite("Cluster", "race", "c1", Labels($"writer={i}"), new Dictionary<string, string>(), $"{{\"n\":{i}}}"),
                new ResourceWrite("Cluster", "race", $"own-{i}", Labels($"writer={i}"), new Dictionary<string, string>(), "{}"),
            ]))));
        var c1 = await r.GetAsync("Cluster", "race", "c1");
        Assert.Equal(8, c1!.Generation);
        Assert.Equal(writes.SelectMany(w => w).Where(w => w.Name == "c1").Max(w => w.ResourceVersion), c1.ResourceVersion);
        // The labels index follows the last write only.
        var writer = c1.Labels["writer"];
        Assert.Contains(await r.ListAsync("Cluster", "race", LabelSelector.Parse($"writer={writer}")), o => o.Name == "c1");
        Assert.Single(await r.ListAsync("Cluster", "race", LabelSelector.Parse("writer")), o => o.Name == "c1");
        var changes = (await r.ChangesWithObjectsAsync(start, 100)).Where(ch => ch.Name == "c1").ToList();
        Assert.Equal(8, changes.Count);
        if (changes.All(ch => ch.Object is not null))
        {
            // Where change rows keep objects (PostgreSQL always; SQLite only while a watch asks): each is its own version.
            Assert.Equal(changes.Select(ch => ch.ResourceVersion), changes.Select(ch => ch.Object!.ResourceVersion));
            Assert.Equal(Enumerable.Range(1, 8).Select(g => (long)g), changes.Select(ch => ch.Object!.Generation));
        }
    }

    protected async Task Resources_ListAnswersLabelSelectors()
    {
        await using var s = await CreateAsync();
        var r = s.Resources;
        await r.PutAsync("Cluster", "a", "prod-eu", Labels("env=prod", "region=eu", "tier=1"), Labels(), "{}");
        await r.PutAsync("Cluster", "a", "prod-us", Labels("env=prod", "region=us", "tier=3"), Labels(), "{}");
        await r.PutAsync("Cluster", "a", "dev", Labels("env=dev"), Labels(), "{}");
        await r.PutAsync("Cluster", "b", "other-ns", Labels("env=prod", "region=eu"), Labels(), "{}");
        await r.PutAsync("GitRepository", "a", "not-a-cluster", Labels("env=prod"), Labels(), "{}");

        async Task<string> Names(string? ns, string selector) =>
            string.Join(",", (await r.ListAsync("Cluster", ns, LabelSelector.Parse(selector))).Select(x => x.Name));

        Assert.Equal("dev,prod-eu,prod-us", await Names("a", ""));
        Assert.Equal("dev,prod-eu,prod-us,other-ns", await Names(null, ""));
        Assert.Equal("prod-eu,prod-us", await Names("a", "env=prod"));
        Assert.Equal("dev", await Names("a", "env!=prod"));
        Assert.Equal("prod-eu,other-ns", await Names(null, "region in (eu,ap)"));
        Assert.Equal("dev,prod-us", await Names("a", "region notin (eu)"));
        Assert.Equal("prod-eu,prod-us", await Names("a", "region"));
        Assert.Equal("dev", await Names("a", "!region"));
        Assert.Equal("prod-us", await Names("a", "tier>2"));
        Assert.Equal("prod-eu", await Names("a", "env=prod,tier<2"));
        Assert.Equal("", await Names("a", "env=prod,env=dev"));

        Assert.True(await r.DeleteAsync("Cluster", "a", "prod-eu"));
        Assert.False(await r.DeleteAsync("Cluster", "a", "prod-eu"));
        Assert.Equal("prod-us", await Names("a", "env=prod"));
        Assert.Null(await r.GetAsync("Cluster", "a", "prod-eu"));
    }

    protected async Task Events_AppendListFilterAndStreamAfterASequence()
    {
        await using var s = await CreateAsync();
        var e = s.Events;
        var first = await e.AppendAsync("a", "Cluster", "c1", FleetEventType.Normal, "Probed", "reachable");
        var second = await e.AppendAsync("a", "Cluster", "c1", FleetEventType.Warning, "ProbeFailed", "timeout");
        var third = await e.AppendAsync("b", "Application", "app", FleetEventType.Normal, "Applied", "3 objects");
        Assert.True(first.Sequence < second.Sequence && second.Sequence < third.Sequence);
        Assert.Equal(Time.GetUtcNow(), first.Time);

        Assert.Equal(3, (await e.ListAsync(new EventQuery())).Count);
        Assert.Equal([second.Sequence, third.Sequence], (await e.ListAsync(new EventQuery(After: first.Sequence))).Select(x => x.Sequence));
        Assert.Equal(["ProbeFailed"], (await e.ListAsync(new EventQuery(Namespace: "a", Type: FleetEventType.Warning))).Select(x => x.Reason));
        Assert.Equal(["Applied"], (await e.ListAsync(new EventQuery(InvolvedKind: "Application", InvolvedName: "app"))).Select(x => x.Reason));
        Assert.Single(await e.ListAsync(new EventQuery(Limit: 1)));
        Assert.Equal(second with { Time = second.Time }, (await e.ListAsync(new EventQuery(Namespace: "a", After: first.Sequence)))[0]);
    }

    protected async Task Events_ConcurrentAppends_EachCommittedOnce_InSequenceOrder()
    {
        await using var s = await CreateAsync();
        var e = s.Events;
        // Many writers at once (the placements of a commit): written together, each caller gets its own event back.
        var appended = await Task.WhenAll(Enumerable.Range(0, 300).Select(i =>
            Task.Run(() => e.AppendAsync("a", "Placement", $"p{i}", i % 7 == 0 ? FleetEventType.Warning : FleetEventType.Normal, "Applied", $"message {i}"))));
        for (var i = 0; i < appended.Length; i++)
        {
            Assert.Equal($"p{i}", appended[i].InvolvedName);
            Assert.Equal($"message {i}", appended[i].Message);
            Assert.Equal(i % 7 == 0 ? FleetEventType.Warning : FleetEventType.Normal, appended[i].Type);
        }

        Assert.Equal(300, appended.Select(x => x.Sequence).Distinct().Count());
        var listed = await e.ListAsync(new EventQuery(Limit: 1000));
        Assert.Equal(appended.OrderBy(x => x.Sequence).Select(x => (x.Sequence, x.InvolvedName, x.Message)), listed.Select(x => (x.Sequence, x.InvolvedName, x.Message)));
    }

    protected async Task Events_RetentionDeletesByAgeAndCount()
    {
        await using var s = await CreateAsync();
        var e = s.Events;
        await e.AppendAsync("a", "Cluster", "old", FleetEventType.Normal, "R", "m");
        Time.Advance(TimeSpan.FromDays(2));
        for (var i = 0; i < 5; i++)
        {
            await e.AppendAsync("a", "Cluster", $"new{i}", FleetEventType.Normal, "R", "m");
        }

        Assert.Equal(1, await e.ApplyRetentionAsync(TimeSpan.FromDays(1), 100));
        Assert.Equal(2, await e.ApplyRetentionAsync(TimeSpan.FromDays(1), 3));
        Assert.Equal(["new2", "new3", "new4"], (await e.ListAsync(new EventQuery())).Select(x => x.InvolvedName));
    }

    protected async Task Blobs_AreStoredOnceUnderTheirDigest()
    {
        await using var s = await CreateAsync();
        var b = s.Blobs;
        var content = Encoding.UTF8.GetBytes("apiVersion: v1\nkind: ConfigMap\n");
        var d1 = await b.PutAsync(content);
        var d2 = await b.PutAsync(content);
        Assert.Equal(d1, d2);
        Assert.Equal("sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content)), d1);
        Assert.Equal(content, await b.GetAsync(d1));
        Assert.True(await b.ExistsAsync(d1));
        var missing = "sha256:" + new string('0', 64);
        Assert.Null(await b.GetAsync(missing));
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => b.GetAsync("sha256:XYZ"));
        Assert.Contains("sha256:XYZ", ex.Message);
        Assert.True(await b.DeleteAsync(d1));
        Assert.False(await b.ExistsAsync(d1));
    }

    protected async Task Blobs_PutManyStoresEachOnceInOneCall_AndOverlaysReadThroughTheCache()
    {
        await using var s = await CreateAsync();
        var b = new CachedBlobStore(s.Blobs, 1 << 20);
        var first = Encoding.UTF8.GetBytes("first");
        var digests = await b.PutManyAsync([first, Encoding.UTF8.GetBytes("second"), first]);
        Assert.Equal(3, digests.Count);
        Assert.Equal(digests[0], digests[2]);
        Assert.Equal(await s.Blobs.PutAsync(first), digests[0]);
        Assert.Equal("second", Encoding.UTF8.GetString((await s.Blobs.GetAsync(digests[1]))!));
        Assert.Empty(await b.PutManyAsync([]));

        // A rendered array, and a cluster's overlay that replaces its second object.
        var rendered = new[] { new JsonObject { ["kind"] = "Namespace" }, new JsonObject { ["kind"] = "ConfigMap", ["data"] = new JsonObject { ["name"] = "${cluster_name}" } } };
        var baseDigest = (await b.PutManyAsync([ManifestBlob.Objects(rendered)]))[0];
        var substituted = new JsonObject { ["kind"] = "ConfigMap", ["data"] = new JsonObject { ["name"] = "sim-0001" } };
        var overlay = ManifestBlob.Overlay(baseDigest, [KeyValuePair.Create(1, substituted)]);
        var overlayDigest = await b.PutAsync(overlay);
        Assert.Equal(ManifestBlob.Digest(overlay), overlayDigest);
        var read = await ManifestBlob.ReadAsync(b, overlayDigest, default);
        Assert.NotNull(read);
        Assert.Equal(["Namespace", "ConfigMap"], read.Select(o => (string)o["kind"]!));
        Assert.Equal("sim-0001", (string)read[1]["data"]!["name"]!);
        var plain = await ManifestBlob.ReadAsync(b, baseDigest, default);
        Assert.Equal("${cluster_name}", (string)plain![1]["data"]!["name"]!);

        // Cached reads survive the row, and a delete through the cache forgets it; a missing base reads as missing.
        Assert.True(await s.Blobs.DeleteAsync(baseDigest));
        Assert.NotNull(await ManifestBlob.ReadAsync(b, overlayDigest, default));
        Assert.False(await b.DeleteAsync(baseDigest));
        Assert.Null(await ManifestBlob.ReadAsync(b, overlayDigest, default));

        // What is written through the cache is kept there: read back with no round trip (here: after its row is gone).
        var fresh = await b.PutAsync(Encoding.UTF8.GetBytes("fresh"));
        var batch = await b.PutManyAsync([Encoding.UTF8.GetBytes("batch")]);
        Assert.True(await s.Blobs.DeleteAsync(fresh));
        Assert.True(await s.Blobs.DeleteAsync(batch[0]));
        Assert.Equal("fresh", Encoding.UTF8.GetString((await b.GetAsync(fresh))!));
        Assert.Equal("batch", Encoding.UTF8.GetString((await b.GetAsync(batch[0]))!));
    }

    protected async Task ApiTokens_StoreHashesAndRevokeByName()
    {
        await using var s = await CreateAsync();
        var t = s.Tokens;
        var now = Time.GetUtcNow();
        var ci = new ApiTokenRecord("0123456789abcdef", "ci", "operator", ["a", "b"], "hash-1", now.AddHours(1), null, "admin", now);
        Assert.True(await t.CreateApiTokenAsync(ci));
        Assert.False(await t.CreateApiTokenAsync(ci with { Id = "1111111111111111" }));
        Assert.True(await t.CreateApiTokenAsync(new ApiTokenRecord("2222222222222222", "root", "admin", null, "hash-2", null, null, "system", now)));

        var read = await t.GetApiTokenAsync("0123456789abcdef");
        Assert.Equal(("ci", "operator", "hash-1", "admin"), (read!.Name, read.Role, read.SecretHash, read.CreatedBy));
        Assert.Equal(["a", "b"], read.Namespaces!);
        Assert.Equal(StorageNow(now.AddHours(1)), read.ExpiresAt);
        Assert.Null((await t.GetApiTokenAsync("2222222222222222"))!.Namespaces);
        Assert.Null(await t.GetApiTokenAsync("ffffffffffffffff"));

        var revoked = await t.RevokeApiTokenAsync("ci", now);
        Assert.Equal("0123456789abcdef", revoked!.Id);
        Assert.Null(await t.RevokeApiTokenAsync("ci", now));
        Assert.NotNull((await t.GetApiTokenAsync("0123456789abcdef"))!.RevokedAt);
        // The name is free again once revoked; the revoked token stays listed.
        Assert.True(await t.CreateApiTokenAsync(ci with { Id = "3333333333333333" }));
        Assert.Equal(["ci", "ci", "root"], (await t.ListApiTokensAsync()).Select(x => x.Name));
    }

    protected async Task Registration_TakesOneUseAndCreatesEverythingOrNothing()
    {
        await using var s = await CreateAsync();
        var t = s.Tokens;
        var now = Time.GetUtcNow();
        var token = new RegistrationTokenRecord("aaaaaaaaaaaaaaaa", "edge", "site", "hash", now.AddHours(1), 2, 0, Labels("site=berlin"), null, "admin", now);
        Assert.True(await t.CreateRegistrationTokenAsync(token));
        Assert.False(await t.CreateRegistrationTokenAsync(token with { Id = "bbbbbbbbbbbbbbbb" }));
        ResourceWrite[] Objects(string name) =>
        [
            new("Secret", "edge", name + "-credentials", Labels(), Labels(), "{}"),
            new("Cluster", "edge", name, Labels("site=berlin"), Labels(), "{\"server\":\"https://10.0.0.1\"}"),
        ];

        var first = await t.RegisterAsync(token.Id, now, Objects("one"));
        Assert.Equal(RegistrationOutcome.Registered, first.Outcome);
        Assert.Equal(["Secret", "Cluster"], first.Created.Select(o => o.Kind));
        Assert.Equal("berlin", (await s.Resources.GetAsync("Cluster", "edge", "one"))!.Labels["site"]);

        // An object in the way: nothing is created and the use is not taken.
        await s.Resources.PutAsync("Cluster", "edge", "taken", Labels(), Labels(), "{}");
        var clash = await t.RegisterAsync(token.Id, now, Objects("taken"));
        Assert.Equal(RegistrationOutcome.AlreadyExists, clash.Outcome);
        Assert.Null(await s.Resources.GetAsync("Secret", "edge", "taken-credentials"));
        Assert.Equal(1, (await t.GetRegistrationTokenAsync(token.Id))!.Uses);

        // The last use, raced by two registrations: exactly one succeeds.
        var race = await Task.WhenAll(t.RegisterAsync(token.Id, now, Objects("two")), t.RegisterAsync(token.Id, now, Objects("three")));
        Assert.Single(race, r => r.Outcome == RegistrationOutcome.Registered);
        Assert.Single(race, r => r.Outcome == RegistrationOutcome.TokenNotUsable);
        Assert.Equal(2, (await t.GetRegistrationTokenAsync(token.Id))!.Uses);
        Assert.Equal(1, (await s.Resources.GetAsync("Cluster", "edge", "two") is null ? 0 : 1) + (await s.Resources.GetAsync("Cluster", "edge", "three") is null ? 0 : 1));

        // Expired and revoked tokens create nothing.
        var later = new RegistrationTokenRecord("cccccccccccccccc", "edge", "later", "hash", now.AddMinutes(1), 5, 0, Labels(), null, "admin", now);
        Assert.True(await t.CreateRegistrationTokenAsync(later));
        Assert.Equal(RegistrationOutcome.TokenNotUsable, (await t.RegisterAsync(later.Id, now.AddMinutes(2), Objects("late"))).Outcome);
        Assert.True(await t.RevokeRegistrationTokenAsync("edge", "later", now));
        Assert.False(await t.RevokeRegistrationTokenAsync("edge", "later", now));
        Assert.Equal(RegistrationOutcome.TokenNotUsable, (await t.RegisterAsync(later.Id, now, Objects("late"))).Outcome);
        Assert.Null(await s.Resources.GetAsync("Cluster", "edge", "late"));
        Assert.Equal(RegistrationOutcome.TokenNotUsable, (await t.RegisterAsync("dddddddddddddddd", now, Objects("nobody"))).Outcome);
        Assert.Equal(["later", "site"], (await t.ListRegistrationTokensAsync("edge")).Select(x => x.Name));
        Assert.Empty(await t.ListRegistrationTokensAsync("other"));
    }

    protected async Task Audit_AppendsInOrderPagesAfterASequenceAndExpires()
    {
        await using var s = await CreateAsync();
        var a = s.Audit;
        var first = await a.AppendAsync(new AuditEntry(0, default, "ci", "update", "Cluster", "team-a", "east", 200));
        Time.Advance(TimeSpan.FromDays(10));
        var second = await a.AppendAsync(new AuditEntry(0, default, "ci", "delete", "Cluster", "team-a", "east", 404));
        Assert.True(second.Sequence > first.Sequence);
        Assert.Equal(StorageNow(Time.GetUtcNow()), second.Time);
        var all = await a.ListAsync(0, 10);
        Assert.Equal([("update", 200), ("delete", 404)], all.Select(e => (e.Verb, e.Status)));
        Assert.Equal(("ci", "Cluster", "team-a", "east"), (all[0].Subject, all[0].Kind, all[0].Namespace, all[0].Name));
        Assert.Equal([second.Sequence], (await a.ListAsync(first.Sequence, 10)).Select(e => e.Sequence));
        Assert.Single(await a.ListAsync(0, 1));
        Assert.Equal(1, await a.ApplyRetentionAsync(TimeSpan.FromDays(5)));
        Assert.Equal([second.Sequence], (await a.ListAsync(0, 10)).Select(e => e.Sequence));
    }

    /// <summary>A time as the store keeps it (milliseconds).</summary>
    private static DateTimeOffset StorageNow(DateTimeOffset t) => DateTimeOffset.FromUnixTimeMilliseconds(t.ToUnixTimeMilliseconds());

    protected static IReadOnlyDictionary<string, string> Labels(params string[] pairs) =>
        pairs.Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
}
