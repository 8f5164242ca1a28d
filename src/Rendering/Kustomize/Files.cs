namespace Fleet.Rendering.Kustomize;

/// <summary>
/// File access confined to the artifact root, like kustomize's default load restrictions: a
/// kustomization reads files only at or below its own directory, and nothing (after resolving
/// symlinks) outside the artifact root.
/// </summary>
internal sealed class Files
{
    private readonly string _root;
    private readonly RenderLimits _limits;

    public Files(string root, RenderLimits limits)
    {
        if (!Directory.Exists(root))
        {
            throw new RenderException($"{root}: artifact root directory does not exist");
        }

        _root = Path.GetFullPath(Resolve(Path.GetFullPath(root)));
        _limits = limits;
    }

    public string Root => _root;

    /// <summary>A path relative to the root, for messages (never the machine's absolute path).</summary>
    public string Rel(string full)
    {
        var rel = Path.GetRelativePath(_root, full).Replace('\\', '/');
        return rel == "." ? "./" : rel;
    }

    /// <summary>Resolves <paramref name="entry"/> from <paramref name="baseDir"/>, refusing anything outside the root.</summary>
    public string Locate(string baseDir, string entry, string referrer)
    {
        if (Path.IsPathRooted(entry))
        {
            throw new RenderException($"{referrer}: absolute path '{entry}' is not allowed; paths must be relative and inside the artifact");
        }

        var full = Path.GetFullPath(Path.Combine(baseDir, entry));
        if (!Within(full, _root))
        {
            throw new RenderException($"{referrer}: '{entry}' is outside the artifact root (security: load restrictions)");
        }

        if (!File.Exists(full) && !Directory.Exists(full))
        {
            throw new RenderException($"{referrer}: '{entry}' does not exist");
        }

        var real = Resolve(full);
        if (!Within(real, _root))
        {
            throw new RenderException($"{referrer}: '{entry}' is a symlink pointing outside the artifact root (security: load restrictions)");
        }

        return full;
    }

    /// <summary>Resolves a file that must sit at or below <paramref name="kustDir"/> (kustomize's root-only file restriction).</summary>
    public string LocateFile(string kustDir, string entry, string referrer)
    {
        var full = Locate(kustDir, entry, referrer);
        if (!Within(full, kustDir))
        {
            throw new RenderException($"{referrer}: file '{entry}' is not in or below '{Rel(kustDir)}' (security: load restrictions)");
        }

        if (Directory.Exists(full))
        {
            throw new RenderException($"{referrer}: '{entry}' is a directory, a file was expected");
        }

        return full;
    }

    public string Read(string full)
    {
        var info = new FileInfo(full);
        if (info.Length > _limits.MaxInputBytes)
        {
            throw new RenderException($"{Rel(full)}: file is {info.Length} bytes, larger than the {_limits.MaxInputBytes}-byte input limit");
        }

        return File.ReadAllText(full);
    }

    public byte[] ReadBytes(string full)
    {
        var info = new FileInfo(full);
        if (info.Length > _limits.MaxInputBytes)
        {
            throw new RenderException($"{Rel(full)}: file is {info.Length} bytes, larger than the {_limits.MaxInputBytes}-byte input limit");
        }

        return File.ReadAllBytes(full);
    }

    private static bool Within(string path, string dir)
    {
        var d = dir.EndsWith(Path.DirectorySeparatorChar) ? dir : dir + Path.DirectorySeparatorChar;
        return path == dir || path.StartsWith(d, StringComparison.Ordinal);
    }

    /// <summary>Follows symlinks in every component of the path.</summary>
    private static string Resolve(string full)
    {
        var parts = full.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        var current = Path.GetPathRoot(full) ?? "/";
        var hops = 0;
        var queue = new Queue<string>(parts);
        while (queue.Count > 0)
        {
            var part = queue.Dequeue();
            var next = Path.Combine(current, part);
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            if (info.Exists && info.LinkTarget is { } target)
            {
                if (++hops > 40)
                {
                    throw new RenderException($"{next}: too many levels of symbolic links");
                }

                var resolved = Path.GetFullPath(Path.IsPathRooted(target) ? target : Path.Combine(current, target));
                var rest = queue.ToArray();
                queue.Clear();
                current = Path.GetPathRoot(resolved) ?? "/";
                foreach (var p in resolved.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries).Concat(rest))
                {
                    queue.Enqueue(p);
                }

                continue;
            }

            current = next;
        }

        return current;
    }
}
