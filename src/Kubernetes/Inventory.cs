using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fleet.Kubernetes;

/// <summary>
/// One object Fleet applied: its identity, the digest of what was applied, the resourceVersion observed right
/// after, and Fleet's managed fields (the <c>fieldsV1</c> of its managedFields entry) for drift detection.
/// </summary>
public sealed record InventoryEntry(
    string Group,
    string Version,
    string Kind,
    string? Namespace,
    string Name,
    string? Digest,
    string? ResourceVersion,
    string? ManagedFields = null)
{
    [JsonIgnore]
    public ObjectRef Ref => new(Group, Version, Kind, Namespace, Name);
}

/// <summary>What one application has applied to one cluster. Serialisable with System.Text.Json; stored by the placement grain.</summary>
public sealed record Inventory(string Application, string ApplicationNamespace, IReadOnlyList<InventoryEntry> Entries)
{
    public static Inventory Empty(string application, string applicationNamespace) => new(application, applicationNamespace, []);

    public InventoryEntry? Find(ObjectRef r) => Entries.FirstOrDefault(e => e.Ref.Identity == r.Identity);

    /// <summary>The same inventory with the digests of the given objects cleared, so that the next apply sends them again.</summary>
    public Inventory ForgetDigests(IEnumerable<ObjectRef> objects)
    {
        var set = objects.Select(o => o.Identity).ToHashSet();
        return this with { Entries = [.. Entries.Select(e => set.Contains(e.Ref.Identity) ? e with { Digest = null } : e)] };
    }

    public string ToJson() => JsonSerializer.Serialize(this, InventoryJsonContext.Default.Inventory);

    public static Inventory FromJson(string json) =>
        JsonSerializer.Deserialize(json, InventoryJsonContext.Default.Inventory) ?? throw new JsonException("inventory: null");

    public bool Equals(Inventory? other) =>
        other is not null && Application == other.Application && ApplicationNamespace == other.ApplicationNamespace &&
        Entries.SequenceEqual(other.Entries);

    public override int GetHashCode() => HashCode.Combine(Application, ApplicationNamespace, Entries.Count);
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(Inventory))]
internal sealed partial class InventoryJsonContext : JsonSerializerContext;
