using Fleet.Abstractions.Resources;

namespace Fleet.Grains.Sources;

/// <summary>What a Helm repository grain keeps: the index it stored last, and its last failure.</summary>
[GenerateSerializer, Alias("fleet.HelmRepositoryState")]
internal sealed record HelmRepositoryState
{
    [Id(0)]
    public ArtifactStatus? Artifact { get; init; }

    [Id(1)]
    public string? LastFailure { get; init; }
}
