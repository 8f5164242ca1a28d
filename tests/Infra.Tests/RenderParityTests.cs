using System.Text.Json.Nodes;

namespace Fleet.Infra.Tests;

/// <summary>Every kustomization under infra/kubernetes renders the same with Fleet's engine as with `kubectl kustomize`.</summary>
public sealed class RenderParityTests
{
    public static TheoryData<string> Kustomizations() => new(Repo.Kustomizations());

    [Fact]
    public void Infra_HasBaseOverlayAndMonitoringKustomizations() =>
        Assert.Equal(["base", "monitoring", "overlays/example"], Repo.Kustomizations());

    [SkippableTheory]
    [MemberData(nameof(Kustomizations))]
    public async Task Render_FleetEngineMatchesKubectlKustomize(string path)
    {
        Skip.If(Repo.FindKubectl() is null, "kubectl is not installed: no `kubectl kustomize` to compare with");

        var expected = YamlDocuments.Parse(await Repo.KubectlKustomizeAsync(path));
        var fleetYaml = Repo.RenderWithFleet(path).ToYaml();
        var actual = YamlDocuments.Parse(fleetYaml);

        Assert.NotEmpty(expected);
        var ids = string.Join(", ", actual.Select(Id));
        Assert.True(expected.Count == actual.Count, $"{path}: kubectl rendered {expected.Count} objects, Fleet {actual.Count} ({ids})");
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.True(JsonNode.DeepEquals(expected[i], actual[i]),
                $"{path}: object {i} differs: kubectl {Id(expected[i])}\n{expected[i]?.ToJsonString()}\nFleet {Id(actual[i])}\n{actual[i]?.ToJsonString()}");
        }
    }

    private static string Id(JsonNode? o) => $"{o?["kind"]}/{o?["metadata"]?["name"]}";
}
