namespace Fleet.Grains.Applications;

/// <summary>What an application grain keeps: rendered manifests by render key, whether it prunes, and its last reported outcome.</summary>
[GenerateSerializer, Alias("fleet.ApplicationState")]
internal sealed record ApplicationState
{
    /// <summary>Render key (<c>artifact digest | customization | generation</c>) to the digest of the rendered, unsubstituted objects.</summary>
    [Id(0)]
    public Dictionary<string, string> Renders { get; init; } = [];

    /// <summary>The last spec's <c>prune</c>, remembered for after the Application is deleted.</summary>
    [Id(1)]
    public bool Prune { get; init; }

    [Id(2)]
    public string? LastOutcome { get; init; }
}
