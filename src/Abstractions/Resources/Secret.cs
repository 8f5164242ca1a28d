namespace Fleet.Abstractions.Resources;

/// <summary>
/// Credentials. Write-only: the API returns only the keys of <c>data</c>, never the values,
/// and the values are encrypted at rest.
/// </summary>
public sealed record SecretSpec
{
    public Dictionary<string, string>? Data { get; init; }
}

/// <summary>What the API shows of a Secret: its keys only.</summary>
public sealed record SecretStatus
{
    public List<string>? Keys { get; init; }
}
