using System.Text.Json.Nodes;

namespace Fleet.Kubernetes.Tests;

public sealed class InventoryAndDriftTests
{
    [Fact]
    public void Digest_IgnoresKeyOrderButNotValues()
    {
        var a = JsonNode.Parse("""{"kind":"ConfigMap","metadata":{"name":"x","labels":{"a":"1","b":"2"}},"data":{"k":"v"}}""");
        var b = JsonNode.Parse("""{"data":{"k":"v"},"metadata":{"labels":{"b":"2","a":"1"},"name":"x"},"kind":"ConfigMap"}""");
        var c = JsonNode.Parse("""{"data":{"k":"w"},"metadata":{"labels":{"b":"2","a":"1"},"name":"x"},"kind":"ConfigMap"}""");
        Assert.Equal(ObjectDigest.Compute(a), ObjectDigest.Compute(b));
        Assert.NotEqual(ObjectDigest.Compute(a), ObjectDigest.Compute(c));
        Assert.StartsWith("sha256:", ObjectDigest.Compute(a), StringComparison.Ordinal);
    }

    [Fact]
    public void Inventory_RoundTripsThroughJson()
    {
        var inventory = new Inventory("shop", "team-a",
        [
            new InventoryEntry("apps", "v1", "Deployment", "shop", "web", "sha256:ab", "42", """{"f:spec":{"f:replicas":{}}}"""),
            new InventoryEntry("", "v1", "Namespace", null, "shop", "sha256:cd", "7"),
        ]);
        var json = inventory.ToJson();
        Assert.Contains("\"application\":\"shop\"", json, StringComparison.Ordinal);
        Assert.Equal(inventory, Inventory.FromJson(json));
    }

    [Fact]
    public void ManagedFields_FlattenToReadablePaths()
    {
        var fields = JsonNode.Parse("""
            {"f:metadata":{"f:labels":{".":{},"f:app":{}}},
             "f:spec":{"f:replicas":{},"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{".":{},"f:image":{},"f:name":{}}}}}},
             "f:finalizers":{"v:\"x\"":{}}}
            """)!.AsObject();
        var leaves = ManagedFields.Leaves(fields);
        Assert.Contains(".metadata.labels", leaves);
        Assert.Contains(".metadata.labels.app", leaves);
        Assert.Contains(".spec.replicas", leaves);
        Assert.Contains(".spec.template.spec.containers[name=web].image", leaves);
        Assert.Contains(".finalizers[=\"x\"]", leaves);
    }

    private static JsonObject Live(string rv, string fleetFields, string? otherManager = null, string? otherFields = null)
    {
        var managed = new JsonArray
        {
            new JsonObject { ["manager"] = "fleet", ["operation"] = "Apply", ["fieldsType"] = "FieldsV1", ["fieldsV1"] = JsonNode.Parse(fleetFields) },
        };
        if (otherManager is not null)
        {
            managed.Add(new JsonObject { ["manager"] = otherManager, ["operation"] = "Update", ["fieldsType"] = "FieldsV1", ["fieldsV1"] = JsonNode.Parse(otherFields!) });
        }
        return new JsonObject
        {
            ["apiVersion"] = "apps/v1", ["kind"] = "Deployment",
            ["metadata"] = new JsonObject { ["name"] = "web", ["namespace"] = "shop", ["resourceVersion"] = rv, ["managedFields"] = managed },
        };
    }

    private const string Applied = """{"f:spec":{"f:replicas":{},"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{"f:image":{}}}}}}}""";

    private static readonly InventoryEntry Entry = new("apps", "v1", "Deployment", "shop", "web", "sha256:1", "10", Applied);

    [Fact]
    public void Compare_SameResourceVersion_IsInSyncWithoutLookingFurther()
    {
        var drift = DriftDetector.Compare(Entry, Live("10", "{}"));
        Assert.Equal(DriftState.InSync, drift.State);
    }

    [Fact]
    public void Compare_StatusOnlyChange_IsInSync()
    {
        var drift = DriftDetector.Compare(Entry, Live("11", Applied, "kube-controller-manager", """{"f:status":{"f:replicas":{}}}"""));
        Assert.Equal(DriftState.InSync, drift.State);
    }

    [Fact]
    public void Compare_FieldTakenByAnotherManager_IsDriftedNamingFieldAndManager()
    {
        var drift = DriftDetector.Compare(Entry, Live("12",
            """{"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{"f:image":{}}}}}}}""",
            "kubectl-edit", """{"f:spec":{"f:replicas":{}}}"""));
        Assert.Equal(DriftState.Drifted, drift.State);
        var field = Assert.Single(drift.Fields);
        Assert.Equal(".spec.replicas", field.Path);
        Assert.Equal("kubectl-edit", field.Manager);
        Assert.Contains(".spec.replicas changed by kubectl-edit", drift.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void Compare_Absent_IsMissing()
    {
        Assert.Equal(DriftState.Missing, DriftDetector.Compare(Entry, null).State);
    }

    [Fact]
    public void MarkForReapply_ClearsOnlyDriftedDigests()
    {
        var other = Entry with { Name = "api" };
        var inventory = new Inventory("shop", "team-a", [Entry, other]);
        var report = new DriftReport([new ObjectDrift(Entry.Ref, DriftState.Missing, [], null), new ObjectDrift(other.Ref, DriftState.InSync, [], "10")], 1);
        var marked = report.MarkForReapply(inventory);
        Assert.Null(marked.Entries[0].Digest);
        Assert.Equal("sha256:1", marked.Entries[1].Digest);
    }
}
