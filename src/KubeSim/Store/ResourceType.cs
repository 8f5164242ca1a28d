namespace Fleet.KubeSim.Store;

/// <summary>
/// One REST resource a virtual cluster serves (built in, or added by an established CRD): where it lives
/// in the URL space, what discovery says about it, and how its writes behave.
/// </summary>
internal sealed record ResourceType(
    string Group,
    string Version,
    string Plural,
    string Singular,
    string Kind,
    bool Namespaced,
    IReadOnlyList<string> ShortNames,
    IReadOnlyList<string> Categories,
    bool HasStatus,
    bool HasGeneration)
{
    public static readonly IReadOnlyList<string> AllVerbs =
        ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

    public static readonly IReadOnlyList<string> NamespaceVerbs =
        ["create", "delete", "get", "list", "patch", "update", "watch"];

    public string GroupVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>The storage key: objects are stored per group and resource, whatever version served them.</summary>
    public string GroupResource => Group.Length == 0 ? Plural : $"{Plural}.{Group}";

    /// <summary>The resource as Kubernetes names it in messages: <c>deployments.apps</c>, <c>configmaps</c>.</summary>
    public string QualifiedResource => GroupResource;

    public string ListKind => Kind + "List";

    public IReadOnlyList<string> Verbs => Plural == "namespaces" && Group.Length == 0 ? NamespaceVerbs : AllVerbs;

    public bool IsCustom { get; init; }
}
