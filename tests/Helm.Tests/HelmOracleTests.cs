using System.Collections.Concurrent;

namespace Fleet.Helm.Tests;

/// <summary>
/// Runs the reference Helm (../shared/tools/helm/helm) on every conformance case now and compares its output with
/// the engine's, and with the committed fixture. Skips, saying why, where that Helm is absent.
/// </summary>
public sealed class HelmOracleTests
{
    [RequiresHelmFact]
    public void EveryCase_MatchesHelmRunNow()
    {
        var differences = new ConcurrentBag<string>();
        Parallel.ForEach(TestData.CaseNames(), new ParallelOptions { MaxDegreeOfParallelism = 2 }, name =>
        {
            var dir = Path.Combine(TestData.Cases, name);
            var line = File.ReadAllText(Path.Combine(dir, "command"));
            var (code, stdout, stderr) = TestData.RunHelm(line.Split((char[])[' ', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries));
            var fixtureExpectsError = File.Exists(Path.Combine(dir, "expected-error.txt"));
            if (code != 0)
            {
                if (!fixtureExpectsError)
                {
                    differences.Add($"{name}: helm now fails ({stderr.Trim()}), the fixture expects success");
                }

                try
                {
                    HelmCommand.Parse(line, TestData.Directory).Render();
                    differences.Add($"{name}: helm fails ({stderr.Trim()}) but the engine rendered");
                }
                catch (HelmException)
                {
                    // Both fail; ConformanceTests checks the wording.
                }

                return;
            }

            if (fixtureExpectsError)
            {
                differences.Add($"{name}: helm now succeeds, the fixture expects an error");
                return;
            }

            var randomFile = Path.Combine(dir, "random-paths");
            var random = File.Exists(randomFile) ? File.ReadAllLines(randomFile).Where(l => l.Length > 0).ToList() : [];
            var fixture = ConformanceTests.Parse(File.ReadAllText(Path.Combine(dir, "expected.yaml")));
            var fresh = ConformanceTests.Parse(stdout);
            if (ConformanceTests.Compare(fixture, fresh, random) is { } stale)
            {
                differences.Add($"{name}: fixture is stale: {stale}");
            }

            var ours = ConformanceTests.Parse(HelmCommand.Parse(line, TestData.Directory).Render().Manifest);
            if (ConformanceTests.Compare(fresh, ours, random) is { } problem)
            {
                differences.Add($"{name}: engine differs from helm: {problem}");
            }
        });

        Assert.True(differences.IsEmpty, string.Join("\n", differences.Order(StringComparer.Ordinal)));
    }
}

/// <summary>A fact that is skipped, saying why, when ../shared/tools/helm/helm is not beside the repository.</summary>
internal sealed class RequiresHelmFactAttribute : FactAttribute
{
    public RequiresHelmFactAttribute()
    {
        if (TestData.Helm is null)
        {
            Skip = "the reference helm (../shared/tools/helm/helm) is not beside this checkout: cases cannot be compared with Helm run now";
        }
    }
}
