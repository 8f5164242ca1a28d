using System.Text;
using System.Text.Json.Nodes;
using Fleet.Rendering.Yaml;

namespace Fleet.Rendering.Tests;

/// <summary>
/// Every case under testdata/cases renders to the same documents, in the same order, as
/// `kubectl kustomize` (v5.5.0) did when the fixture was generated, or fails where it failed.
/// </summary>
public sealed class ConformanceTests
{
    public static TheoryData<string> Cases() => new(TestData.CaseNames());

    [Theory]
    [MemberData(nameof(Cases))]
    public void Render_MatchesKustomizeFixture(string name)
    {
        var dir = Path.Combine(TestData.Cases, name);
        var input = Path.Combine(dir, "input");
        var path = File.ReadAllText(Path.Combine(dir, "build-path")).Trim();
        var expectedError = Path.Combine(dir, "expected-error.txt");
        if (File.Exists(expectedError))
        {
            var ex = Assert.Throws<RenderException>(() => KustomizeEngine.Render(input, path));
            var contains = Path.Combine(dir, "error-contains");
            if (File.Exists(contains))
            {
                var needle = File.ReadAllText(contains).Trim();
                Assert.Contains(needle, ex.Message, StringComparison.OrdinalIgnoreCase);
            }

            Assert.DoesNotContain(input, ex.Message, StringComparison.Ordinal);
            return;
        }

        var result = KustomizeEngine.Render(input, path);
        var expected = YamlReader.ReadAll(File.ReadAllText(Path.Combine(dir, "expected.yaml")), "expected.yaml", new RenderLimits()).Where(d => d is not null).ToList();

        // Round-trip our own YAML output too, so the writer is checked along with the engine.
        var actual = YamlReader.ReadAll(result.ToYaml(), "actual", new RenderLimits()).Where(d => d is not null).ToList();
        var problem = Compare(expected, actual);
        Assert.True(problem is null, $"{name}: {problem}\n--- expected (kustomize)\n{File.ReadAllText(Path.Combine(dir, "expected.yaml"))}\n--- actual (fleet)\n{result.ToYaml()}");
    }

    internal static string? Compare(List<JsonNode?> expected, List<JsonNode?> actual)
    {
        var sb = new StringBuilder();
        if (expected.Count != actual.Count)
        {
            sb.Append($"expected {expected.Count} documents, got {actual.Count}. ");
        }

        for (var i = 0; i < Math.Min(expected.Count, actual.Count); i++)
        {
            if (!Same(expected[i], actual[i]))
            {
                sb.Append($"document {i} differs: expected {Id(expected[i])}, got {Id(actual[i])}. ");
            }
        }

        return sb.Length == 0 ? null : sb.ToString();
    }

    private static string Id(JsonNode? n) => $"{n?["kind"]} {n?["metadata"]?["namespace"]}/{n?["metadata"]?["name"]}";

    /// <summary>Equal as parsed YAML: maps compare without key order, numbers by value.</summary>
    internal static bool Same(JsonNode? a, JsonNode? b)
    {
        switch (a, b)
        {
            case (null, null):
                return true;
            case (JsonObject oa, JsonObject ob):
                return oa.Count == ob.Count && oa.All(p => ob.TryGetPropertyValue(p.Key, out var v) && Same(p.Value, v));
            case (JsonArray aa, JsonArray ab):
                return aa.Count == ab.Count && aa.Zip(ab).All(p => Same(p.First, p.Second));
            case (JsonValue va, JsonValue vb):
                if (va.GetValueKind() == System.Text.Json.JsonValueKind.Number && vb.GetValueKind() == System.Text.Json.JsonValueKind.Number)
                {
                    return va.GetValue<double>() == vb.GetValue<double>();
                }

                return JsonNode.DeepEquals(va, vb);
            default:
                return false;
        }
    }
}
