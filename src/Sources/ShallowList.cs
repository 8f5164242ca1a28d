using LibGit2Sharp;

namespace Fleet.Sources;

/// <summary>
/// A mirror's shallow list: the file <c>shallow</c>, one commit id a line (as git and libgit2 write it), naming the
/// commits whose parents the mirror does not have. libgit2 has no call to edit it, and libgit2 1.8.6 (the one
/// LibGit2Sharp 0.32 ships) loses it on every fetch into a shallow repository: it sends the list to the server, but
/// its <c>setup_shallow_roots</c> copies the list without setting its length, so it writes back only the commits the
/// server newly reports as shallow (none for a fetch without a depth, and then deletes the file). libgit2 1.9.0
/// fixed that (commit 9e40c13, "smart: fix shallow roots setup"). So the list is read before each fetch and put right
/// after it here.
/// </summary>
internal static class ShallowList
{
    private const string FileName = "shallow";

    /// <summary>Written while <see cref="Repair"/> runs; a mirror that still has it was left mid-repair.</summary>
    public const string RepairMarker = "shallow.fleet-repair";

    public static IReadOnlyList<string> Read(string mirror)
    {
        var path = Path.Combine(mirror, FileName);
        return File.Exists(path)
            ? File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).Distinct(StringComparer.Ordinal).ToList()
            : [];
    }

    /// <summary>Replaces the list (through a new file moved into place); an empty list is no file, as libgit2 does it.</summary>
    public static void Write(string mirror, IReadOnlyCollection<string> commits)
    {
        var path = Path.Combine(mirror, FileName);
        if (commits.Count == 0)
        {
            File.Delete(path);
            return;
        }

        var staged = path + ".fleet-new";
        File.WriteAllText(staged, string.Concat(commits.Select(c => c + "\n")));
        File.Move(staged, path, overwrite: true);
    }

    /// <summary>
    /// After a fetch: the commits listed before it (<paramref name="before"/>) or by libgit2 after it that still lack
    /// a parent in the mirror. A commit whose parents all arrived (a deepening fetch) leaves the list; one the server
    /// newly cut off joins it. Parents are read from the commits themselves, so the list is moved aside meanwhile
    /// (libgit2 would otherwise show listed commits without parents); a process stopped in between leaves
    /// <see cref="RepairMarker"/>, and such a mirror is made again.
    /// </summary>
    public static void Repair(string mirror, IReadOnlyList<string> before)
    {
        var candidates = before.Concat(Read(mirror)).Distinct(StringComparer.Ordinal).ToList();
        if (candidates.Count == 0)
        {
            return;
        }

        var marker = Path.Combine(mirror, RepairMarker);
        File.WriteAllText(marker, string.Concat(candidates.Select(c => c + "\n")));
        File.Delete(Path.Combine(mirror, FileName));
        List<string> shallow;
        using (var repo = new Repository(mirror))
        {
            shallow = candidates
                .Where(id => repo.Lookup<Commit>(id) is { } commit && commit.Parents.Any(p => !repo.ObjectDatabase.Contains(p.Id)))
                .ToList();
        }

        Write(mirror, shallow);
        File.Delete(marker);
    }

    /// <summary>After compaction: only the listed commits that are still in the mirror (<paramref name="kept"/>).</summary>
    public static void Retain(string mirror, IReadOnlySet<string> kept)
    {
        var listed = Read(mirror);
        if (listed.Count > 0)
        {
            Write(mirror, listed.Where(kept.Contains).ToList());
        }
    }
}
