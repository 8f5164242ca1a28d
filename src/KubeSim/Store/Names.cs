using System.Collections.Concurrent;

namespace Fleet.KubeSim.Store;

/// <summary>
/// One string instance per namespace name for the watch history, which holds a namespace per event (a million
/// events across ten thousand clusters would otherwise keep a million copies of "default"). Bounded, so that
/// an endless stream of new names cannot grow it without limit.
/// </summary>
internal static class Names
{
    private const int MaxEntries = 100_000;
    private static readonly ConcurrentDictionary<string, string> Pool = new(StringComparer.Ordinal);

    public static string Intern(string name)
    {
        if (name.Length == 0)
        {
            return string.Empty;
        }

        if (Pool.TryGetValue(name, out var pooled))
        {
            return pooled;
        }

        return Pool.Count < MaxEntries ? Pool.GetOrAdd(name, name) : name;
    }
}
