using System.Text.Json.Nodes;

namespace Fleet.Rendering.Tests;

public sealed class EngineTests
{
    private static readonly Dictionary<string, string> App = new()
    {
        ["app/kustomization.yaml"] = "resources:\n- deploy.yaml\n- cm.yaml\n",
        ["app/deploy.yaml"] = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
              namespace: default
            spec:
              selector:
                matchLabels: {app: web}
              template:
                metadata:
                  labels: {app: web}
                spec:
                  containers:
                  - name: web
                    image: nginx:1.25
                    env:
                    - name: CLUSTER
                      value: ${cluster_name}
            """,
        ["app/cm.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  region: ${region:=eu}\n",
        ["app/components/ha/kustomization.yaml"] = "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nreplicas:\n- name: web\n  count: 3\n",
    };

    [Fact]
    public void Render_ReturnsParsedObjectsInKustomizeOrder()
    {
        using var dir = new TempDir(App);
        var result = KustomizeEngine.Render(dir.Path, "app");
        Assert.Equal(["ConfigMap", "Deployment"], result.Objects.Select(o => (string)o["kind"]!));
        Assert.StartsWith("apiVersion: v1\nkind: ConfigMap\n", result.ToYaml(), StringComparison.Ordinal);
    }

    [Fact]
    public void Digest_IsStableAndChangesWithContent()
    {
        using var dir = new TempDir(App);
        var a = KustomizeEngine.Render(dir.Path, "app");
        var b = KustomizeEngine.Render(dir.Path, "app");
        Assert.Equal(a.Digest, b.Digest);
        Assert.StartsWith("sha256:", a.Digest, StringComparison.Ordinal);
        dir.Write("app/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  region: us\n");
        Assert.NotEqual(a.Digest, KustomizeEngine.Render(dir.Path, "app").Digest);
    }

    [Fact]
    public void Overlay_AppliesFluxFieldsOnTop()
    {
        using var dir = new TempDir(App);
        var overlay = new FluxOverlay
        {
            TargetNamespace = "shop",
            NamePrefix = "p-",
            NameSuffix = "-s",
            Patches = [new FluxPatch("- op: add\n  path: /metadata/annotations\n  value: {patched: \"yes\"}\n", new PatchSelector { Kind = "Deployment" })],
            Images = [new FluxImage("nginx", NewTag: "1.27")],
            Components = ["components/ha"],
            CommonMetadata = new FluxCommonMetadata(new Dictionary<string, string> { ["owner"] = "team" }, new Dictionary<string, string> { ["note"] = "n" }),
        };
        var result = KustomizeEngine.Render(dir.Path, "app", new RenderOptions { Overlay = overlay });
        var deploy = result.Objects.Single(o => (string)o["kind"]! == "Deployment");
        Assert.Equal("p-web-s", (string)deploy["metadata"]!["name"]!);
        Assert.Equal("shop", (string)deploy["metadata"]!["namespace"]!);
        Assert.Equal("yes", (string)deploy["metadata"]!["annotations"]!["patched"]!);
        Assert.Equal("n", (string)deploy["metadata"]!["annotations"]!["note"]!);
        Assert.Equal("team", (string)deploy["metadata"]!["labels"]!["owner"]!);
        Assert.Null(deploy["spec"]!["selector"]!["matchLabels"]!["owner"]);
        Assert.Equal("nginx:1.27", (string)deploy["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]!);
        Assert.Equal(3, (int)deploy["spec"]!["replicas"]!);
    }

    [Fact]
    public void Substitutions_AreAppliedAfterBuild()
    {
        using var dir = new TempDir(App);
        var result = KustomizeEngine.Render(dir.Path, "app", new RenderOptions { Substitutions = new Dictionary<string, string> { ["cluster_name"] = "east" } });
        Assert.Equal("eu", (string)result.Objects[0]["data"]!["region"]!);
        Assert.Equal("east", (string)result.Objects[1]["spec"]!["template"]!["spec"]!["containers"]![0]!["env"]![0]!["value"]!);
    }

    [Fact]
    public void RenderOnce_SubstitutePerCluster_DoesNotChangeRenderedObjects()
    {
        using var dir = new TempDir(App);
        var rendered = KustomizeEngine.Render(dir.Path, "app");
        var east = PostBuild.Substitute(rendered.Objects, new Dictionary<string, string> { ["cluster_name"] = "east" });
        var west = PostBuild.Substitute(rendered.Objects, new Dictionary<string, string> { ["cluster_name"] = "west" });
        Assert.Equal("east", (string)east[1]["spec"]!["template"]!["spec"]!["containers"]![0]!["env"]![0]!["value"]!);
        Assert.Equal("west", (string)west[1]["spec"]!["template"]!["spec"]!["containers"]![0]!["env"]![0]!["value"]!);
        Assert.Equal("${cluster_name}", (string)rendered.Objects[1]["spec"]!["template"]!["spec"]!["containers"]![0]!["env"]![0]!["value"]!);
    }

    [Fact]
    public void DirectoryWithoutKustomization_RendersAllManifestsRecursively()
    {
        using var dir = new TempDir(new Dictionary<string, string>
        {
            ["plain/a.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
            ["plain/sub/b.yml"] = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: b\n",
            ["plain/.hidden/c.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hidden\n",
            ["plain/notes.txt"] = "not a manifest",
        });
        var result = KustomizeEngine.Render(dir.Path, "plain");
        Assert.Equal(["a", "b"], result.Objects.Select(o => (string)o["metadata"]!["name"]!));
    }

    [Fact]
    public void MissingPath_NamesThePath()
    {
        using var dir = new TempDir(App);
        var ex = Assert.Throws<RenderException>(() => KustomizeEngine.Render(dir.Path, "nope"));
        Assert.Contains("nope", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void YamlOutput_RoundTripsTrickyScalars()
    {
        using var dir = new TempDir(new Dictionary<string, string>
        {
            ["kustomization.yaml"] = "resources:\n- r.yaml\n",
            ["r.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: s\ndata:\n  a: \"true\"\n  b: \"0x1F\"\n  c: \"- x\"\n  d: \"a: b\"\n  e: \"\"\n  f: \"line1\\nline2\\n\"\n  g: \" lead\"\n  h: \"null\"\n  i: \"on\"\n  j: \"1e3\"\n  k: \"#hash\"\n  l: \"tab\\there\"\n  m: \"trail \\nx\"\n",
        });
        var result = KustomizeEngine.Render(dir.Path, ".");
        var reparsed = Yaml.YamlReader.ReadAll(result.ToYaml(), "out", new RenderLimits());
        Assert.True(JsonNode.DeepEquals(result.Objects[0], reparsed[0]), result.ToYaml());
    }
}
