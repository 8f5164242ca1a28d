using System.Text;
using LibGit2Sharp;

namespace Fleet.Sources.Tests;

public sealed class LibGit2Tests
{
    [Fact]
    public void Settings_SetTheServerTimeouts_AndTheLibraryHasHttpsAndSsh()
    {
        LibGit2Settings.EnsureApplied();

        // The time-outs are read back from libgit2, so a wrong option number fails here.
        Assert.True(LibGit2Settings.HasStallTimeout);
        Assert.True(GlobalSettings.Version.Features.HasFlag(BuiltInFeatures.Https));
        Assert.True(GlobalSettings.Version.Features.HasFlag(BuiltInFeatures.Ssh));
    }

    [Fact]
    public void Settings_ReadNoUserOrSystemConfig()
    {
        LibGit2Settings.EnsureApplied();
        foreach (var level in new[] { ConfigurationLevel.Global, ConfigurationLevel.Xdg, ConfigurationLevel.System })
        {
            var paths = GlobalSettings.GetConfigSearchPaths(level).ToList();
            Assert.Single(paths);
            Assert.Contains("fleet-git-noconfig-", paths[0], StringComparison.Ordinal);
            Assert.Empty(Directory.EnumerateFileSystemEntries(paths[0]));
        }
    }

    [Fact]
    public void SmartHttpRefs_ParsesAVersion0Advertisement()
    {
        static string Pkt(string line) => (line.Length + 4).ToString("x4", System.Globalization.CultureInfo.InvariantCulture) + line;
        var id = new string('a', 40);
        var body = Pkt("# service=git-upload-pack\n") + "0000"
            + Pkt($"{id} HEAD\0multi_ack side-band-64k symref=HEAD:refs/heads/main\n")
            + Pkt($"{id} refs/heads/main\n")
            + Pkt($"{id} refs/tags/v1.0.0\n")
            + Pkt($"{id} refs/tags/v1.0.0^{{}}\n")
            + "0000";
        Assert.Equal(["HEAD", "refs/heads/main", "refs/tags/v1.0.0", "refs/tags/v1.0.0^{}"], SmartHttpRefs.Parse(Encoding.UTF8.GetBytes(body)));
        Assert.Throws<HttpRequestException>(() => SmartHttpRefs.Parse(Encoding.UTF8.GetBytes("00ffshort")));
    }
}
