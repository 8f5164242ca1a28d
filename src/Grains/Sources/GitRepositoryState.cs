using Fleet.Abstractions.Resources;

namespace Fleet.Grains.Sources;

/// <summary>What a source grain keeps: its current artifact, the artifacts it stored before (for garbage collection), and its last failure.</summary>
internal sealed record GitRepositoryState
{
    public ArtifactStatus? Artifact { get; init; }
    public List<StoredArtifactRecord> History { get; init; } = [];
    public string? LastFailure { get; init; }
}

internal sealed record StoredArtifactRecord(string Digest, DateTimeOffset CreatedAt);
