namespace Fleet.Runtime.Grains;

/// <summary>
/// Maps a grain identity to a partition. Hand-written FNV-1a over the UTF-16 code units because the hash must be
/// the same in every process and every version (string.GetHashCode is randomized per process).
/// </summary>
internal static class Partitioner
{
    public static uint Hash(string grainType, string key)
    {
        var h = 2166136261u;
        foreach (var c in grainType)
        {
            h = (h ^ c) * 16777619u;
        }

        h = (h ^ '/') * 16777619u;
        foreach (var c in key)
        {
            h = (h ^ c) * 16777619u;
        }

        return h;
    }

    public static int PartitionOf(string grainType, string key, int partitionCount) => (int)(Hash(grainType, key) % (uint)partitionCount);
}
