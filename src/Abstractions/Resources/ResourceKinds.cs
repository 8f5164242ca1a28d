using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fleet.Abstractions.Resources;

/// <summary>A validation problem, named by its JSON path (<c>spec.ref.semver</c>).</summary>
public sealed record FieldError(string Field, string Message)
{
    public override string ToString() => $"{Field}: {Message}";
}

/// <summary>One kind of the API: its names and how its spec is read and checked.</summary>
public sealed record ResourceKind(string Kind, string Plural, Type SpecType, bool ReadOnly, IReadOnlyList<string> ForeignApiVersions)
{
    /// <summary>Reads and checks a spec. Unknown fields are errors for Fleet's own apiVersion and ignored for Flux's.</summary>
    public (object? Spec, List<FieldError> Errors) ReadSpec(JsonNode? spec, bool strict)
    {
        var errors = new List<FieldError>();
        if (spec is not JsonObject)
        {
            errors.Add(new FieldError("spec", "required: an object"));
            return (null, errors);
        }
        object? value;
        try
        {
            value = spec.Deserialize(SpecType, strict ? FleetJson.Strict : FleetJson.Options);
        }
        catch (JsonException ex)
        {
            var path = string.IsNullOrEmpty(ex.Path) ? "spec" : "spec" + ex.Path.TrimStart('$');
            // The serializer's message names .NET types; say what was found in JSON terms instead.
            var why = ex.Message.Contains("could not be mapped", StringComparison.Ordinal) ? "unknown field" : "wrong type: " + Found(spec, ex.Path) + " is not accepted here";
            errors.Add(new FieldError(path, why));
            return (null, errors);
        }
        if (value is null)
        {
            errors.Add(new FieldError("spec", "required"));
            return (null, errors);
        }
        errors.AddRange(ResourceValidation.ValidateSpec(value));
        return (value, errors);
    }

    /// <summary>The JSON kind of the value at a serializer path (<c>$.ref.branch</c>, <c>$.items[0]</c>).</summary>
    private static string Found(JsonNode root, string? path)
    {
        JsonNode? node = root;
        foreach (var part in (path ?? "$").TrimStart('$').Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            var bracket = part.IndexOf('[', StringComparison.Ordinal);
            node = node?[bracket < 0 ? part : part[..bracket]];
            if (bracket >= 0 && int.TryParse(part[(bracket + 1)..].TrimEnd(']'), System.Globalization.CultureInfo.InvariantCulture, out var index))
            {
                node = node is JsonArray a && index < a.Count ? a[index] : null;
            }
        }
        return node?.GetValueKind() switch
        {
            JsonValueKind.Object => "an object",
            JsonValueKind.Array => "a list",
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            JsonValueKind.True or JsonValueKind.False => "a boolean",
            _ => "this value",
        };
    }
}

/// <summary>The kinds of <c>fleet.dev/v1</c>, with the Flux apiVersions accepted for the same kinds.</summary>
public static class ResourceKinds
{
    public static readonly ResourceKind Cluster = new("Cluster", "clusters", typeof(ClusterSpec), false, []);
    public static readonly ResourceKind GitRepository = new("GitRepository", "gitrepositories", typeof(GitRepositorySpec), false, ["source.toolkit.fluxcd.io/v1", "source.toolkit.fluxcd.io/v1beta2"]);
    public static readonly ResourceKind HelmRepository = new("HelmRepository", "helmrepositories", typeof(HelmRepositorySpec), false, ["source.toolkit.fluxcd.io/v1", "source.toolkit.fluxcd.io/v1beta2"]);
    public static readonly ResourceKind Application = new("Application", "applications", typeof(ApplicationSpec), false, []);
    public static readonly ResourceKind Receiver = new("Receiver", "receivers", typeof(ReceiverSpec), false, ["notification.toolkit.fluxcd.io/v1"]);
    public static readonly ResourceKind Placement = new("Placement", "placements", typeof(PlacementSpec), true, []);
    public static readonly ResourceKind Secret = new("Secret", "secrets", typeof(SecretSpec), false, ["v1"]);

    public static readonly IReadOnlyList<ResourceKind> All = [Cluster, GitRepository, HelmRepository, Application, Receiver, Placement, Secret];

    public static ResourceKind? ByPlural(string plural) => All.FirstOrDefault(k => k.Plural == plural);

    public static ResourceKind? ByKind(string kind) => All.FirstOrDefault(k => k.Kind == kind);
}
