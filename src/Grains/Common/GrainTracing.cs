using System.Diagnostics;

namespace Fleet.Grains.Common;

/// <summary>
/// Spans of the grains' slow steps (fetch, render, apply, health wait) on the activity source <c>Fleet.Grains</c>,
/// exported over OTLP when the process is configured with an endpoint; free when nobody listens.
/// </summary>
internal static class GrainTracing
{
    public static readonly ActivitySource Source = new("Fleet.Grains");

    public static Activity? Start(string name, string key)
    {
        var activity = Source.StartActivity(name);
        activity?.SetTag("fleet.grain", key);
        return activity;
    }
}
