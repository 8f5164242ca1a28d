namespace Fleet.Abstractions.Resources;

/// <summary>A status condition as Flux and Kubernetes report it.</summary>
public sealed record Condition
{
    public string Type { get; init; } = "";

    /// <summary><c>True</c>, <c>False</c> or <c>Unknown</c>.</summary>
    public string Status { get; init; } = ConditionStatus.Unknown;
    public string Reason { get; init; } = "";
    public string Message { get; init; } = "";
    public long ObservedGeneration { get; init; }
    public DateTimeOffset LastTransitionTime { get; init; }
}

public static class ConditionStatus
{
    public const string True = "True";
    public const string False = "False";
    public const string Unknown = "Unknown";
}

/// <summary>Condition types shared by every kind (kstatus / Flux conventions).</summary>
public static class ConditionTypes
{
    public const string Ready = "Ready";
    public const string Reconciling = "Reconciling";
    public const string Stalled = "Stalled";
    public const string ArtifactInStorage = "ArtifactInStorage";
    public const string Healthy = "Healthy";
}

/// <summary>PascalCase reasons, as Flux's controllers write them.</summary>
public static class Reasons
{
    public const string ReconciliationSucceeded = "ReconciliationSucceeded";
    public const string ReconciliationFailed = "ReconciliationFailed";
    public const string Progressing = "Progressing";
    public const string ProgressingWithRetry = "ProgressingWithRetry";
    public const string GitOperationSucceeded = "GitOperationSucceeded";
    public const string GitOperationFailed = "GitOperationFailed";
    public const string ArtifactFailed = "ArtifactFailed";
    public const string BuildFailed = "BuildFailed";
    public const string HealthCheckFailed = "HealthCheckFailed";
    public const string DependencyNotReady = "DependencyNotReady";
    public const string Suspended = "Suspended";
    public const string Succeeded = "Succeeded";
    public const string Unreachable = "Unreachable";
    public const string Unauthorized = "Unauthorized";
    public const string TlsError = "TLSError";
    public const string ClusterReachable = "ClusterReachable";
    public const string CredentialsNotFound = "CredentialsNotFound";
    public const string InvalidSpec = "InvalidSpec";
}

/// <summary>
/// Keeps a condition list the way Flux's <c>conditions</c> helpers do: one entry per type,
/// <c>LastTransitionTime</c> moved only when the status flips.
/// </summary>
public static class ConditionList
{
    public static List<Condition> Set(IReadOnlyList<Condition>? current, Condition next)
    {
        var list = new List<Condition>(current ?? []);
        var i = list.FindIndex(c => c.Type == next.Type);
        if (i < 0)
        {
            list.Add(next);
        }
        else
        {
            var old = list[i];
            list[i] = old.Status == next.Status ? next with { LastTransitionTime = old.LastTransitionTime } : next;
        }
        return list;
    }

    public static List<Condition> Remove(IReadOnlyList<Condition>? current, string type) =>
        (current ?? []).Where(c => c.Type != type).ToList();

    public static Condition? Find(IReadOnlyList<Condition>? conditions, string type) =>
        conditions?.FirstOrDefault(c => c.Type == type);

    public static bool IsTrue(IReadOnlyList<Condition>? conditions, string type) =>
        Find(conditions, type)?.Status == ConditionStatus.True;
}
