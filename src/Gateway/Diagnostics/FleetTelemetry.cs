using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Fleet.Gateway.Diagnostics;

/// <summary>
/// Metrics and traces through OpenTelemetry: every <c>Fleet.*</c> meter and Orleans' own meters on the Prometheus
/// endpoint (<c>/metrics</c>), and the <c>Fleet.*</c> activity sources (fetch, render, apply, health wait) exported
/// over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (or <c>Fleet:Telemetry:OtlpEndpoint</c>) is set. The meter
/// provider starts with the host, so nothing counted before the first scrape is lost.
/// </summary>
internal static class FleetTelemetry
{
    public const string GatewayMeterName = "Fleet.Gateway";

    private static readonly Meter GatewayMeter = new(GatewayMeterName);

    /// <summary>API requests answered, by method and status code.</summary>
    public static readonly Counter<long> Requests = GatewayMeter.CreateCounter<long>("fleet_api_requests", description: "API requests answered, by method and status code.");

    /// <summary>Webhook requests refused for a bad signature or token whose Warning event was skipped (one per receiver per minute is written).</summary>
    public static readonly Counter<long> WebhookRejectionsUnrecorded = GatewayMeter.CreateCounter<long>("fleet_webhook_rejections_unrecorded",
        description: "Webhook requests refused (401) without a Warning event, by receiver: at most one event per receiver per minute is written.");

    public static IServiceCollection AddFleetTelemetry(this IServiceCollection services, IConfiguration? configuration)
    {
        var otlp = configuration?["Fleet:Telemetry:OtlpEndpoint"] ?? configuration?["OTEL_EXPORTER_OTLP_ENDPOINT"];
        var telemetry = services.AddOpenTelemetry()
            .WithMetrics(m => m.AddMeter("Fleet.*", "Microsoft.Orleans").AddPrometheusExporter());
        if (!string.IsNullOrEmpty(otlp))
        {
            telemetry.WithTracing(t => t.AddSource("Fleet.*").AddOtlpExporter(o => o.Endpoint = new Uri(otlp)));
        }

        return services;
    }
}
