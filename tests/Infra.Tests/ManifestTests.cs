using System.Text.Json.Nodes;

namespace Fleet.Infra.Tests;

/// <summary>What the rendered deployment promises: Orleans' Kubernetes hosting wired, probes on the real endpoints, least rights.</summary>
public sealed class ManifestTests
{
    private static readonly List<JsonObject> Base = Repo.Objects("base");

    private static JsonObject One(string kind, string name) =>
        Base.Single(o => (string?)o["kind"] == kind && (string?)o["metadata"]!["name"] == name);

    private static JsonObject Container(JsonObject deployment) =>
        deployment["spec"]!["template"]!["spec"]!["containers"]!.AsArray().Single()!.AsObject();

    private static List<string> Args(JsonObject deployment) =>
        [.. Container(deployment)["args"]!.AsArray().Select(a => (string)a!)];

    [Fact]
    public void SiloRole_GrantsOnlyThePodRightsOrleansKubernetesHostingUses()
    {
        var rules = One("Role", "fleet-silo")["rules"]!.AsArray();
        var rule = Assert.Single(rules)!;
        Assert.Equal([""], rule["apiGroups"]!.AsArray().Select(g => (string)g!));
        Assert.Equal(["pods"], rule["resources"]!.AsArray().Select(r => (string)r!));
        Assert.Equal(["get", "list", "patch", "watch"], rule["verbs"]!.AsArray().Select(v => (string)v!).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(Base, o => (string?)o["kind"] is "ClusterRole" or "ClusterRoleBinding");

        var binding = One("RoleBinding", "fleet-silo");
        var subject = Assert.Single(binding["subjects"]!.AsArray())!;
        Assert.Equal("fleet-silo", (string?)subject["name"]);
        Assert.Equal("fleet", (string?)subject["namespace"]);
        Assert.Equal("fleet-silo", (string?)One("Deployment", "fleet-silo")["spec"]!["template"]!["spec"]!["serviceAccountName"]);
    }

    [Fact]
    public void Silo_HasKubernetesHostingEnvironmentLabelsAndOption()
    {
        var silo = One("Deployment", "fleet-silo");
        Assert.True((int)silo["spec"]!["replicas"]! >= 2);
        var env = Container(silo)["env"]!.AsArray().ToDictionary(e => (string)e!["name"]!, e => e!);
        Assert.Equal("metadata.name", (string?)env["POD_NAME"]["valueFrom"]!["fieldRef"]!["fieldPath"]);
        Assert.Equal("metadata.namespace", (string?)env["POD_NAMESPACE"]["valueFrom"]!["fieldRef"]!["fieldPath"]);
        Assert.Equal("status.podIP", (string?)env["POD_IP"]["valueFrom"]!["fieldRef"]!["fieldPath"]);

        // The pod labels Orleans selects silos by must agree with the ids the silo runs with.
        var labels = silo["spec"]!["template"]!["metadata"]!["labels"]!;
        Assert.Equal((string?)env["ORLEANS_SERVICE_ID"]["value"], (string?)labels["orleans/serviceId"]);
        Assert.Equal((string?)env["ORLEANS_CLUSTER_ID"]["value"], (string?)labels["orleans/clusterId"]);
        var args = Args(silo);
        Assert.Contains("--Fleet:KubernetesHosting=true", args);
        Assert.Contains("--Fleet:Clustering=AdoNet", args);
        Assert.Contains("--Fleet:Store:Provider=Postgres", args);
        Assert.Contains($"--Fleet:ClusterId={(string?)labels["orleans/clusterId"]}", args);
    }

    [Theory]
    [InlineData("fleet-silo")]
    [InlineData("fleet-gateway")]
    public void Deployments_ProbeRealEndpoints_RunAsNonRoot_ReadSecretsFromSecret(string name)
    {
        var deployment = One("Deployment", name);
        var container = Container(deployment);
        Assert.Equal("/healthz", (string?)container["livenessProbe"]!["httpGet"]!["path"]);
        Assert.Equal("/readyz", (string?)container["readinessProbe"]!["httpGet"]!["path"]);
        Assert.NotNull(container["resources"]!["requests"]!["cpu"]);
        Assert.NotNull(container["resources"]!["requests"]!["memory"]);
        Assert.NotNull(container["resources"]!["limits"]!["memory"]);
        Assert.True((bool)deployment["spec"]!["template"]!["spec"]!["securityContext"]!["runAsNonRoot"]!);

        var env = container["env"]!.AsArray().ToDictionary(e => (string)e!["name"]!, e => e!);
        foreach (var secretVar in new[] { "Fleet__Store__ConnectionString", "Fleet__SecretKey" })
        {
            Assert.Equal("fleet-postgres", (string?)env[secretVar]["valueFrom"]!["secretKeyRef"]!["name"]);
        }

        Assert.DoesNotContain(Args(deployment), a => a.Contains("ConnectionString", StringComparison.OrdinalIgnoreCase) || a.Contains("SecretKey", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(Base, o => (string?)o["kind"] == "Secret");

        var budget = One("PodDisruptionBudget", name);
        Assert.Equal(deployment["spec"]!["selector"]!.ToJsonString(), budget["spec"]!["selector"]!.ToJsonString());
    }

    [Fact]
    public void Gateway_RunsGatewayRoleBehindService_WithoutKubernetesApiToken()
    {
        var gateway = One("Deployment", "fleet-gateway");
        Assert.Contains("--role=gateway", Args(gateway));
        Assert.True((int)gateway["spec"]!["replicas"]! >= 2);
        Assert.False((bool)gateway["spec"]!["template"]!["spec"]!["automountServiceAccountToken"]!);
        var service = One("Service", "fleet-gateway");
        Assert.Equal(gateway["spec"]!["selector"]!["matchLabels"]!.ToJsonString(), service["spec"]!["selector"]!.ToJsonString());
    }

    [Fact]
    public void Gateway_ServesGrpcOnPort5081_AndTakesTheBootstrapAdminTokenFromAnOptionalSecret()
    {
        var gateway = One("Deployment", "fleet-gateway");
        var container = Container(gateway);
        var args = Args(gateway);
        Assert.Contains("--Fleet:Grpc:Address=*", args);
        Assert.Contains("--Fleet:Grpc:Port=5081", args);
        var port = Assert.Single(container["ports"]!.AsArray(), p => (string?)p!["name"] == "grpc")!;
        Assert.Equal(5081, (int)port["containerPort"]!);
        var servicePort = Assert.Single(One("Service", "fleet-gateway")["spec"]!["ports"]!.AsArray(), p => (string?)p!["name"] == "grpc")!;
        Assert.Equal(("grpc", 5081, "kubernetes.io/h2c"), ((string?)servicePort["targetPort"], (int)servicePort["port"]!, (string?)servicePort["appProtocol"]));

        // The token comes from a Secret that is not in the manifests (no token in Git), and the gateway starts without it.
        var env = container["env"]!.AsArray().Single(e => (string?)e!["name"] == "Fleet__Gateway__BootstrapAdminToken")!;
        var reference = env["valueFrom"]!["secretKeyRef"]!;
        Assert.Equal(("fleet-admin-token", "token", true), ((string?)reference["name"], (string?)reference["key"], (bool)reference["optional"]!));
        Assert.DoesNotContain(args, a => a.Contains("BootstrapAdminToken", StringComparison.Ordinal));
    }

    [Fact]
    public void ExampleOverlay_PinsImageAndScalesSilos()
    {
        var overlay = Repo.Objects("overlays/example");
        var silo = overlay.Single(o => (string?)o["kind"] == "Deployment" && (string?)o["metadata"]!["name"] == "fleet-silo");
        Assert.Equal(3, (int)silo["spec"]!["replicas"]!);
        Assert.Equal("ghcr.io/fleet/fleet:1.0.0", (string?)Container(silo)["image"]);
        Assert.All(overlay.Where(o => (string?)o["kind"] != "Namespace"), o => Assert.Equal("fleet-prod", (string?)o["metadata"]!["namespace"]));
    }
}
