namespace Fleet.Rendering.Tests;

/// <summary>A unique temporary directory with files written from a map, deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir(IReadOnlyDictionary<string, string>? files = null)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "fleet-render-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
        if (files is not null)
        {
            foreach (var (name, content) in files)
            {
                Write(name, content);
            }
        }
    }

    public string Path { get; }

    public string Write(string name, string content)
    {
        var full = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        return full;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp directory does not affect other tests.
        }
    }
}
