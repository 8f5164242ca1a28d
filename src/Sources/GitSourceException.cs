namespace Fleet.Sources;

/// <summary>Reasons as Flux's source-controller reports them in conditions.</summary>
public static class GitSourceReasons
{
    public const string GitOperationFailed = "GitOperationFailed";
    public const string AuthenticationFailed = "AuthenticationFailed";
    public const string RefNotFound = "RefNotFound";
    public const string ArtifactTooLarge = "ArtifactTooLarge";
    public const string InvalidSpec = "InvalidSpec";
    public const string InvalidArtifact = "InvalidArtifact";
}

/// <summary>A failed fetch or pack. <see cref="Exception.Message"/> never contains a credential.</summary>
public sealed class GitSourceException : Exception
{
    public GitSourceException(string reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    public GitSourceException(string reason, string message, Exception innerException)
        : base(message, innerException)
    {
        Reason = reason;
    }

    /// <summary>A PascalCase reason such as <see cref="GitSourceReasons.GitOperationFailed"/>.</summary>
    public string Reason { get; }
}
