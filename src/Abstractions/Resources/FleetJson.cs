using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fleet.Abstractions.Resources;

/// <summary>
/// The stable serialized form of every resource record: camelCase, nulls omitted. A field once shipped is
/// never renamed or reused, so stored objects always load.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(ObjectMeta))]
[JsonSerializable(typeof(ClusterSpec))]
[JsonSerializable(typeof(ClusterStatus))]
[JsonSerializable(typeof(GitRepositorySpec))]
[JsonSerializable(typeof(GitRepositoryStatus))]
[JsonSerializable(typeof(HelmRepositorySpec))]
[JsonSerializable(typeof(HelmRepositoryStatus))]
[JsonSerializable(typeof(ApplicationSpec))]
[JsonSerializable(typeof(ApplicationStatus))]
[JsonSerializable(typeof(PlacementSpec))]
[JsonSerializable(typeof(PlacementStatus))]
[JsonSerializable(typeof(ReceiverSpec))]
[JsonSerializable(typeof(ReceiverStatus))]
[JsonSerializable(typeof(SecretSpec))]
[JsonSerializable(typeof(SecretStatus))]
[JsonSerializable(typeof(Condition))]
[JsonSerializable(typeof(List<Condition>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
public sealed partial class FleetJsonContext : JsonSerializerContext;

public static class FleetJson
{
    /// <summary>Options for writing and for lenient reading (unknown fields ignored).</summary>
    public static readonly JsonSerializerOptions Options = new(FleetJsonContext.Default.Options);

    /// <summary>Options for strict reading: an unknown field is an error that names it.</summary>
    public static readonly JsonSerializerOptions Strict = new(FleetJsonContext.Default.Options)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public static T? Deserialize<T>(string json) => JsonSerializer.Deserialize<T>(json, Options);

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);
}
