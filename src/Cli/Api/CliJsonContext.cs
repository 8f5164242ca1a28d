using System.Text.Json.Serialization;

namespace Fleet.Cli.Api;

/// <summary>An RFC 9457 problem as the Fleet API sends it, with the field path of each problem.</summary>
internal sealed record ProblemDetails(string? Type, string? Title, int? Status, string? Detail, List<FieldProblem>? Errors);

internal sealed record FieldProblem(string Field, string Message);

/// <summary>Source-generated serialization for the CLI's typed payloads: no reflection, so the Native AOT build stays warning-free.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ProblemDetails))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
