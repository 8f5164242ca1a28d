using System.Text.Json;
using System.Text.Json.Nodes;
using Fleet.Abstractions.Resources;
using Fleet.Grains.Applications;
using Fleet.Grains.Dispatch;
using Fleet.Grains.Placements;
using Fleet.Store;

namespace Fleet.Grains.Tests;

/// <summary>The Helm parts of the grains without a silo: hook selection and order, post-rendering, render inputs, dependency hints.</summary>
public sealed class HelmPartsTests
{
    private static JsonObject Obj(string json) => JsonNode.Parse(json)!.AsObject();

    private static JsonObject Hook(string kind, string name, string events, string? weight = null, string? policy = null)
    {
        var annotations = new JsonObject { [HelmHooks.HookAnnotation] = events };
        if (weight is not null)
        {
            annotations[HelmHooks.WeightAnnotation] = weight;
        }
        if (policy is not null)
        {
            annotations[HelmHooks.DeletePolicyAnnotation] = policy;
        }
        return new JsonObject
        {
            ["apiVersion"] = kind == "Job" ? "batch/v1" : "v1",
            ["kind"] = kind,
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "shop", ["annotations"] = annotations },
        };
    }

    [Fact]
    public void Hooks_AreKeptOutOfTheManifests_TestHooksDropped_AndRunByWeightThenName()
    {
        var objects = new List<JsonObject>
        {
            Obj("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"plain","namespace":"shop"}}"""),
            Hook("Job", "b-migrate", "pre-install,pre-upgrade", "5"),
            Hook("Job", "a-migrate", "pre-install", "5"),
            Hook("ConfigMap", "z-first", "pre-upgrade, pre-install", "-3", "hook-succeeded,hook-failed"),
            Hook("Pod", "tester", "test"),
            Hook("Job", "cleanup", "pre-delete"),
            Hook("Job", "smoke", "post-install,post-upgrade"),
        };

        var (manifests, hooks) = HelmHooks.Split(objects);

        Assert.Equal(["plain"], manifests.Select(m => m["metadata"]!["name"]!.GetValue<string>()));
        Assert.Equal(["b-migrate", "a-migrate", "z-first", "smoke"], hooks.Select(h => h.Ref.Name));
        Assert.Equal(["z-first", "a-migrate", "b-migrate"], HelmHooks.Of(hooks, HookPhase.Pre, install: true).Select(h => h.Ref.Name));
        Assert.Equal(["z-first", "b-migrate"], HelmHooks.Of(hooks, HookPhase.Pre, install: false).Select(h => h.Ref.Name));
        Assert.Equal(["smoke"], HelmHooks.Of(hooks, HookPhase.Post, install: false).Select(h => h.Ref.Name));

        // Helm's default delete policy is before-hook-creation.
        Assert.Equal(["before-hook-creation"], hooks.Single(h => h.Ref.Name == "smoke").DeletePolicies);
        Assert.Equal(["hook-succeeded", "hook-failed"], hooks.Single(h => h.Ref.Name == "z-first").DeletePolicies.Order(StringComparer.Ordinal).Reverse());
    }

    [Fact]
    public void PostRender_SetsTheReleaseNamespaceOnlyWhereNoneIsNamed_ThenPatches()
    {
        var objects = new List<JsonObject>
        {
            Obj("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.25"}]}}}}"""),
            Obj("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"elsewhere","namespace":"kube-system"}}"""),
            Obj("""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"reader"}}"""),
        };
        var spec = new ApplicationSpec
        {
            Patches = [Obj("""{"patch":"- op: add\n  path: /metadata/labels\n  value: {patched: \"yes\"}","target":{"kind":"Deployment"}}""")],
            Images = [Obj("""{"name":"nginx","newTag":"1.27"}""")],
        };
        var customization = new TargetCustomization { Name = "us", Patches = [Obj("""{"patch":"- op: add\n  path: /metadata/annotations\n  value: {region: us}","target":{"kind":"Deployment"}}""")] };

        var result = HelmRenderer.PostRender(objects, "shop", spec, customization).ToDictionary(o => o["metadata"]!["name"]!.GetValue<string>());

        Assert.Equal("shop", result["web"]["metadata"]!["namespace"]!.GetValue<string>());
        Assert.Equal("kube-system", result["elsewhere"]["metadata"]!["namespace"]!.GetValue<string>());
        Assert.Null(result["reader"]["metadata"]!["namespace"]);
        Assert.Equal("yes", result["web"]["metadata"]!["labels"]!["patched"]!.GetValue<string>());
        Assert.Equal("us", result["web"]["metadata"]!["annotations"]!["region"]!.GetValue<string>());
        Assert.Equal("nginx:1.27", result["web"]["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]!.GetValue<string>());
    }

    private static StoredResource Cluster(string? version) => new("Cluster", "team-a", "c1", "uid", 1, 1, new Dictionary<string, string>(), new Dictionary<string, string>(), "{}",
        version is null ? null : JsonSerializer.Serialize(new ClusterStatus { KubernetesVersion = version }, FleetJson.Options), DateTimeOffset.UnixEpoch);

    [Fact]
    public async Task RenderInput_TakesTheClusterVersion_CustomizationValuesOverTheApplications_AndItsKeyFollowsBoth()
    {
        var renderer = new HelmRenderer(null!, null!, null!);
        var spec = new ApplicationSpec { TargetNamespace = "shop", Helm = new ApplicationHelmSpec { Values = Obj("""{"a":{"x":1,"y":2}}""") } };
        var us = new TargetCustomization { Name = "us", Helm = new HelmValuesCustomization { Values = Obj("""{"a":{"y":3}}""") } };

        var plain = await renderer.PrepareAsync("team-a", "web", spec, null, Cluster("v1.29.3"), CancellationToken.None);
        var custom = await renderer.PrepareAsync("team-a", "web", spec, us, Cluster("v1.29.3"), CancellationToken.None);
        var unknown = await renderer.PrepareAsync("team-a", "web", spec, null, Cluster(null), CancellationToken.None);

        Assert.Equal(("web", "shop", "v1.29.3"), (plain.ReleaseName, plain.Namespace, plain.KubeVersion));
        Assert.Equal(HelmRenderer.DefaultKubeVersion, unknown.KubeVersion);
        var a = (IDictionary<string, object?>)custom.Values["a"]!;
        Assert.Equal((1d, 3d), (Convert.ToDouble(a["x"], System.Globalization.CultureInfo.InvariantCulture), Convert.ToDouble(a["y"], System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(3, new[] { plain.Key, custom.Key, unknown.Key }.Distinct().Count());
        Assert.Equal(plain.Key, (await renderer.PrepareAsync("team-a", "web", spec, null, Cluster("v1.29.3"), CancellationToken.None)).Key);
    }

    [Fact]
    public void DependencyIndex_HintsHelmApplications_FromTheirRepository_AndTheirValuesSecrets()
    {
        var index = new DependencyIndex();
        index.Update("Application", "a", "web", """{"sourceRef":{"kind":"HelmRepository","name":"charts"},"helm":{"chart":"web","valuesFrom":[{"kind":"Secret","name":"values"}]},"targetCustomizations":[{"name":"us","helm":{"valuesFrom":[{"kind":"Secret","name":"us-values"}]}}]}""", null);
        index.Update("HelmRepository", "a", "charts", """{"url":"https://charts.example.com","secretRef":{"name":"creds"}}""", null);

        Assert.Equal([("Application", "web")], index.DependentsOf("HelmRepository", "a", "charts"));
        Assert.Empty(index.DependentsOf("GitRepository", "a", "charts"));
        Assert.Equal([("Application", "web")], index.DependentsOf("Secret", "a", "values"));
        Assert.Equal([("Application", "web")], index.DependentsOf("Secret", "a", "us-values"));
        Assert.Equal([("HelmRepository", "charts")], index.DependentsOf("Secret", "a", "creds"));
    }
}
