using System.Buffers;
using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using LibGit2Sharp;

namespace Fleet.Sources;

/// <summary>
/// Packs the tree of a commit straight from the object database through libgit2 (no checkout) into a tar.gz
/// that depends on the tree alone: entries sorted by path, modification time fixed at the Unix epoch, modes
/// 0644 or 0755, uid/gid 0, no user or group names. Symbolic links and submodules are left out, as Flux's
/// archiver does. The bytes are those the git CLI packer gave before (a test packs both ways and compares).
/// </summary>
internal static class ArtifactPacker
{
    private static readonly DateTimeOffset FixedTime = DateTimeOffset.UnixEpoch;

    private const UnixFileMode RegularMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private const UnixFileMode ExecutableMode = RegularMode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    public static (byte[] Content, int Files) Pack(Repository repo, string commitSha, IReadOnlyList<string> ignore, long maxBytes, string revision, CancellationToken ct)
    {
        var commit = repo.Lookup<Commit>(commitSha)
            ?? throw new GitSourceException(GitSourceReasons.GitOperationFailed, $"commit {commitSha} is not in the mirror");
        var entries = new List<FileEntry>();
        ListFiles(commit.Tree, string.Empty, entries);

        var matcher = IgnoreMatcher.WithDefaults();
        var ignoreFiles = entries
            .Where(e => e.Path == IgnoreMatcher.IgnoreFileName || e.Path.EndsWith("/" + IgnoreMatcher.IgnoreFileName, StringComparison.Ordinal))
            .OrderBy(e => e.Path.Count(c => c == '/'))
            .ThenBy(e => e.Path, StringComparer.Ordinal);
        foreach (var file in ignoreFiles)
        {
            var slash = file.Path.LastIndexOf('/');
            using var content = file.Blob.GetContentStream();
            using var reader = new StreamReader(content, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: false);
            matcher.AddLines(slash < 0 ? string.Empty : file.Path[..slash], reader.ReadToEnd());
        }

        foreach (var line in ignore)
        {
            matcher.AddLines(string.Empty, line);
        }

        var kept = entries.Where(e => !matcher.IsIgnored(e.Path)).OrderBy(e => e.Path, StringComparer.Ordinal).ToList();
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Gnu, leaveOpen: true))
        {
            foreach (var entry in kept)
            {
                ct.ThrowIfCancellationRequested();
                WriteEntry(tar, entry, revision, maxBytes);
                if (output.Length > maxBytes)
                {
                    throw TooLarge(revision, maxBytes);
                }
            }
        }

        if (output.Length > maxBytes)
        {
            throw TooLarge(revision, maxBytes);
        }

        return (output.ToArray(), kept.Count);
    }

    /// <summary>Every regular file (mode 100644 or 100755) of <paramref name="tree"/>, recursively; links and submodules are skipped.</summary>
    private static void ListFiles(Tree tree, string prefix, List<FileEntry> into)
    {
        foreach (var entry in tree)
        {
            var path = prefix + entry.Name;
            switch (entry.TargetType)
            {
                case TreeEntryTargetType.Tree:
                    ListFiles((Tree)entry.Target, path + "/", into);
                    break;
                case TreeEntryTargetType.Blob when entry.Mode is Mode.NonExecutableFile or Mode.ExecutableFile:
                    into.Add(new FileEntry(path, (Blob)entry.Target, entry.Mode == Mode.ExecutableFile));
                    break;
            }
        }
    }

    private static void WriteEntry(TarWriter tar, FileEntry entry, string revision, long maxBytes)
    {
        // The content stream knows its length: asking the blob for its size would look the object up again.
        using var content = entry.Blob.GetContentStream();
        if (content.Length > Array.MaxLength)
        {
            throw TooLarge(revision, maxBytes);
        }

        var size = (int)content.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(size, 1));
        try
        {
            content.ReadExactly(buffer, 0, size);
            using var data = new MemoryStream(buffer, 0, size, writable: false);
            tar.WriteEntry(new GnuTarEntry(TarEntryType.RegularFile, entry.Path)
            {
                ModificationTime = FixedTime,
                AccessTime = FixedTime,
                ChangeTime = FixedTime,
                Mode = entry.Executable ? ExecutableMode : RegularMode,
                Uid = 0,
                Gid = 0,
                UserName = string.Empty,
                GroupName = string.Empty,
                DataStream = data,
            });
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static GitSourceException TooLarge(string revision, long maxBytes) =>
        new(GitSourceReasons.ArtifactTooLarge,
            $"the artifact for {revision} is larger than the limit of {maxBytes.ToString(CultureInfo.InvariantCulture)} bytes: leave files out with spec.ignore or a .sourceignore file, or raise the limit");

    private sealed record FileEntry(string Path, Blob Blob, bool Executable);
}
