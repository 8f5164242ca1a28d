namespace Fleet.Cli.Commands;

/// <summary>A kind as the CLI names it: the API plural and the words users type for it.</summary>
internal sealed record CliKind(string Kind, string Plural, params string[] Aliases)
{
    public static readonly CliKind Cluster = new("Cluster", "clusters", "cluster", "cl");
    public static readonly CliKind Source = new("GitRepository", "gitrepositories", "sources", "source", "gitrepository", "gitrepo", "gitrepos");
    public static readonly CliKind App = new("Application", "applications", "apps", "app", "application");
    public static readonly CliKind Placement = new("Placement", "placements", "placement", "pl");
    public static readonly CliKind Receiver = new("Receiver", "receivers", "receiver");

    public static readonly IReadOnlyList<CliKind> All = [Cluster, Source, App, Placement, Receiver];

    /// <summary>The words completion offers: the short plural of each kind.</summary>
    public static readonly string[] Words = ["clusters", "sources", "apps", "placements", "receivers"];

    public bool Matches(string word) => string.Equals(word, Plural, StringComparison.OrdinalIgnoreCase) || Aliases.Contains(word, StringComparer.OrdinalIgnoreCase);

    public static CliKind Parse(string word) =>
        All.FirstOrDefault(k => k.Matches(word))
        ?? throw new CliException($"unknown kind \"{word}\": use one of {string.Join(", ", Words)}", CliHost.BadArguments);
}
