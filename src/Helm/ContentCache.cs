using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Fleet.Helm;

/// <summary>
/// A bounded cache keyed by the SHA-256 of content, for work that depends only on that content (parsed
/// templates, parsed values files, built JSON schemas): a controller renders the same chart again and again.
/// </summary>
internal sealed class ContentCache<T>(int capacity)
    where T : class
{
    private readonly ConcurrentDictionary<string, T> _items = new(StringComparer.Ordinal);

    public static string Key(params string[] parts)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var part in parts)
        {
            sha.AppendData(Encoding.UTF8.GetBytes(part));
            sha.AppendData([0]);
        }

        return Convert.ToHexString(sha.GetHashAndReset());
    }

    public T GetOrAdd(string key, Func<T> create)
    {
        if (_items.TryGetValue(key, out var existing))
        {
            return existing;
        }

        var value = create();
        if (_items.Count >= capacity)
        {
            _items.Clear();
        }

        _items[key] = value;
        return value;
    }
}
