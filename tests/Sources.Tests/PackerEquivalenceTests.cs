using System.Globalization;
using System.Security.Cryptography;
using Fleet.Sources.Tests.Support;

namespace Fleet.Sources.Tests;

/// <summary>The libgit2 packer gives the same bytes, and so the same digest, as the git CLI packer it replaced.</summary>
public sealed class PackerEquivalenceTests : IDisposable
{
    private readonly string _mirrors = TempDir.Create("fleet-mirrors-");
    private readonly GitTestRepo _repo = GitTestRepo.Create();

    public void Dispose()
    {
        _repo.Dispose();
        TempDir.Delete(_mirrors);
    }

    [Fact]
    public async Task Pack_ThreeThousandFiles_GivesTheSameDigestAsTheGitCliPacker()
    {
        var random = new Random(7);
        for (var i = 0; i < 3000; i++)
        {
            var dir = $"apps/team-{i % 17:D2}/svc-{i % 113:D3}";
            var name = (i % 5) switch
            {
                0 => $"{dir}/deploy-{i}.yaml",
                1 => $"{dir}/config-{i}.json",
                2 => $"{dir}/notes-{i}.md",
                3 => $"{dir}/bin-{i}.dat",
                _ => $"{dir}/a-b/{i}.yaml",
            };
            if (i % 5 == 3)
            {
                var bytes = new byte[random.Next(0, 4096)];
                random.NextBytes(bytes);
                _repo.WriteBytes(name, bytes);
            }
            else
            {
                _repo.Write(name, $"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\ndata:\n  value: \"{random.Next()}\"\n");
            }
        }

        // Names that sort differently in git's tree order and by ordinal, an empty file, executables,
        // ignore files at two depths, and entries that are left out (a link, Flux's defaults).
        _repo.Write("apps/a-b", "file beside a directory").Write("apps/a.b/c.yaml", "c").Write("apps/a/b.yaml", "b").Write("empty.txt", string.Empty);
        _repo.Write("scripts/run.sh", "#!/bin/sh\necho run\n").Write("scripts/check.sh", "#!/bin/sh\n");
        foreach (var script in new[] { "scripts/run.sh", "scripts/check.sh" })
        {
            File.SetUnixFileMode(Path.Combine(_repo.Path, script), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        _repo.Write(".sourceignore", "*.md\n!apps/team-00/**/notes-*.md\n").Write("apps/team-03/.sourceignore", "*.dat\n");
        _repo.Write(".gitignore", "tmp/\n").Write(".gitattributes", "* text=auto\n").Write("ünïcode/ファイル.yaml", "unicode");
        File.CreateSymbolicLink(Path.Combine(_repo.Path, "link.yaml"), "apps/a/b.yaml");
        var commit = _repo.Commit("three thousand files");

        var mirror = new GitMirror(_mirrors);
        var spec = new GitSourceSpec(_repo.FileUrl, new GitRef(Branch: "main"), TimeSpan.FromSeconds(120), ["apps/team-16/"], null);
        var resolved = await mirror.FetchAsync("ns/equivalence", spec, CancellationToken.None);
        Assert.Equal(commit, resolved.CommitSha);
        var artifact = await mirror.PackAsync("ns/equivalence", resolved, spec, CancellationToken.None);
        var reference = await CliArtifactPacker.PackAsync(mirror.MirrorPath("ns/equivalence"), commit, spec.Ignore);

        Assert.True(artifact.FileCount > 2000, artifact.FileCount.ToString(CultureInfo.InvariantCulture));
        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(reference)), artifact.Digest);
        Assert.Equal(reference, artifact.Content);
    }
}
