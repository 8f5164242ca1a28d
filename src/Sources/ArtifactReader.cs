using System.Formats.Tar;
using System.IO.Compression;

namespace Fleet.Sources;

/// <summary>
/// Extracts an artifact (tar.gz) to a directory for the renderer. Only regular files and directories
/// are accepted; absolute paths, <c>..</c> segments, links and device entries are refused with a
/// clear error, so that nothing is ever written outside the destination.
/// </summary>
public static class ArtifactReader
{
    public const long DefaultMaxExtractedBytes = 1024L * 1024 * 1024;

    public static async Task<int> ExtractAsync(byte[] artifact, string destination, CancellationToken ct, long maxExtractedBytes = DefaultMaxExtractedBytes)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        using var stream = new MemoryStream(artifact, writable: false);
        return await ExtractAsync(stream, destination, ct, maxExtractedBytes);
    }

    /// <summary>Extracts every file of the artifact under <paramref name="destination"/>; returns the number of files.</summary>
    public static async Task<int> ExtractAsync(Stream artifact, string destination, CancellationToken ct, long maxExtractedBytes = DefaultMaxExtractedBytes)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentException.ThrowIfNullOrWhiteSpace(destination);
        var root = Path.GetFullPath(destination);
        Directory.CreateDirectory(root);
        var rootWithSeparator = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;

        var files = 0;
        long total = 0;
        var createdDirectories = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            await using var gzip = new GZipStream(artifact, CompressionMode.Decompress, leaveOpen: true);
            await using var tar = new TarReader(gzip, leaveOpen: true);
            while (await tar.GetNextEntryAsync(copyData: false, ct) is { } entry)
            {
                var name = entry.Name;
                if (name.Length == 0 || name.StartsWith('/') || name.Contains('\\', StringComparison.Ordinal) || name.Contains('\0', StringComparison.Ordinal)
                    || name.Split('/').Any(segment => segment == ".."))
                {
                    throw new GitSourceException(GitSourceReasons.InvalidArtifact, $"artifact entry '{name}' has an unsafe path");
                }

                var target = Path.GetFullPath(Path.Combine(root, name));
                if (!target.StartsWith(rootWithSeparator, StringComparison.Ordinal) && target != root)
                {
                    throw new GitSourceException(GitSourceReasons.InvalidArtifact, $"artifact entry '{name}' would be written outside {root}");
                }

                switch (entry.EntryType)
                {
                    case TarEntryType.Directory:
                        Directory.CreateDirectory(target);
                        break;
                    case TarEntryType.RegularFile or TarEntryType.V7RegularFile:
                        total += entry.Length;
                        if (total > maxExtractedBytes)
                        {
                            throw new GitSourceException(GitSourceReasons.InvalidArtifact, $"artifact extracts to more than {maxExtractedBytes} bytes");
                        }

                        var parent = Path.GetDirectoryName(target)!;
                        if (createdDirectories.Add(parent))
                        {
                            Directory.CreateDirectory(parent);
                        }

                        var executable = (entry.Mode & UnixFileMode.UserExecute) != 0;
                        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
                        if (!OperatingSystem.IsWindows())
                        {
                            options.UnixCreateMode = executable
                                ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute
                                : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
                        }

                        // Synchronous writes: manifests are small, and async file I/O per small file costs more than it saves.
                        using (var file = new FileStream(target, options))
                        {
                            entry.DataStream?.CopyTo(file);
                        }

                        files++;
                        break;
                    default:
                        throw new GitSourceException(GitSourceReasons.InvalidArtifact, $"artifact entry '{name}' is a {entry.EntryType}, which artifacts never contain");
                }
            }
        }
        catch (InvalidDataException ex)
        {
            throw new GitSourceException(GitSourceReasons.InvalidArtifact, $"artifact is not a valid tar.gz: {ex.Message}", ex);
        }

        return files;
    }
}
