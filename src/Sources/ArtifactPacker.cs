using System.Buffers;
using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace Fleet.Sources;

/// <summary>
/// Packs the tree of a commit straight from the object database (<c>git ls-tree</c> and
/// <c>git cat-file --batch</c>, no checkout) into a tar.gz that depends on the tree alone:
/// entries sorted by path, modification time fixed at the Unix epoch, modes 0644 or 0755, uid/gid 0,
/// no user or group names. Symbolic links and submodules are left out, as Flux's archiver does.
/// </summary>
internal sealed class ArtifactPacker(GitProcessRunner runner, string mirror, TimeSpan timeout)
{
    private static readonly DateTimeOffset FixedTime = DateTimeOffset.UnixEpoch;

    public async Task<(byte[] Content, int Files)> PackAsync(string commit, IReadOnlyList<string> ignore, long maxBytes, string revision, CancellationToken ct)
    {
        var entries = await ListTreeAsync(commit, ct);
        var matcher = IgnoreMatcher.WithDefaults();
        var ignoreFiles = entries
            .Where(e => e.Path == IgnoreMatcher.IgnoreFileName || e.Path.EndsWith("/" + IgnoreMatcher.IgnoreFileName, StringComparison.Ordinal))
            .OrderBy(e => e.Path.Count(c => c == '/'))
            .ThenBy(e => e.Path, StringComparer.Ordinal)
            .ToList();
        if (ignoreFiles.Count > 0)
        {
            var contents = new Dictionary<string, string>(StringComparer.Ordinal);
            await ReadBlobsAsync(ignoreFiles, (entry, data, _) =>
            {
                contents[entry.Path] = Encoding.UTF8.GetString(data.Span);
                return Task.CompletedTask;
            }, ct);
            foreach (var file in ignoreFiles)
            {
                var slash = file.Path.LastIndexOf('/');
                matcher.AddLines(slash < 0 ? string.Empty : file.Path[..slash], contents[file.Path]);
            }
        }

        foreach (var line in ignore)
        {
            matcher.AddLines(string.Empty, line);
        }

        var kept = entries.Where(e => !matcher.IsIgnored(e.Path)).OrderBy(e => e.Path, StringComparer.Ordinal).ToList();

        using var output = new MemoryStream();
        await using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            await using var tar = new TarWriter(gzip, TarEntryFormat.Gnu, leaveOpen: true);
            await ReadBlobsAsync(kept, async (entry, data, token) =>
            {
                var tarEntry = new GnuTarEntry(TarEntryType.RegularFile, entry.Path)
                {
                    ModificationTime = FixedTime,
                    AccessTime = FixedTime,
                    ChangeTime = FixedTime,
                    Mode = entry.Executable
                        ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute
                        : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                    Uid = 0,
                    Gid = 0,
                    UserName = string.Empty,
                    GroupName = string.Empty,
                };
                using var stream = new MemoryStream(data.ToArray(), writable: false);
                tarEntry.DataStream = stream;
                await tar.WriteEntryAsync(tarEntry, token);
                if (output.Length > maxBytes)
                {
                    throw TooLarge(revision, maxBytes);
                }
            }, ct);
        }

        if (output.Length > maxBytes)
        {
            throw TooLarge(revision, maxBytes);
        }

        return (output.ToArray(), kept.Count);
    }

    private static GitSourceException TooLarge(string revision, long maxBytes) =>
        new(GitSourceReasons.ArtifactTooLarge,
            $"the artifact for {revision} is larger than the limit of {maxBytes.ToString(CultureInfo.InvariantCulture)} bytes: leave files out with spec.ignore or a .sourceignore file, or raise the limit");

    private async Task<List<TreeEntry>> ListTreeAsync(string commit, CancellationToken ct)
    {
        var result = await runner.RunAsync(mirror, ["ls-tree", "-r", "-z", "--full-tree", commit], null, timeout, ct);
        if (result.ExitCode != 0)
        {
            throw new GitSourceException(GitSourceReasons.GitOperationFailed, $"commit {commit} is not in the mirror: {result.StandardError.Trim()}");
        }

        var entries = new List<TreeEntry>();
        foreach (var record in result.Output.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            // "<mode> SP <type> SP <object> TAB <path>"
            var tab = record.IndexOf('\t', StringComparison.Ordinal);
            var meta = record[..tab].Split(' ');
            var mode = meta[0];
            if (meta[1] != "blob" || mode is not ("100644" or "100755"))
            {
                continue;
            }

            entries.Add(new TreeEntry(record[(tab + 1)..], meta[2], mode == "100755"));
        }

        return entries;
    }

    /// <summary>Streams the blobs of <paramref name="entries"/>, in order, through one <c>git cat-file --batch</c>.</summary>
    private async Task ReadBlobsAsync(IReadOnlyList<TreeEntry> entries, Func<TreeEntry, ReadOnlyMemory<byte>, CancellationToken, Task> onBlob, CancellationToken ct)
    {
        if (entries.Count == 0)
        {
            return;
        }

        var result = await runner.RunAsync(
            mirror,
            ["cat-file", "--batch"],
            null,
            timeout,
            ct,
            writeInput: async (stdin, token) =>
            {
                var oids = new StringBuilder();
                foreach (var entry in entries)
                {
                    oids.Append(entry.Object).Append('\n');
                }

                await stdin.WriteAsync(Encoding.ASCII.GetBytes(oids.ToString()), token);
                await stdin.FlushAsync(token);
            },
            readOutput: async (stdout, token) =>
            {
                var reader = new BatchReader(stdout);
                foreach (var entry in entries)
                {
                    var header = await reader.ReadLineAsync(token)
                        ?? throw new GitSourceException(GitSourceReasons.GitOperationFailed, "git cat-file ended early");
                    var parts = header.Split(' ');
                    if (parts.Length != 3 || parts[1] != "blob")
                    {
                        throw new GitSourceException(GitSourceReasons.GitOperationFailed, $"git cat-file could not read {entry.Path}: {header}");
                    }

                    var size = int.Parse(parts[2], CultureInfo.InvariantCulture);
                    var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(size + 1, 1));
                    try
                    {
                        await reader.ReadExactlyAsync(buffer.AsMemory(0, size + 1), token);
                        await onBlob(entry, buffer.AsMemory(0, size), token);
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                    }
                }
            });
        if (result.ExitCode != 0)
        {
            throw new GitSourceException(GitSourceReasons.GitOperationFailed, $"git cat-file failed: {result.StandardError.Trim()}");
        }
    }

    private sealed record TreeEntry(string Path, string Object, bool Executable);

    /// <summary>Reads header lines and exact byte counts from one buffered stream.</summary>
    private sealed class BatchReader(Stream stream)
    {
        private readonly byte[] _buffer = new byte[64 * 1024];
        private int _start;
        private int _end;

        public async Task<string?> ReadLineAsync(CancellationToken ct)
        {
            var line = new List<byte>();
            while (true)
            {
                if (_start == _end && !await FillAsync(ct))
                {
                    return line.Count == 0 ? null : Encoding.UTF8.GetString(line.ToArray());
                }

                var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                if (newline >= 0)
                {
                    line.AddRange(_buffer.AsSpan(_start, newline - _start));
                    _start = newline + 1;
                    return Encoding.UTF8.GetString(line.ToArray());
                }

                line.AddRange(_buffer.AsSpan(_start, _end - _start));
                _start = _end;
            }
        }

        public async Task ReadExactlyAsync(Memory<byte> destination, CancellationToken ct)
        {
            var copied = 0;
            while (copied < destination.Length)
            {
                if (_start == _end && !await FillAsync(ct))
                {
                    throw new GitSourceException(GitSourceReasons.GitOperationFailed, "git cat-file output ended early");
                }

                var n = Math.Min(_end - _start, destination.Length - copied);
                _buffer.AsMemory(_start, n).CopyTo(destination[copied..]);
                _start += n;
                copied += n;
            }
        }

        private async Task<bool> FillAsync(CancellationToken ct)
        {
            _start = 0;
            _end = await stream.ReadAsync(_buffer, ct);
            return _end > 0;
        }
    }
}
