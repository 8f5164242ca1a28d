namespace Fleet.Sources.Tests.Support;

/// <summary>The running processes' argument lists, read from /proc.</summary>
internal static class ProcessTable
{
    /// <summary>
    /// Processes whose program is <paramref name="program"/> or one of its helpers (<c>git-remote-http</c> for
    /// <c>git</c>) and one of whose arguments contains <paramref name="marker"/>.
    /// </summary>
    public static List<int> Find(string program, string marker) => FindWithArguments(program, marker).Select(p => p.Pid).ToList();

    /// <summary>As <see cref="Find"/>, with each process's arguments.</summary>
    public static List<(int Pid, string[] Arguments)> FindWithArguments(string program, string marker)
    {
        var found = new List<(int, string[])>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                var args = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0');
                var name = Path.GetFileName(args[0]);
                if ((name == program || name.StartsWith(program + "-", StringComparison.Ordinal)) && args.Any(a => a.Contains(marker, StringComparison.Ordinal)))
                {
                    found.Add((pid, args));
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked, or is not ours to read.
            }
        }

        return found;
    }
}
