using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Fleet.Gateway.Watch;

/// <summary>Options of the gateway's watches (section <c>Fleet:Gateway:Watch</c>).</summary>
internal sealed class WatchFeedOptions
{
    public const string Section = "Fleet:Gateway:Watch";

    /// <summary>
    /// Changes a watch may have waiting before it counts as too slow and is ended (its client resumes from the last
    /// resource version it got). Only changes the watch may show count.
    /// </summary>
    public int Buffer { get; init; } = 10_000;

    /// <summary>The options in <paramref name="configuration"/>; a bad value is an error naming the option.</summary>
    public static WatchFeedOptions From(IConfiguration? configuration)
    {
        var text = configuration?[$"{Section}:Buffer"];
        if (string.IsNullOrEmpty(text))
        {
            return new WatchFeedOptions();
        }
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var buffer) || buffer < 1)
        {
            throw new InvalidOperationException($"Option {Section}:Buffer: \"{text}\" is not a positive number of changes.");
        }
        return new WatchFeedOptions { Buffer = buffer };
    }
}
