using System.Formats.Tar;
using System.IO.Compression;
using Fleet.Sources.Tests.Support;

namespace Fleet.Sources.Tests;

public sealed class ArtifactReaderTests : IDisposable
{
    private readonly string _dir = TempDir.Create("fleet-reader-");

    public void Dispose() => TempDir.Delete(_dir);

    private static byte[] TarGz(params TarEntry[] entries)
    {
        using var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gz, leaveOpen: true))
        {
            foreach (var entry in entries)
            {
                tar.WriteEntry(entry);
            }
        }

        return output.ToArray();
    }

    private static PaxTarEntry File(string name, string content) =>
        new(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content)) };

    [Theory]
    [InlineData("../escape.txt")]
    [InlineData("a/../../escape.txt")]
    [InlineData("/etc/escape.txt")]
    public async Task Extract_RefusesPathsThatEscapeTheDestination(string name)
    {
        var destination = Path.Combine(_dir, "out");
        var ex = await Assert.ThrowsAsync<GitSourceException>(() => ArtifactReader.ExtractAsync(TarGz(File(name, "x")), destination, CancellationToken.None));
        Assert.Equal(GitSourceReasons.InvalidArtifact, ex.Reason);
        Assert.Contains(name, ex.Message);
        Assert.False(System.IO.File.Exists(Path.Combine(_dir, "escape.txt")));
    }

    [Fact]
    public async Task Extract_RefusesLinks()
    {
        var link = new PaxTarEntry(TarEntryType.SymbolicLink, "link") { LinkName = "/etc/passwd" };
        var ex = await Assert.ThrowsAsync<GitSourceException>(() => ArtifactReader.ExtractAsync(TarGz(link), _dir, CancellationToken.None));
        Assert.Contains("SymbolicLink", ex.Message);
    }

    [Fact]
    public async Task Extract_RefusesWhatIsNotATarGz()
    {
        var ex = await Assert.ThrowsAsync<GitSourceException>(() => ArtifactReader.ExtractAsync("not gzip"u8.ToArray(), _dir, CancellationToken.None));
        Assert.Equal(GitSourceReasons.InvalidArtifact, ex.Reason);
    }

    [Fact]
    public async Task Extract_StopsAtTheExtractedSizeLimit()
    {
        var ex = await Assert.ThrowsAsync<GitSourceException>(() =>
            ArtifactReader.ExtractAsync(TarGz(File("a", new string('x', 2048))), _dir, CancellationToken.None, maxExtractedBytes: 1024));
        Assert.Contains("1024", ex.Message);
    }

    [Fact]
    public async Task Extract_WritesFilesAndDirectories()
    {
        var files = await ArtifactReader.ExtractAsync(TarGz(new PaxTarEntry(TarEntryType.Directory, "d/"), File("d/x.yaml", "x")), _dir, CancellationToken.None);
        Assert.Equal(1, files);
        Assert.Equal("x", System.IO.File.ReadAllText(Path.Combine(_dir, "d", "x.yaml")));
    }
}
