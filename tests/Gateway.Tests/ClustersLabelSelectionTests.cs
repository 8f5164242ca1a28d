using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Fleet.Abstractions.Resources;
using Fleet.Gateway.Tests.Support;
using Fleet.Store;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Fleet.Gateway.Tests;

/// <summary>Finding an application's clusters among 10,000 is one label-selector query on the resource store's label index.</summary>
public sealed class ClustersLabelSelectionTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Ns = "fleet-10k";
    private const int Count = 10_000;
    private SiloHost _silo = null!;

    public async Task InitializeAsync() => _silo = await SiloHost.StartAsync();

    public async Task DisposeAsync() => await _silo.DisposeAsync();

    /// <summary>The labels of cluster <paramref name="i"/>: a fixed pattern so the expected set can be computed by hand.</summary>
    internal static Dictionary<string, string> LabelsOf(int i)
    {
        var labels = new Dictionary<string, string>
        {
            ["env"] = (i % 3) switch { 0 => "prod", 1 => "staging", _ => "dev" },
            ["region"] = (i % 4) switch { 0 => "eu", 1 => "us", 2 => "ap", _ => "sa" },
            ["zone"] = "z" + (i % 6).ToString(CultureInfo.InvariantCulture),
        };
        if (i % 5 == 0)
        {
            labels["gpu"] = "true";
        }
        if (i % 7 == 0)
        {
            labels["canary"] = "true";
        }
        return labels;
    }

    internal static string NameOf(int i) => "c" + i.ToString("D5", CultureInfo.InvariantCulture);

    [Fact]
    public async Task LabelSelector_Over10000Clusters_ReturnsExactlyTheMatchingSet()
    {
        var store = _silo.Services.GetRequiredService<IResourceStore>();
        var insert = Stopwatch.StartNew();
        // Straight into the store (as a bulk import would), not through 10,000 HTTP calls; no grain is told.
        await Parallel.ForEachAsync(Enumerable.Range(0, Count), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, ct) =>
        {
            var spec = JsonSerializer.Serialize(new ClusterSpec { Server = $"https://10.{i / 256 % 256}.{i % 256}.1:6443", Paused = true }, FleetJson.Options);
            await store.PutAsync(ResourceKinds.Cluster.Kind, Ns, NameOf(i), LabelsOf(i), new Dictionary<string, string>(), spec, null, ct);
        });
        insert.Stop();

        var selector = new LabelSelectorSpec
        {
            MatchLabels = new Dictionary<string, string> { ["env"] = "prod" },
            MatchExpressions =
            [
                new LabelSelectorExpression { Key = "region", Operator = "In", Values = ["eu", "us"] },
                new LabelSelectorExpression { Key = "zone", Operator = "NotIn", Values = ["z0"] },
                new LabelSelectorExpression { Key = "gpu", Operator = "Exists" },
                new LabelSelectorExpression { Key = "canary", Operator = "DoesNotExist" },
            ],
        }.ToSelector();

        var query = Stopwatch.StartNew();
        var found = await store.ListAsync(ResourceKinds.Cluster.Kind, Ns, selector);
        query.Stop();
        var warm = Stopwatch.StartNew();
        await store.ListAsync(ResourceKinds.Cluster.Kind, Ns, selector);
        warm.Stop();

        var expected = Enumerable.Range(0, Count)
            .Where(i => i % 3 == 0 && i % 4 is 0 or 1 && i % 6 != 0 && i % 5 == 0 && i % 7 != 0)
            .Select(NameOf)
            .ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(expected, found.Select(c => c.Name).Order(StringComparer.Ordinal).ToList());

        // The same selector in its string form, through the API.
        var api = Stopwatch.StartNew();
        var list = await _silo.GetJsonAsync($"api/v1/namespaces/{Ns}/clusters?labelSelector={Uri.EscapeDataString(selector.ToString())}");
        api.Stop();
        Assert.Equal(expected, list["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()).Order(StringComparer.Ordinal).ToList());

        output.WriteLine($"inserted {Count} clusters in {insert.ElapsedMilliseconds} ms");
        output.WriteLine($"selector: {selector}");
        output.WriteLine($"matched {found.Count} of {Count}: store query {query.Elapsed.TotalMilliseconds:F1} ms (again: {warm.Elapsed.TotalMilliseconds:F1} ms), through the API {api.Elapsed.TotalMilliseconds:F1} ms");
    }
}
