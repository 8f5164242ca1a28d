using Fleet.Abstractions.Resources;

namespace Fleet.Gateway.Apis;

/// <summary>
/// The shapes the API answers with, for its OpenAPI description: the handlers write JSON themselves (YAML bodies,
/// write-only Secrets), so the description names these types instead of inferring them.
/// </summary>
internal static class ApiSchemas
{
    /// <summary>Kubernetes' list envelope.</summary>
    internal sealed record ObjectList<TItem>(string ApiVersion, string Kind, ListMeta Metadata, List<TItem> Items);

    /// <summary>A list's metadata: the resource version to watch from, and the token of the next page.</summary>
    internal sealed record ListMeta(string ResourceVersion, string? Continue);

    /// <summary>The answer of a delete.</summary>
    internal sealed record DeleteStatus(string Kind, string Status, StatusDetails Details);

    internal sealed record StatusDetails(string Kind, string Namespace, string Name);

    /// <summary>An error (RFC 9457 problem details); <c>errors</c> names each invalid field (422).</summary>
    internal sealed record Problem(string Type, string Title, int Status, string Detail, List<FieldProblem>? Errors);

    internal sealed record FieldProblem(string Field, string Message);

    /// <summary>The typed object of a kind: <c>Resource&lt;TSpec, TStatus&gt;</c>.</summary>
    public static Type ObjectType(ResourceKind kind) => typeof(Resource<,>).MakeGenericType(kind.SpecType, StatusType(kind));

    public static Type ListType(ResourceKind kind) => typeof(ObjectList<>).MakeGenericType(ObjectType(kind));

    private static Type StatusType(ResourceKind kind) =>
        kind.SpecType.Assembly.GetType(kind.SpecType.FullName![..^"Spec".Length] + "Status") ?? typeof(object);

    /// <summary>Declares the problem+json answers an endpoint gives.</summary>
    public static TBuilder ProducesProblems<TBuilder>(this TBuilder builder, params int[] statuses)
        where TBuilder : IEndpointConventionBuilder
    {
        foreach (var status in statuses)
        {
            builder.WithMetadata(new Microsoft.AspNetCore.Http.ProducesResponseTypeMetadata(status, typeof(Problem), ["application/problem+json"]));
        }
        return builder;
    }
}
