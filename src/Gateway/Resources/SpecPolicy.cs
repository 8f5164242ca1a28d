using System.Net;
using System.Net.Sockets;
using Fleet.Abstractions.Resources;

namespace Fleet.Gateway.Resources;

/// <summary>
/// Checks of a valid spec against what this installation allows: local git sources only under roots an admin
/// allows (never the silo's own data directory, which holds every namespace's mirrors), and no Cluster servers in
/// link-local or cloud metadata addresses (private ranges stay allowed: clusters live there).
/// </summary>
internal sealed class SpecPolicy(GatewayOptions options)
{
    private static readonly string[] MetadataHosts = ["metadata.google.internal", "metadata.google.internal.", "metadata", "instance-data", "instance-data.ec2.internal"];

    private static readonly IPAddress Ec2MetadataV6 = IPAddress.Parse("fd00:ec2::254");

    public IEnumerable<FieldError> Check(object spec) => spec switch
    {
        GitRepositorySpec git when git.Url is not null => CheckGitUrl(git.Url),
        ClusterSpec cluster when cluster.Server is not null => CheckServer(cluster.Server),
        _ => [],
    };

    private IEnumerable<FieldError> CheckGitUrl(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || !uri.IsFile)
        {
            yield break;
        }
        var path = Path.GetFullPath(uri.LocalPath);
        if (options.DataDirectory is { } data && IsUnder(path, data))
        {
            yield return new FieldError("spec.url", "a file:// URL into the silo's data directory is never allowed");
        }
        else if (!options.AllowedFileRoots.Any(root => IsUnder(path, root)))
        {
            yield return new FieldError("spec.url", options.AllowedFileRoots.Count == 0
                ? "file:// URLs are not allowed here: an admin allows local roots with Fleet:Gateway:AllowedFileRoots"
                : $"\"{path}\" is not under a root allowed by Fleet:Gateway:AllowedFileRoots");
        }
    }

    private static bool IsUnder(string path, string root)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        return path == full || path.StartsWith(full + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    }

    private IEnumerable<FieldError> CheckServer(string server)
    {
        if (options.AllowLinkLocalClusters || !Uri.TryCreate(server, UriKind.Absolute, out var uri))
        {
            yield break;
        }
        if (MetadataHosts.Contains(uri.Host, StringComparer.OrdinalIgnoreCase) || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IsLinkLocal(ip)))
        {
            yield return new FieldError("spec.server", $"\"{uri.Host}\" is a link-local or cloud metadata address: refused unless Fleet:Gateway:AllowLinkLocalClusters is set");
        }
    }

    private static bool IsLinkLocal(IPAddress ip)
    {
        if (ip.IsIPv4MappedToIPv6)
        {
            ip = ip.MapToIPv4();
        }
        if (ip.AddressFamily == AddressFamily.InterNetwork)
        {
            var bytes = ip.GetAddressBytes();
            return bytes[0] == 169 && bytes[1] == 254;
        }
        return ip.IsIPv6LinkLocal || ip.Equals(Ec2MetadataV6);
    }
}
