using System.Text.Json.Nodes;

namespace Fleet.Kubernetes.Tests;

public abstract partial class EngineSuite
{
    /// <summary>For each built-in kind with fields the API server will not change in place: the object before and after, and the field it names.</summary>
    public static TheoryData<string, string, string, string> ImmutableCases => new()
    {
        { "Deployment selector", "spec.selector",
            """{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","namespace":"%0%"},"spec":{"selector":{"matchLabels":{"app":"%1%"}},"template":{"metadata":{"labels":{"app":"%1%"}},"spec":{"containers":[{"name":"c","image":"nginx:1.27"}]}}}}""",
            "a|b" },
        { "DaemonSet selector", "spec.selector",
            """{"apiVersion":"apps/v1","kind":"DaemonSet","metadata":{"name":"ds","namespace":"%0%"},"spec":{"selector":{"matchLabels":{"app":"%1%"}},"template":{"metadata":{"labels":{"app":"%1%"}},"spec":{"containers":[{"name":"c","image":"nginx:1.27"}]}}}}""",
            "a|b" },
        { "StatefulSet volumeClaimTemplates", "spec",
            """{"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"db","namespace":"%0%"},"spec":{"serviceName":"db","selector":{"matchLabels":{"app":"db"}},"template":{"metadata":{"labels":{"app":"db"}},"spec":{"containers":[{"name":"c","image":"postgres:16"}]}},"volumeClaimTemplates":[{"metadata":{"name":"data"},"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"%1%"}}}}]}}""",
            "1Gi|2Gi" },
        { "Job template", "spec.template",
            """{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"j","namespace":"%0%"},"spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"%1%"}]}}}}""",
            "busybox:1.36|busybox:1.37" },
        { "Service clusterIP", "spec.clusterIPs[0]",
            """{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"%0%"},"spec":{"clusterIP":"%1%","ports":[{"port":80}]}}""",
            "10.0.0.%2%|10.0.0.%3%" },
        { "immutable ConfigMap data", "data",
            """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"%0%"},"immutable":true,"data":{"k":"%1%"}}""",
            "v1|v2" },
        { "immutable Secret data", "data",
            """{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s","namespace":"%0%"},"immutable":true,"stringData":{"k":"%1%"}}""",
            "v1|v2" },
        { "Secret type", "type",
            """{"apiVersion":"v1","kind":"Secret","metadata":{"name":"t","namespace":"%0%"},"type":"%1%","stringData":{"k":"v"}}""",
            "Opaque|example.com/other" },
        { "PersistentVolumeClaim spec", "spec",
            """{"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"p","namespace":"%0%"},"spec":{"accessModes":["%1%"],"resources":{"requests":{"storage":"1Gi"}}}}""",
            "ReadWriteOnce|ReadWriteMany" },
        { "RoleBinding roleRef", "roleRef",
            """{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"rb","namespace":"%0%"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"%1%"},"subjects":[{"kind":"ServiceAccount","name":"x","namespace":"%0%"}]}""",
            "reader|writer" },
        { "ClusterRoleBinding roleRef", "roleRef",
            """{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"%0%-crb"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"%1%"},"subjects":[{"kind":"ServiceAccount","name":"x","namespace":"%0%"}]}""",
            "view|edit" },
        { "StorageClass provisioner", "provisioner",
            """{"apiVersion":"storage.k8s.io/v1","kind":"StorageClass","metadata":{"name":"%0%-sc"},"provisioner":"%1%"}""",
            "example.com/a|example.com/b" },
    };

    [SkippableTheory]
    [MemberData(nameof(ImmutableCases))]
    public async Task Apply_ImmutableFieldChange_FailsNamingFieldWithoutForce_RecreatesWithForce(string name, string field, string template, string values)
    {
        if (name is "StorageClass provisioner" or "PersistentVolumeClaim spec")
        {
            RealServerOnly("KubeSim does not refuse changes to a StorageClass's provisioner or a PersistentVolumeClaim's spec yet");
        }

        var cluster = Take();
        using var client = cluster.Client();
        var ns = cluster.Ns("immutable");
        var (before, after) = (values.Split('|')[0], values.Split('|')[1]);
        // Service addresses from the low, static band of the real server's 10.0.0.0/24, which dynamic allocation avoids.
        JsonObject Object(string value) => Manifests.Parse(Manifests.Fill(template, ns, value, 12, 13));
        var first = await Applier.ApplyAsync(client, [Manifests.Namespace(ns), Object(before)], Options());
        Assert.True(first.Succeeded, $"{name}: {string.Join("\n", first.Errors)}");
        var target = first.Changes.Single(c => c.Object.Kind != "Namespace").Object;
        var uid = (await client.GetAsync(target.ApiVersion, target.Kind, target.Namespace, target.Name)).Str("metadata", "uid");

        List<JsonObject> changed = [Manifests.Namespace(ns), Object(after)];
        var refused = await Applier.ApplyAsync(client, changed, Options(first.Inventory));
        var error = Assert.Single(refused.Errors);
        Assert.StartsWith($"{target}: field {field} is immutable", error, StringComparison.Ordinal);
        Assert.Contains("set force", error, StringComparison.Ordinal);
        Assert.Equal(first.Inventory, refused.Inventory);
        Assert.Equal(uid, (await client.GetAsync(target.ApiVersion, target.Kind, target.Namespace, target.Name)).Str("metadata", "uid"));

        var forced = await Applier.ApplyAsync(client, changed, Options(refused.Inventory) with { Force = true });
        Assert.True(forced.Succeeded, $"{name}: {string.Join("\n", forced.Errors)}");
        var change = forced.Changes.Single(c => c.Object == target);
        Assert.Equal(ChangeAction.Created, change.Action);
        Assert.Equal($"recreated: immutable field {field} changed", change.Message);
        Assert.NotEqual(uid, (await client.GetAsync(target.ApiVersion, target.Kind, target.Namespace, target.Name)).Str("metadata", "uid"));
    }
}
