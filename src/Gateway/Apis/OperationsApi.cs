using Fleet.Store;

namespace Fleet.Gateway.Apis;

/// <summary>Health probes and the Prometheus scrape endpoint.</summary>
internal static class OperationsApi
{
    public static void MapOperationsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapGet("/readyz", async (IResourceStore store, CancellationToken ct) =>
        {
            try
            {
                // Ready means the storage answers.
                await store.GetAsync("Cluster", "default", "readyz-probe", ct);
                return Results.Text("ok");
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                return Results.Text($"storage unavailable: {ex.Message}", statusCode: StatusCodes.Status503ServiceUnavailable);
            }
        });
        app.MapPrometheusScrapingEndpoint("/metrics");
    }
}
