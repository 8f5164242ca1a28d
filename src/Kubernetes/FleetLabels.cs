using System.Text.Json.Nodes;

namespace Fleet.Kubernetes;

/// <summary>The labels and annotations by which Fleet marks and reads the objects it owns.</summary>
public static class FleetLabels
{
    public const string Application = "fleet.dev/application";
    public const string Namespace = "fleet.dev/namespace";
    public const string FieldManager = "fleet";

    /// <summary>Flux's annotation: with value <c>disabled</c> the object is never pruned.</summary>
    public const string PruneAnnotation = "kustomize.toolkit.fluxcd.io/prune";

    public static string Selector(string application, string applicationNamespace) =>
        $"{Application}={application},{Namespace}={applicationNamespace}";

    internal static void Stamp(JsonObject obj, string application, string applicationNamespace)
    {
        var labels = obj.Obj("metadata").Obj("labels");
        labels[Application] = application;
        labels[Namespace] = applicationNamespace;
    }

    /// <summary>True when the live object carries this application's labels.</summary>
    public static bool IsOwnedBy(JsonObject live, string application, string applicationNamespace) =>
        live.Str("metadata", "labels", Application) == application &&
        live.Str("metadata", "labels", Namespace) == applicationNamespace;

    public static bool PruneDisabled(JsonObject live) =>
        string.Equals(live.Str("metadata", "annotations", PruneAnnotation), "disabled", StringComparison.OrdinalIgnoreCase);
}
