using System.Globalization;

namespace Fleet.Gateway.Services;

/// <summary>
/// A watch ended because its client did not keep up: more changes waited for it than the gateway buffers
/// (<c>Fleet:Gateway:Watch:Buffer</c>). Nothing was lost: the client watches again from
/// <see cref="ResourceVersion"/>, the last version it was sent (or the version it started from).
/// </summary>
public sealed class WatchTooSlowException(long resourceVersion)
    : Exception(string.Create(CultureInfo.InvariantCulture, $"the watch fell too far behind the changes and was ended; watch again from resourceVersion {resourceVersion}, the last version it sent"))
{
    /// <summary>The resource version to watch again from.</summary>
    public long ResourceVersion { get; } = resourceVersion;
}
