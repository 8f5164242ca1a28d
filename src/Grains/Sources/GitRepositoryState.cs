using Fleet.Abstractions.Resources;

namespace Fleet.Grains.Sources;

/// <summary>What a source grain keeps: its current artifact, the artifacts it stored before (for garbage collection), and its last failure.</summary>
[GenerateSerializer, Alias("fleet.GitRepositoryState")]
internal sealed record GitRepositoryState
{
    [Id(0)]
    public ArtifactStatus? Artifact { get; init; }

    [Id(1)]
    public List<StoredArtifactRecord> History { get; init; } = [];

    [Id(2)]
    public string? LastFailure { get; init; }
}

[GenerateSerializer, Alias("fleet.StoredArtifactRecord")]
internal sealed record StoredArtifactRecord([property: Id(0)] string Digest, [property: Id(1)] DateTimeOffset CreatedAt);
