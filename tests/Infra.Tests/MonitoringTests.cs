using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Fleet.Infra.Tests;

/// <summary>The dashboard and the alert rules query only metrics Fleet exports.</summary>
public sealed partial class MonitoringTests
{
    /// <summary>The metrics Fleet's /metrics serves (docs/operations.md), as Prometheus names them.</summary>
    private static readonly HashSet<string> Exported =
    [
        "fleet_reconcile_duration_seconds_bucket",
        "fleet_reconcile_duration_seconds_count",
        "fleet_reconcile_duration_seconds_sum",
        "fleet_object_changes_total",
        "fleet_api_requests_total",
    ];

    /// <summary>PromQL functions and keywords used in the queries, which look like metric names to the scan.</summary>
    private static readonly HashSet<string> PromQl =
        ["sum", "by", "rate", "increase", "histogram_quantile", "le", "kind", "outcome", "action", "code", "method", "without", "avg", "max", "min", "count", "on", "ignoring", "and", "or", "unless"];

    private static string DashboardFile => Path.Combine(Repo.Kubernetes, "monitoring", "fleet-dashboard.json");

    [Fact]
    public void Dashboard_IsJsonAndQueriesOnlyExportedMetrics()
    {
        var dashboard = JsonNode.Parse(File.ReadAllText(DashboardFile), documentOptions: new JsonDocumentOptions { AllowTrailingCommas = false })!;
        Assert.False(string.IsNullOrEmpty((string?)dashboard["uid"]));
        var exprs = dashboard["panels"]!.AsArray().SelectMany(p => p!["targets"]!.AsArray()).Select(t => (string)t!["expr"]!).ToList();
        Assert.True(exprs.Count >= 5);
        AssertOnlyExported(exprs, "dashboard");

        // All three of Fleet's metrics appear on it.
        foreach (var metric in new[] { "fleet_reconcile_duration_seconds", "fleet_object_changes_total", "fleet_api_requests_total" })
        {
            Assert.Contains(exprs, e => e.Contains(metric, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void DashboardConfigMap_CarriesTheFileForGrafanasSidecar()
    {
        var configMap = Repo.Objects("monitoring").Single(o => (string?)o["kind"] == "ConfigMap");
        Assert.Equal("1", (string?)configMap["metadata"]!["labels"]!["grafana_dashboard"]);
        Assert.Equal(File.ReadAllText(DashboardFile), (string?)configMap["data"]!["fleet-dashboard.json"]);
    }

    [Fact]
    public void AlertRules_QueryOnlyExportedMetrics_AndSaySeverityAndSummary()
    {
        var rule = Repo.Objects("monitoring").Single(o => (string?)o["kind"] == "PrometheusRule");
        var rules = rule["spec"]!["groups"]!.AsArray().SelectMany(g => g!["rules"]!.AsArray()).Select(r => r!).ToList();
        Assert.True(rules.Count >= 4);
        Assert.All(rules, r =>
        {
            Assert.StartsWith("Fleet", (string?)r["alert"], StringComparison.Ordinal);
            Assert.NotNull((string?)r["labels"]!["severity"]);
            Assert.NotNull((string?)r["annotations"]!["summary"]);
        });
        AssertOnlyExported([.. rules.Select(r => (string)r["expr"]!)], "alert rules");
    }

    [Fact]
    public void MetricScan_RejectsAMetricFleetDoesNotExport() =>
        Assert.Throws<Xunit.Sdk.TrueException>(() => AssertOnlyExported(["sum(rate(fleet_reconciles_total[5m]))"], "sample"));

    private static void AssertOnlyExported(IEnumerable<string> exprs, string where)
    {
        foreach (var expr in exprs)
        {
            // Drop label matchers, strings and range selectors; what remains that looks like a name is a metric or a function.
            var bare = Strings().Replace(Braces().Replace(Brackets().Replace(expr, ""), ""), "");
            var names = Identifier().Matches(bare).Select(m => m.Value).Where(n => !PromQl.Contains(n)).ToList();
            Assert.NotEmpty(names);
            foreach (var name in names)
            {
                Assert.True(Exported.Contains(name), $"{where}: `{expr}` queries {name}, which Fleet does not export");
            }
        }
    }

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Braces();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Brackets();

    [GeneratedRegex("\"[^\"]*\"")]
    private static partial Regex Strings();

    [GeneratedRegex(@"(?<![\w.])[A-Za-z_:][A-Za-z0-9_:]*")]
    private static partial Regex Identifier();
}
