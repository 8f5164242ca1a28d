namespace Fleet.Gateway.Services;

/// <summary>The names of <see cref="ApiRole"/>s on the wire and in storage: <c>viewer</c>, <c>operator</c>, <c>admin</c>.</summary>
public static class ApiRoles
{
    public static string Name(ApiRole role) => role switch
    {
        ApiRole.Admin => "admin",
        ApiRole.Operator => "operator",
        _ => "viewer",
    };

    /// <summary>The role of that name, or null for any other text.</summary>
    public static ApiRole? Parse(string? name) => name switch
    {
        "viewer" => ApiRole.Viewer,
        "operator" => ApiRole.Operator,
        "admin" => ApiRole.Admin,
        _ => null,
    };
}
