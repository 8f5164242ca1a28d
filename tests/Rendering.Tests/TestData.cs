using System.Runtime.CompilerServices;

namespace Fleet.Rendering.Tests;

/// <summary>Locates the conformance cases in the source tree (so regenerated fixtures are used without a rebuild).</summary>
internal static class TestData
{
    public static string Directory { get; } = Locate();

    public static string Cases => Path.Combine(Directory, "cases");

    public static IEnumerable<string> CaseNames() =>
        System.IO.Directory.EnumerateDirectories(Cases).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal);

    private static string Locate([CallerFilePath] string source = "")
    {
        var fromSource = Path.Combine(Path.GetDirectoryName(source) ?? ".", "testdata");
        if (System.IO.Directory.Exists(fromSource))
        {
            return fromSource;
        }

        return Path.Combine(AppContext.BaseDirectory, "testdata");
    }
}
