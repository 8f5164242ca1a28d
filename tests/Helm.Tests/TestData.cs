using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Fleet.Helm.Tests;

/// <summary>Locates the conformance cases and the reference Helm (../shared/tools/helm/helm from the repository root).</summary>
internal static class TestData
{
    public static string Directory { get; } = Locate();

    public static string Cases => Path.Combine(Directory, "cases");

    public static IEnumerable<string> CaseNames() =>
        System.IO.Directory.EnumerateDirectories(Cases).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal);

    /// <summary>The reference helm binary, or null when this checkout has no ../shared beside it.</summary>
    public static string? Helm { get; } = FindHelm();

    private static string Locate([CallerFilePath] string source = "")
    {
        var fromSource = Path.Combine(Path.GetDirectoryName(source) ?? ".", "testdata");
        return System.IO.Directory.Exists(fromSource) ? fromSource : Path.Combine(AppContext.BaseDirectory, "testdata");
    }

    private static string? FindHelm([CallerFilePath] string source = "")
    {
        var dir = Path.GetDirectoryName(source);
        while (dir is not null && !File.Exists(Path.Combine(dir, "Fleet.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        if (dir is null)
        {
            return null;
        }

        var helm = Path.GetFullPath(Path.Combine(dir, "..", "shared", "tools", "helm", "helm"));
        return File.Exists(helm) ? helm : null;
    }

    /// <summary>Runs the reference helm in the testdata directory; returns exit code, stdout and stderr.</summary>
    public static (int Code, string Out, string Err) RunHelm(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(Helm!) { WorkingDirectory = Directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }

        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
