using System.Text.Json.Nodes;

namespace Fleet.Kubernetes.Tests;

public abstract partial class EngineSuite
{
    [SkippableFact]
    public async Task Drift_ByAnotherManagerAndByDeletion_IsDetectedWithOneListPerKindAndCorrectedByReapply()
    {
        var cluster = Take();
        using var client = cluster.Client();
        var ns = cluster.Ns("shop");
        List<JsonObject> Desired() => [Manifests.Namespace(ns), Manifests.Deployment(ns, "web", replicas: 2), Manifests.ConfigMap(ns, "a"), Manifests.ConfigMap(ns, "b")];
        var applied = await Applier.ApplyAsync(client, Desired(), Options());
        Assert.True(applied.Succeeded, string.Join("\n", applied.Errors));

        var clean = await DriftDetector.DetectAsync(client, applied.Inventory);
        Assert.False(clean.HasDrift, string.Join("; ", clean.Drifted.Select(d => d.Describe())));
        Assert.Equal(3, clean.Requests); // Namespace, Deployment, ConfigMap: one LIST each

        // Another manager changes a field Fleet manages, and an object is deleted behind Fleet's back: with the real kubectl.
        await cluster.KubectlOkAsync("patch", "deployment", "web", "-n", ns, "--type=merge", "-p", """{"spec":{"replicas":7}}""", "--field-manager=kubectl-patch");
        await cluster.KubectlOkAsync("delete", "configmap", "b", "-n", ns);

        var report = await DriftDetector.DetectAsync(client, applied.Inventory);
        Assert.Equal(3, report.Requests);
        var web = report.Objects.Single(o => o.Object.Name == "web");
        Assert.Equal(DriftState.Drifted, web.State);
        var field = Assert.Single(web.Fields);
        Assert.Equal(".spec.replicas", field.Path);
        Assert.Equal("kubectl-patch", field.Manager);
        Assert.Equal(DriftState.Missing, report.Objects.Single(o => o.Object.Name == "b").State);
        Assert.Equal(DriftState.InSync, report.Objects.Single(o => o.Object.Name == "a").State);

        var corrected = await Applier.ApplyAsync(client, Desired(), Options(report.MarkForReapply(applied.Inventory)) with { Force = true });
        Assert.True(corrected.Succeeded, string.Join("\n", corrected.Errors));
        Assert.Equal(ChangeAction.Created, corrected.Changes.Single(c => c.Object.Name == "b").Action);
        Assert.Equal(ChangeAction.Configured, corrected.Changes.Single(c => c.Object.Name == "web").Action);
        Assert.Equal(2, (await client.GetAsync("apps/v1", "Deployment", ns, "web")).Long("spec", "replicas"));
        var after = await DriftDetector.DetectAsync(client, corrected.Inventory);
        Assert.False(after.HasDrift, string.Join("; ", after.Drifted.Select(d => d.Describe())));
    }

    [SkippableFact]
    public async Task Drift_SecretWrittenWithStringData_HandEditOfDataIsDetectedAndCorrected()
    {
        var cluster = Take();
        using var client = cluster.Client();
        var ns = cluster.Ns("secrets");
        List<JsonObject> Desired() =>
        [
            Manifests.Namespace(ns),
            Manifests.Parse(Manifests.Fill("""{"apiVersion":"v1","kind":"Secret","metadata":{"name":"creds","namespace":"%0%"},"type":"Opaque","stringData":{"password":"from-git"}}""", ns)),
        ];
        var applied = await Applier.ApplyAsync(client, Desired(), Options());
        Assert.True(applied.Succeeded, string.Join("\n", applied.Errors));
        var live = await client.GetAsync("v1", "Secret", ns, "creds");
        Assert.Equal(Convert.ToBase64String("from-git"u8), live.Str("data", "password"));
        Assert.Null(live!["stringData"]);

        var edited = Convert.ToBase64String("by-hand"u8);
        await cluster.KubectlOkAsync("patch", "secret", "creds", "-n", ns, "--type=merge", "-p", "{\"data\":{\"password\":\"" + edited + "\"}}", "--field-manager=kubectl-edit");

        var report = await DriftDetector.DetectAsync(client, applied.Inventory);
        var secret = report.Objects.Single(o => o.Object.Kind == "Secret");
        Assert.Equal(DriftState.Drifted, secret.State);
        Assert.Equal(".data.password changed by kubectl-edit", Assert.Single(secret.Fields).ToString());
        Assert.DoesNotContain("from-git", secret.Describe(), StringComparison.Ordinal);
        Assert.DoesNotContain(edited, secret.Describe(), StringComparison.Ordinal);

        var corrected = await Applier.ApplyAsync(client, Desired(), Options(report.MarkForReapply(applied.Inventory)) with { TakeOwnership = true });
        Assert.True(corrected.Succeeded, string.Join("\n", corrected.Errors));
        Assert.Equal(Convert.ToBase64String("from-git"u8), (await client.GetAsync("v1", "Secret", ns, "creds")).Str("data", "password"));
        Assert.False((await DriftDetector.DetectAsync(client, corrected.Inventory)).HasDrift);
    }

    [SkippableFact]
    public async Task Drift_LabelEditedOnEveryBuiltInKind_IsDetectedNamingTheManager_AndARemovedLabelIsReportedRemoved()
    {
        var cluster = Take();
        using var client = cluster.Client();
        var ns = cluster.Ns("every");
        var objects = Manifests.Everything(ns).Where(o => o.Str("kind") != "Widget").ToList();
        foreach (var o in objects)
        {
            o.Obj("metadata").Obj("labels")["tier"] = "from-git";
        }
        var applied = await Applier.ApplyAsync(client, objects, Options());
        Assert.True(applied.Succeeded, string.Join("\n", applied.Errors));
        var refs = applied.Inventory.Entries.Select(e => e.Ref).ToList();
        Assert.Equal(21, refs.Count);

        static string Resource(ObjectRef r) => (r.Group.Length == 0 ? r.Kind : $"{r.Kind}.{r.Group}").ToLowerInvariant() + "/" + r.Name;
        static string[] Scope(ObjectRef r) => r.Namespace is null ? [] : ["-n", r.Namespace];
        var removedFrom = refs.Single(r => r.Kind == "ConfigMap");
        foreach (var r in refs)
        {
            if (r == removedFrom)
            {
                await cluster.KubectlOkAsync(["label", Resource(r), "tier-", .. Scope(r)]);
            }
            else
            {
                await cluster.KubectlOkAsync(["label", Resource(r), "tier=by-hand", "--overwrite", .. Scope(r)]);
            }
        }

        var report = await DriftDetector.DetectAsync(client, applied.Inventory);
        foreach (var r in refs)
        {
            var drift = report.Objects.Single(o => o.Object == r);
            Assert.True(drift.State == DriftState.Drifted, $"{r}: {drift.State}");
            var field = Assert.Single(drift.Fields, f => f.Path == ".metadata.labels.tier");
            if (r == removedFrom)
            {
                Assert.True(field.Removed, drift.Describe());
                Assert.Equal($"{r}: .metadata.labels.tier removed", drift.Describe());
            }
            else
            {
                Assert.Equal("kubectl-label", field.Manager);
            }
        }

        var corrected = await Applier.ApplyAsync(client, Manifests.Everything(ns).Where(o => o.Str("kind") != "Widget").Select(o =>
        {
            o.Obj("metadata").Obj("labels")["tier"] = "from-git";
            return o;
        }).ToList(), Options(report.MarkForReapply(applied.Inventory)) with { TakeOwnership = true });
        Assert.True(corrected.Succeeded, string.Join("\n", corrected.Errors));
        var after = await DriftDetector.DetectAsync(client, corrected.Inventory);
        Assert.False(after.HasDrift, string.Join("; ", after.Drifted.Select(d => d.Describe())));
    }
}
