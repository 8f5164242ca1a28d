using Microsoft.Extensions.Configuration;

namespace Fleet.Gateway;

/// <summary>The gateway's guards against hostile callers (section <c>Fleet:Gateway</c>).</summary>
internal sealed class GatewayOptions
{
    /// <summary>Host header names served when none are configured: loopback only.</summary>
    public static readonly string[] LoopbackHosts = ["localhost", "127.0.0.1", "[::1]"];

    /// <summary>
    /// Host header values served (a name, or a name with <c>:port</c>); any other Host gets 400 (DNS rebinding).
    /// <c>*</c> serves every host.
    /// </summary>
    public IReadOnlyList<string> AllowedHosts { get; init; } = LoopbackHosts;

    /// <summary>Directories under which <c>file://</c> GitRepository URLs are allowed; none by default.</summary>
    public IReadOnlyList<string> AllowedFileRoots { get; init; } = [];

    /// <summary>Allow Cluster servers in link-local and cloud metadata addresses.</summary>
    public bool AllowLinkLocalClusters { get; init; }

    /// <summary>The silo's data directory (git mirrors, caches): never a file:// source. The initial admin token's file is written here.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>
    /// The initial admin token to create when the store holds no active admin token, instead of a random one (for
    /// deployments that inject it from a secret, and for tests). A real token of the usual form, stored hashed like
    /// any other and revocable; it is not a way around authentication, and it is ignored once an admin token exists.
    /// </summary>
    public string? BootstrapAdminToken { get; init; }

    public static GatewayOptions From(IConfiguration? configuration)
    {
        if (configuration is null)
        {
            return new GatewayOptions();
        }
        var section = configuration.GetSection("Fleet:Gateway");
        var hosts = List(section.GetSection("AllowedHosts"));
        var data = configuration["Fleet:DataDirectory"];
        return new GatewayOptions
        {
            AllowedHosts = hosts.Count > 0 ? hosts : LoopbackHosts,
            AllowedFileRoots = List(section.GetSection("AllowedFileRoots")).Select(Path.GetFullPath).ToList(),
            AllowLinkLocalClusters = bool.TryParse(section["AllowLinkLocalClusters"], out var allow) && allow,
            DataDirectory = string.IsNullOrEmpty(data) ? null : Path.GetFullPath(data),
            BootstrapAdminToken = string.IsNullOrEmpty(section["BootstrapAdminToken"]) ? null : section["BootstrapAdminToken"],
        };
    }

    /// <summary>A list given as indexed children (<c>X:0</c>, <c>X:1</c>) or as one comma-separated value.</summary>
    private static List<string> List(IConfigurationSection section)
    {
        var children = section.GetChildren().Select(c => c.Value).OfType<string>().ToList();
        var items = children.Count > 0 ? children : (section.Value ?? "").Split(',').ToList();
        return items.Select(i => i.Trim()).Where(i => i.Length > 0).ToList();
    }

    /// <summary>Whether a Host header value (name or name:port) is one this gateway serves.</summary>
    public bool IsAllowedHost(HostString host)
    {
        if (!host.HasValue)
        {
            return false;
        }
        foreach (var allowed in AllowedHosts)
        {
            if (allowed == "*"
                || string.Equals(allowed, host.Value, StringComparison.OrdinalIgnoreCase)
                || string.Equals(allowed, host.Host, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }
}
