using System.Collections.Concurrent;
using System.Diagnostics;
using Fleet.Rendering.Yaml;

namespace Fleet.Rendering.Tests;

/// <summary>
/// Re-generates every fixture with the installed `kubectl kustomize` and reports any case where
/// kubectl's output (or failure) differs from the committed fixture. Skips when kubectl is absent.
/// </summary>
public sealed class KubectlFixtureTests
{
    [RequiresKubectlFact]
    public void Fixtures_MatchInstalledKubectlKustomize()
    {
        var kubectl = FindKubectl()!;

        var differences = new ConcurrentBag<string>();
        Parallel.ForEach(TestData.CaseNames(), new ParallelOptions { MaxDegreeOfParallelism = 3 }, name =>
        {
            var dir = Path.Combine(TestData.Cases, name);
            var buildDir = Path.Combine(dir, "input", File.ReadAllText(Path.Combine(dir, "build-path")).Trim());
            string? temp = null;
            try
            {
                if (!new[] { "kustomization.yaml", "kustomization.yml", "Kustomization" }.Any(f => File.Exists(Path.Combine(buildDir, f))))
                {
                    // Flux-style directory: let the generator script write the kustomization Flux would.
                    temp = Path.Combine(Path.GetTempPath(), "fleet-fixture-" + Guid.NewGuid().ToString("N"));
                    CopyDirectory(buildDir, temp);
                    var gen = Run("bash", [Path.Combine(TestData.Directory, "fluxgen.sh"), temp], temp);
                    File.WriteAllText(Path.Combine(temp, "kustomization.yaml"), gen.Stdout);
                    buildDir = temp;
                }

                var (code, stdout, _) = Run(kubectl, ["kustomize", buildDir], dir);
                var expectedFile = Path.Combine(dir, "expected.yaml");
                if (code != 0)
                {
                    if (File.Exists(expectedFile))
                    {
                        differences.Add($"{name}: kubectl now fails, fixture expects success");
                    }

                    return;
                }

                if (!File.Exists(expectedFile))
                {
                    differences.Add($"{name}: kubectl now succeeds, fixture expects an error");
                    return;
                }

                var limits = new RenderLimits();
                var fresh = YamlReader.ReadAll(stdout, "kubectl", limits).Where(d => d is not null).ToList();
                var fixture = YamlReader.ReadAll(File.ReadAllText(expectedFile), "fixture", limits).Where(d => d is not null).ToList();
                if (ConformanceTests.Compare(fixture, fresh) is { } problem)
                {
                    differences.Add($"{name}: {problem}");
                }
            }
            finally
            {
                if (temp is not null)
                {
                    Directory.Delete(temp, recursive: true);
                }
            }
        });

        Assert.True(differences.IsEmpty, "kubectl output differs from fixtures (run testdata/regenerate.sh):\n" + string.Join("\n", differences.Order(StringComparer.Ordinal)));
    }

    internal static string? FindKubectl()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator))
        {
            var candidate = Path.Combine(dir, "kubectl");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    internal static (int Code, string Stdout, string Stderr) Run(string file, IEnumerable<string> args, string workingDirectory)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(1)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish within a minute");
        }

        return (process.ExitCode, stdout, stderr.Result);
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}

/// <summary>A fact that is skipped, saying why, when kubectl is not on the PATH.</summary>
internal sealed class RequiresKubectlFactAttribute : FactAttribute
{
    public RequiresKubectlFactAttribute()
    {
        if (KubectlFixtureTests.FindKubectl() is null)
        {
            Skip = "kubectl is not installed: the fixtures cannot be re-generated on this machine";
        }
    }
}
