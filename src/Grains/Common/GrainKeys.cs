namespace Fleet.Grains.Common;

/// <summary>Grain keys and the names of the stored objects grains own.</summary>
internal static class GrainKeys
{
    /// <summary>
    /// Separates application and cluster in a Placement's name. Object names are DNS-1123 subdomains, which never
    /// contain '~', so <c>web.prod</c> on <c>eu</c> and <c>web</c> on <c>prod.eu</c> get different names.
    /// </summary>
    public const char PlacementSeparator = '~';

    public static string Of(string ns, string name) => $"{ns}/{name}";

    public static string Placement(string ns, string application, string cluster) => $"{ns}/{application}/{cluster}";

    public static string PlacementName(string application, string cluster) => $"{application}{PlacementSeparator}{cluster}";
}
