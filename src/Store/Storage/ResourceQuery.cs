using Fleet.Abstractions;

namespace Fleet.Store;

/// <summary>A field a list may be narrowed by (Kubernetes' <c>fieldSelector</c> on <c>metadata.name</c> and <c>metadata.namespace</c>).</summary>
public enum ResourceField
{
    Name,
    Namespace,
}

/// <summary>One <c>fieldSelector</c> term: the field equals (or, with <see cref="Negated"/>, differs from) the value.</summary>
public sealed record FieldRequirement(ResourceField Field, bool Negated, string Value);

/// <summary>An object's position in list order (namespace, then name): where the next page of a list starts after.</summary>
public readonly record struct ResourceKey(string Namespace, string Name);

/// <summary>
/// A list of one kind, narrowed in the database: one namespace or the <see cref="Namespaces"/> a caller may see, a
/// label selector, field requirements, and a page of at most <see cref="Limit"/> objects after <see cref="After"/>.
/// </summary>
public sealed record ResourceQuery(string Kind)
{
    /// <summary>One namespace; null for all.</summary>
    public string? Namespace { get; init; }

    /// <summary>Only objects of these namespaces (a caller's tenancy); null for no restriction.</summary>
    public IReadOnlyCollection<string>? Namespaces { get; init; }

    public LabelSelector? Selector { get; init; }

    public IReadOnlyList<FieldRequirement> Fields { get; init; } = [];

    /// <summary>Most objects in the page; 0 for all.</summary>
    public int Limit { get; init; }

    /// <summary>Start after this position (the previous page's <see cref="ResourcePage.Next"/>).</summary>
    public ResourceKey? After { get; init; }
}

/// <summary>
/// A page of a list, in namespace/name order. <see cref="Next"/> is where the next page starts after (null on the last
/// page); <see cref="ResourceVersion"/> is the store's resource version the page reflects at least, from which a watch
/// can continue.
/// </summary>
public sealed record ResourcePage(IReadOnlyList<StoredResource> Items, ResourceKey? Next, long ResourceVersion);
