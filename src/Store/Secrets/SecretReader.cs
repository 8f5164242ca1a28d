using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fleet.Store.Secrets;

/// <summary>Reads a Secret's values (decrypted) for the grains that need credentials. Values never leave the process.</summary>
public sealed class SecretReader(IResourceStore store, SecretCipher cipher)
{
    public const string Kind = "Secret";

    /// <summary>The Secret's data, or null when there is no such Secret.</summary>
    public async Task<IReadOnlyDictionary<string, string>?> GetAsync(string ns, string name, CancellationToken ct = default)
    {
        var stored = await store.GetAsync(Kind, ns, name, ct);
        return stored is null ? null : Read(stored);
    }

    /// <summary>The data of a Secret already read from the store.</summary>
    public IReadOnlyDictionary<string, string> Read(StoredResource stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var encrypted = JsonNode.Parse(stored.SpecJson)?["encryptedData"]?.GetValue<string>();
        if (encrypted is null)
        {
            return new Dictionary<string, string>();
        }
        return JsonSerializer.Deserialize<Dictionary<string, string>>(cipher.Decrypt(encrypted)) ?? [];
    }
}
