using System.Text;
using System.Text.Json.Nodes;
using Fleet.Helm.Formats;

namespace Fleet.Helm.Tests;

/// <summary>
/// Every case under testdata/cases renders to the same documents, in the same order, as the reference Helm
/// (v3.17.4) did when expected.yaml was generated (testdata/regenerate.sh), or fails where it failed.
/// Values under keys starting with "random" come from Sprig's random functions and are compared by shape only.
/// </summary>
public sealed class ConformanceTests
{
    public static TheoryData<string> Cases() => new(TestData.CaseNames());

    [Theory]
    [MemberData(nameof(Cases))]
    public void Render_MatchesHelmFixture(string name)
    {
        var dir = Path.Combine(TestData.Cases, name);
        var command = HelmCommand.Parse(File.ReadAllText(Path.Combine(dir, "command")), TestData.Directory);
        var expectedError = Path.Combine(dir, "expected-error.txt");
        if (File.Exists(expectedError))
        {
            var ex = Assert.Throws<HelmException>(command.Render);
            // error-contains narrows the comparison where Helm's whole message is not reproducible (a 1000-deep chain, libyaml's wording).
            var contains = Path.Combine(dir, "error-contains");
            var needle = File.ReadAllText(File.Exists(contains) ? contains : expectedError).Trim();
            var actual = "Error: " + ex.Message;
            Assert.True(actual.Contains(needle, StringComparison.Ordinal), $"{name}\nexpected: {needle}\nactual:   {actual}");
            return;
        }

        var result = command.Render();
        if (Environment.GetEnvironmentVariable("FLEET_HELM_DUMP") is { } dump) { File.WriteAllText(Path.Combine(dump, name + ".yaml"), result.Manifest); }
        var expectedText = File.ReadAllText(Path.Combine(dir, "expected.yaml"));
        var randomPaths = File.Exists(Path.Combine(dir, "random-paths")) ? File.ReadAllLines(Path.Combine(dir, "random-paths")).Where(l => l.Length > 0).ToList() : [];
        var problem = Compare(Parse(expectedText), Parse(result.Manifest), randomPaths);
        Assert.True(problem is null, $"{name}: {problem}\n--- expected (helm)\n{expectedText}\n--- actual (fleet)\n{result.Manifest}");

        // The parsed objects and hooks are the same documents as the text.
        Assert.Equal(Parse(result.Manifest).Count, result.Crds.Count + result.Objects.Count + result.Hooks.Count);
    }

    internal static List<JsonNode?> Parse(string text) =>
        GoYaml.LoadAll(text, floatNumbers: false).Where(d => d is not null).Select(HelmEngine.ToJson).ToList();

    /// <summary>Compares documents in order; <paramref name="randomPaths"/> lists "Kind/name .path" values made by random functions (compared by shape).</summary>
    internal static string? Compare(List<JsonNode?> expected, List<JsonNode?> actual, IReadOnlyList<string>? randomPaths = null)
    {
        var sb = new StringBuilder();
        if (expected.Count != actual.Count)
        {
            sb.Append($"expected {expected.Count} documents, got {actual.Count}. ");
        }

        for (var i = 0; i < Math.Min(expected.Count, actual.Count); i++)
        {
            var id = Id(expected[i]);
            var random = (randomPaths ?? []).Where(p => p.StartsWith(id + " ", StringComparison.Ordinal)).Select(p => p[(id.Length + 1)..]).ToList();
            var where = Diff(expected[i], actual[i], "", random);
            if (where is not null)
            {
                sb.Append($"document {i} ({Id(expected[i])}) differs at {where}. ");
            }
        }

        return sb.Length == 0 ? null : sb.ToString();
    }

    private static string Id(JsonNode? n) => n is JsonObject o ? $"{o["kind"]}/{o["metadata"]?["name"]}" : "?";

    private static string? Diff(JsonNode? e, JsonNode? a, string path, List<string> random)
    {
        if (random.Contains(path))
        {
            return SameShape(e, a, path);
        }

        switch (e)
        {
            case null:
                return a is null ? null : path + " (expected null)";
            case JsonObject eo:
                if (a is not JsonObject ao)
                {
                    return path + " (expected a map)";
                }

                foreach (var (k, v) in eo)
                {
                    if (!ao.ContainsKey(k))
                    {
                        return $"{path}.{k} (missing)";
                    }

                    var d = k.StartsWith("random", StringComparison.Ordinal) ? SameShape(v, ao[k], $"{path}.{k}") : Diff(v, ao[k], $"{path}.{k}", random);
                    if (d is not null)
                    {
                        return d;
                    }
                }

                var extra = ao.Select(kv => kv.Key).FirstOrDefault(k => !eo.ContainsKey(k));
                return extra is null ? null : $"{path}.{extra} (unexpected)";
            case JsonArray ea:
                if (a is not JsonArray aa || aa.Count != ea.Count)
                {
                    return path + " (array length)";
                }

                for (var i = 0; i < ea.Count; i++)
                {
                    var d = Diff(ea[i], aa[i], $"{path}[{i}]", random);
                    if (d is not null)
                    {
                        return d;
                    }
                }

                return null;
            default:
                return JsonNode.DeepEquals(e, a) ? null : $"{path} (expected {e.ToJsonString()}, got {a?.ToJsonString() ?? "null"})";
        }
    }

    /// <summary>Random values: the same kind of value, and for text the same length or the same PEM header.</summary>
    private static string? SameShape(JsonNode? e, JsonNode? a, string path)
    {
        if (e is JsonValue ev && ev.TryGetValue<string>(out var es) && a is JsonValue av && av.TryGetValue<string>(out var @as))
        {
            if (es.StartsWith("-----", StringComparison.Ordinal))
            {
                return @as.StartsWith(es[..Math.Min(20, es.Length)], StringComparison.Ordinal) ? null : $"{path} (PEM kind)";
            }

            // Generated keys and certificates vary by a few bytes; other random text keeps its length.
            var close = es.Length > 200 ? Math.Abs(es.Length - @as.Length) <= es.Length / 10 : es.Length == @as.Length;
            return close ? null : $"{path} (random text of length {es.Length}, got {@as.Length})";
        }

        return e?.GetValueKind() == a?.GetValueKind() ? null : $"{path} (random value kind)";
    }
}
