using System.Text.Json.Nodes;
using Fleet.Abstractions.Resources;

namespace Fleet.Abstractions.Tests;

/// <summary>HelmRepository and Application helm specs as the API reads them, and Flux's HelmRelease converted to an Application.</summary>
public sealed class HelmResourceTests
{
    private static List<FieldError> Read(ResourceKind kind, string json, bool strict = true) => kind.ReadSpec(JsonNode.Parse(json), strict).Errors;

    [Fact]
    public void FluxHelmRepository_IsReadUnchanged_HttpAndOci()
    {
        Assert.Empty(Read(ResourceKinds.HelmRepository, """{"url":"https://charts.example.com","interval":"10m","secretRef":{"name":"creds"},"passCredentials":false,"accessFrom":{"namespaceSelectors":[]}}""", strict: false));
        Assert.Empty(Read(ResourceKinds.HelmRepository, """{"type":"oci","url":"oci://ghcr.io/org/charts","insecure":true,"interval":"5m"}""", strict: false));
        Assert.Contains("source.toolkit.fluxcd.io/v1", ResourceKinds.HelmRepository.ForeignApiVersions);
        Assert.Same(ResourceKinds.HelmRepository, ResourceKinds.ByPlural("helmrepositories"));
    }

    [Theory]
    [InlineData("""{"url":"oci://ghcr.io/org/charts"}""", "spec.url", "spec.type oci")]
    [InlineData("""{"type":"oci","url":"https://ghcr.io/org"}""", "spec.url", "oci://")]
    [InlineData("""{"url":"https://u:hunter2@charts.example.com"}""", "spec.url", "spec.secretRef")]
    [InlineData("""{"type":"git","url":"https://charts.example.com"}""", "spec.type", "default or oci")]
    [InlineData("""{"url":"https://charts.example.com","provider":"aws"}""", "spec.provider", "generic")]
    [InlineData("""{"url":"https://charts.example.com","interval":"soon"}""", "spec.interval", "duration")]
    public void HelmRepository_BadSpecs_NameTheField(string json, string field, string says)
    {
        var error = Assert.Single(Read(ResourceKinds.HelmRepository, json));
        Assert.Equal(field, error.Field);
        Assert.Contains(says, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"interval":"1m","sourceRef":{"kind":"HelmRepository","name":"r"}}""", "spec.helm", "required")]
    [InlineData("""{"interval":"1m","sourceRef":{"kind":"HelmRepository","name":"r"},"helm":{"version":"1.0.0"}}""", "spec.helm.chart", "required")]
    [InlineData("""{"interval":"1m","sourceRef":{"kind":"GitRepository","name":"r"},"helm":{"version":"^1"}}""", "spec.helm.version", "HelmRepository")]
    [InlineData("""{"interval":"1m","sourceRef":{"kind":"HelmRepository","name":"r"},"helm":{"chart":"web","releaseName":"Web_1"}}""", "spec.helm.releaseName", "release name")]
    [InlineData("""{"interval":"1m","sourceRef":{"kind":"HelmRepository","name":"r"},"helm":{"chart":"web","valuesFrom":[{"kind":"Bucket","name":"v"}]}}""", "spec.helm.valuesFrom[0].kind", "Secret")]
    [InlineData("""{"interval":"1m","sourceRef":{"kind":"GitRepository","name":"r"},"helm":{"chart":"../../etc"}}""", "spec.helm.chart", "path")]
    [InlineData("""{"interval":"1m","sourceRef":{"kind":"GitRepository","name":"r"},"targetCustomizations":[{"name":"a","clusterSelector":{},"helm":{"values":{"a":1}}}]}""", "spec.targetCustomizations[0].helm", "spec.helm")]
    [InlineData("""{"interval":"1m","sourceRef":{"kind":"GitRepository","name":"r"},"helm":{},"targetCustomizations":[{"name":"a","clusterSelector":{},"path":"x"}]}""", "spec.targetCustomizations[0].path", "helm.values")]
    public void Application_HelmMistakes_NameTheField(string json, string field, string says)
    {
        var error = Assert.Single(Read(ResourceKinds.Application, json));
        Assert.Equal(field, error.Field);
        Assert.Contains(says, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Application_WithChartAndPerClusterValues_IsAccepted() =>
        Assert.Empty(Read(ResourceKinds.Application, """
            {"interval":"1m","sourceRef":{"kind":"HelmRepository","name":"bitnami"},
             "helm":{"chart":"nginx","version":"^15","releaseName":"web","values":{"replicaCount":2},"valuesFrom":[{"kind":"Secret","name":"v","valuesKey":"prod.yaml"}]},
             "patches":[{"patch":"- op: add\n  path: /metadata/labels/x\n  value: y","target":{"kind":"Deployment"}}],
             "targetCustomizations":[{"name":"us","clusterSelector":{"matchLabels":{"region":"us"}},"helm":{"values":{"replicaCount":5}}}]}
            """));

    private const string Release = """
        {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease", "metadata": {"name": "podinfo", "namespace": "team-a", "labels": {"app": "podinfo"}}, "spec": {"interval": "5m", "timeout": "2m", "releaseName": "podinfo-prod", "targetNamespace": "apps", "chart": {"spec": {"chart": "podinfo", "version": ">=6.0.0 <7.0.0", "sourceRef": {"kind": "HelmRepository", "name": "podinfo"}, "interval": "1m"}}, "install": {"crds": "Skip", "createNamespace": true}, "upgrade": {"remediation": {"retries": 3}}, "maxHistory": 5, "values": {"replicaCount": 2}, "valuesFrom": [{"kind": "Secret", "name": "podinfo-values", "valuesKey": "values.yaml", "optional": true}], "dependsOn": [{"name": "redis"}], "postRenderers": [{"kustomize": {"patches": [{"target": {"kind": "Deployment"}, "patch": "- op: add\n  path: /metadata/annotations/x\n  value: y\n"}], "images": [{"name": "ghcr.io/stefanprodan/podinfo", "newTag": "6.5.0"}]}}]}}
        """;

    private static JsonObject Json(string json) => JsonNode.Parse(json)!.AsObject();

    [Fact]
    public void FluxHelmRelease_BecomesAnApplication_OnTheSelectedClusters()
    {
        var selector = new LabelSelectorSpec { MatchLabels = new() { ["env"] = "prod" } };
        var (app, errors) = FluxHelmRelease.ToApplication(Json(Release), selector);
        Assert.Empty(errors);
        Assert.Equal("fleet.dev/v1", app!["apiVersion"]!.GetValue<string>());
        Assert.Equal("Application", app["kind"]!.GetValue<string>());
        Assert.Equal("podinfo", app["metadata"]!["name"]!.GetValue<string>());
        Assert.Equal("podinfo", app["metadata"]!["labels"]!["app"]!.GetValue<string>());
        var spec = app["spec"]!;
        Assert.Equal("HelmRepository", spec["sourceRef"]!["kind"]!.GetValue<string>());
        Assert.Equal("podinfo", spec["helm"]!["chart"]!.GetValue<string>());
        Assert.Equal(">=6.0.0 <7.0.0", spec["helm"]!["version"]!.GetValue<string>());
        Assert.Equal("podinfo-prod", spec["helm"]!["releaseName"]!.GetValue<string>());
        Assert.True(spec["helm"]!["skipCrds"]!.GetValue<bool>());
        Assert.True(spec["helm"]!["createNamespace"]!.GetValue<bool>());
        Assert.Equal("2", spec["helm"]!["values"]!["replicaCount"]!.ToString());
        Assert.Equal("podinfo-values", spec["helm"]!["valuesFrom"]![0]!["name"]!.GetValue<string>());
        Assert.Equal("apps", spec["targetNamespace"]!.GetValue<string>());
        Assert.Equal("5m", spec["interval"]!.GetValue<string>());
        Assert.Equal("redis", spec["dependsOn"]![0]!["name"]!.GetValue<string>());
        Assert.Equal("Deployment", spec["patches"]![0]!["target"]!["kind"]!.GetValue<string>());
        Assert.Equal("6.5.0", spec["images"]![0]!["newTag"]!.GetValue<string>());
        Assert.Equal("prod", spec["clusterSelector"]!["matchLabels"]!["env"]!.GetValue<string>());
        Assert.True(spec["prune"]!.GetValue<bool>());
        Assert.True(spec["wait"]!.GetValue<bool>());
        Assert.Empty(ResourceKinds.Application.ReadSpec(spec, strict: true).Errors);
    }

    [Fact]
    public void FluxHelmRelease_FromGit_UsesTheChartPath_AndFluxsDefaultReleaseName()
    {
        var release = Json("""
            {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease", "metadata": {"name": "web", "namespace": "team-a"}, "spec": {"interval": "1m", "targetNamespace": "shop", "chart": {"spec": {"chart": "./charts/web", "sourceRef": {"kind": "GitRepository", "name": "repo"}}}}}
            """);
        var (app, errors) = FluxHelmRelease.ToApplication(release, new LabelSelectorSpec());
        Assert.Empty(errors);
        Assert.Equal("./charts/web", app!["spec"]!["path"]!.GetValue<string>());
        Assert.Equal("shop-web", app["spec"]!["helm"]!["releaseName"]!.GetValue<string>());
        Assert.Null(app["spec"]!["helm"]!["chart"]);
    }

    [Fact]
    public void FluxHelmRelease_Unsupported_IsRefusedNamingEveryField()
    {
        var release = Json("""
            {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease", "metadata": {"name": "web", "namespace": "team-a"}, "spec": {"chartRef": {"kind": "OCIRepository", "name": "x"}, "chart": {"spec": {"chart": "web", "valuesFiles": ["a.yaml"], "sourceRef": {"kind": "Bucket", "name": "b", "namespace": "other"}}}, "postRenderers": [{"kustomize": {"patchesStrategicMerge": [{}]}}]}}
            """);
        var (app, errors) = FluxHelmRelease.ToApplication(release, new LabelSelectorSpec());
        Assert.Null(app);
        var fields = errors.Select(e => e.Field).ToList();
        Assert.Contains("spec.chartRef", fields);
        Assert.Contains("spec.chart.spec.valuesFiles", fields);
        Assert.Contains("spec.chart.spec.sourceRef.kind", fields);
        Assert.Contains("spec.chart.spec.sourceRef.namespace", fields);
        Assert.Contains("spec.postRenderers[0].kustomize.patchesStrategicMerge", fields);
    }
}
