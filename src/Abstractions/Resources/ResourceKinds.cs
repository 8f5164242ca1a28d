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
            var why = ex.Message.Contains("could not be mapped", StringComparison.Ordinal) ? "unknown field" : "wrong type: " + FirstSentence(ex.Message);
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

    private static string FirstSentence(string message)
    {
        var dot = message.IndexOf(". ", StringComparison.Ordinal);
        return dot > 0 ? message[..dot] : message;
    }
}

/// <summary>The kinds of <c>fleet.dev/v1</c>, with the Flux apiVersions accepted for the same kinds.</summary>
public static class ResourceKinds
{
    public static readonly ResourceKind Cluster = new("Cluster", "clusters", typeof(ClusterSpec), false, []);
    public static readonly ResourceKind GitRepository = new("GitRepository", "gitrepositories", typeof(GitRepositorySpec), false, ["source.toolkit.fluxcd.io/v1", "source.toolkit.fluxcd.io/v1beta2"]);
    public static readonly ResourceKind Application = new("Application", "applications", typeof(ApplicationSpec), false, []);
    public static readonly ResourceKind Receiver = new("Receiver", "receivers", typeof(ReceiverSpec), false, ["notification.toolkit.fluxcd.io/v1"]);
    public static readonly ResourceKind Placement = new("Placement", "placements", typeof(PlacementSpec), true, []);
    public static readonly ResourceKind Secret = new("Secret", "secrets", typeof(SecretSpec), false, ["v1"]);

    public static readonly IReadOnlyList<ResourceKind> All = [Cluster, GitRepository, Application, Receiver, Placement, Secret];

    public static ResourceKind? ByPlural(string plural) => All.FirstOrDefault(k => k.Plural == plural);

    public static ResourceKind? ByKind(string kind) => All.FirstOrDefault(k => k.Kind == kind);
}
