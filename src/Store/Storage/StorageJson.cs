using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fleet.Store.Storage;

[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(string[]))]
internal sealed partial class StorageJsonContext : JsonSerializerContext;

/// <summary>Helpers shared by the storage providers.</summary>
internal static class StorageFormat
{
    private static readonly IReadOnlyDictionary<string, string> Empty = new Dictionary<string, string>();

    public static string MapToJson(IReadOnlyDictionary<string, string> map)
    {
        // Sorted so that equal maps give equal text, which PutAsync compares to decide whether anything changed.
        var sorted = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in map)
        {
            sorted[k] = v;
        }

        return JsonSerializer.Serialize(new Dictionary<string, string>(sorted), StorageJsonContext.Default.DictionaryStringString);
    }

    public static IReadOnlyDictionary<string, string> MapFromJson(string? json) =>
        string.IsNullOrEmpty(json) ? Empty : JsonSerializer.Deserialize(json, StorageJsonContext.Default.DictionaryStringString) ?? Empty;

    public static string Digest(ReadOnlySpan<byte> content) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));

    /// <summary>Checks a digest's form so that a typo is reported as such, not as "not found".</summary>
    public static void ValidateDigest(string digest)
    {
        ArgumentNullException.ThrowIfNull(digest);
        const string prefix = "sha256:";
        if (!digest.StartsWith(prefix, StringComparison.Ordinal) || digest.Length != prefix.Length + 64
            || digest.AsSpan(prefix.Length).IndexOfAnyExcept("0123456789abcdef") >= 0)
        {
            throw new ArgumentException($"Invalid blob digest '{Truncate(digest)}': expected 'sha256:' followed by 64 lowercase hex digits.", nameof(digest));
        }
    }

    public static void ValidateName(string value, string what)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw new ArgumentException($"The {what} must not be empty.", what);
        }
    }

    public static long ToUnixMs(DateTimeOffset t) => t.ToUnixTimeMilliseconds();

    public static DateTimeOffset FromUnixMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private static string Truncate(string s) => s.Length <= 80 ? s : s[..80] + "...";
}
