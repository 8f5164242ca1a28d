namespace Fleet.Grains.Common;

/// <summary>Labels on the stored Placement objects, so a cluster or an application finds its placements in one query.</summary>
internal static class PlacementLabels
{
    public const string Cluster = "fleet.dev/cluster";
    public const string Application = "fleet.dev/application";
}
