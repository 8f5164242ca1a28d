using System.Diagnostics;
using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace Fleet.Sources.Tests.Support;

/// <summary>
/// The packer Fleet used before it moved to libgit2, kept as the reference: the tree listed by
/// <c>git ls-tree -r -z</c>, blobs read through one <c>git cat-file --batch</c>, the same ignore rules and the
/// same tar.gz normalization. The libgit2 packer must give the same bytes.
/// </summary>
internal static class CliArtifactPacker
{
    public static async Task<byte[]> PackAsync(string mirror, string commit, IReadOnlyList<string> ignore)
    {
        var listing = Encoding.UTF8.GetString(await RunAsync(mirror, ["ls-tree", "-r", "-z", "--full-tree", commit], []));
        var entries = new List<(string Path, string Object, bool Executable)>();
        foreach (var record in listing.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            // "<mode> SP <type> SP <object> TAB <path>"
            var tab = record.IndexOf('\t', StringComparison.Ordinal);
            var meta = record[..tab].Split(' ');
            if (meta[1] == "blob" && meta[0] is "100644" or "100755")
            {
                entries.Add((record[(tab + 1)..], meta[2], meta[0] == "100755"));
            }
        }

        var blobs = await ReadBlobsAsync(mirror, entries.Select(e => e.Object).Distinct().ToList());
        var matcher = IgnoreMatcher.WithDefaults();
        foreach (var file in entries
            .Where(e => e.Path == IgnoreMatcher.IgnoreFileName || e.Path.EndsWith("/" + IgnoreMatcher.IgnoreFileName, StringComparison.Ordinal))
            .OrderBy(e => e.Path.Count(c => c == '/'))
            .ThenBy(e => e.Path, StringComparer.Ordinal))
        {
            var slash = file.Path.LastIndexOf('/');
            matcher.AddLines(slash < 0 ? string.Empty : file.Path[..slash], Encoding.UTF8.GetString(blobs[file.Object]));
        }

        foreach (var line in ignore)
        {
            matcher.AddLines(string.Empty, line);
        }

        using var output = new MemoryStream();
        await using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            await using var tar = new TarWriter(gzip, TarEntryFormat.Gnu, leaveOpen: true);
            foreach (var entry in entries.Where(e => !matcher.IsIgnored(e.Path)).OrderBy(e => e.Path, StringComparer.Ordinal))
            {
                using var data = new MemoryStream(blobs[entry.Object], writable: false);
                await tar.WriteEntryAsync(new GnuTarEntry(TarEntryType.RegularFile, entry.Path)
                {
                    ModificationTime = DateTimeOffset.UnixEpoch,
                    AccessTime = DateTimeOffset.UnixEpoch,
                    ChangeTime = DateTimeOffset.UnixEpoch,
                    Mode = entry.Executable
                        ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute
                        : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                    Uid = 0,
                    Gid = 0,
                    UserName = string.Empty,
                    GroupName = string.Empty,
                    DataStream = data,
                });
            }
        }

        return output.ToArray();
    }

    private static async Task<Dictionary<string, byte[]>> ReadBlobsAsync(string mirror, IReadOnlyList<string> objects)
    {
        var input = Encoding.ASCII.GetBytes(string.Concat(objects.Select(o => o + "\n")));
        var output = await RunAsync(mirror, ["cat-file", "--batch"], input);
        var blobs = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var at = 0;
        foreach (var id in objects)
        {
            // "<object> SP blob SP <size> LF <contents> LF"
            var newline = Array.IndexOf(output, (byte)'\n', at);
            var header = Encoding.ASCII.GetString(output, at, newline - at).Split(' ');
            var size = int.Parse(header[2], CultureInfo.InvariantCulture);
            blobs[id] = output.AsSpan(newline + 1, size).ToArray();
            at = newline + 1 + size + 1;
        }

        return blobs;
    }

    private static async Task<byte[]> RunAsync(string directory, string[] args, byte[] input)
    {
        var psi = new ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        using var process = Process.Start(psi)!;
        var writing = Task.Run(async () =>
        {
            await process.StandardInput.BaseStream.WriteAsync(input);
            process.StandardInput.Close();
        });
        using var stdout = new MemoryStream();
        var reading = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        var errors = process.StandardError.ReadToEndAsync();
        await Task.WhenAll(writing, reading);
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', args)} failed: {await errors}");
        }

        return stdout.ToArray();
    }
}
