using System.Net;
using System.Text.Json.Nodes;
using Fleet.Abstractions.Resources;
using Fleet.Gateway.Services;
using Fleet.Store;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Gateway.Tests.Rest;

[Collection(RestCollection.Name)]
public sealed class WatchTests(RestSilo rest)
{
    /// <summary>A watch's stream, read one JSON line at a time.</summary>
    private sealed class Stream(HttpResponseMessage response, StreamReader reader) : IDisposable
    {
        public HttpResponseMessage Response { get; } = response;

        public async Task<(string Type, JsonNode Object)> NextAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var line = await reader.ReadLineAsync(timeout.Token) ?? throw new InvalidOperationException("the watch ended");
            var e = JsonNode.Parse(line)!;
            return (e["type"]!.GetValue<string>(), e["object"]!);
        }

        /// <summary>
        /// The next event of <paramref name="type"/> for <paramref name="name"/> that satisfies <paramref name="also"/>;
        /// MODIFIED events before it (the silo writes statuses) are passed over, any other event fails the test.
        /// </summary>
        public async Task<JsonNode> ExpectAsync(string type, string name, Func<JsonNode, bool>? also = null)
        {
            while (true)
            {
                var (t, o) = await NextAsync();
                if (t == type && Name(o) == name && (also is null || also(o)))
                {
                    return o;
                }
                Assert.True(t == "MODIFIED", $"expected {type} {name}, got {t} {Name(o)}");
            }
        }

        public void Dispose()
        {
            reader.Dispose();
            Response.Dispose();
        }
    }

    private static async Task<Stream> OpenAsync(HttpClient http, string path)
    {
        var response = await http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        return new Stream(response, new StreamReader(await response.Content.ReadAsStreamAsync()));
    }

    private static string Name(JsonNode o) => o["metadata"]!["name"]!.GetValue<string>();

    [Fact]
    public async Task Watch_ShowsTheObjectsThenEveryChange_AsKubernetesJsonLines()
    {
        await rest.ApplyAsync(RestSilo.Cluster("watch-1", "old", "{app: web}") + RestSilo.Cluster("watch-1", "other", "{app: db}"));
        using var watch = await OpenAsync(rest.Http, "api/v1/namespaces/watch-1/clusters?watch=true&labelSelector=app%3Dweb");
        await watch.ExpectAsync("ADDED", "old");

        await rest.ApplyAsync(RestSilo.Cluster("watch-1", "new", "{app: web}") + RestSilo.Cluster("watch-1", "ignored", "{app: db}"));
        await watch.ExpectAsync("ADDED", "new");

        await rest.ApplyAsync(RestSilo.Cluster("watch-1", "new", "{app: web, v: '2'}"));
        await watch.ExpectAsync("MODIFIED", "new", o => o["metadata"]!["labels"]!["v"]?.GetValue<string>() == "2");

        // Leaving the selector is a delete for this watch.
        await rest.ApplyAsync(RestSilo.Cluster("watch-1", "new", "{app: other}"));
        await watch.ExpectAsync("DELETED", "new");

        Assert.Equal(HttpStatusCode.OK, (await rest.Http.DeleteAsync("api/v1/namespaces/watch-1/clusters/old")).StatusCode);
        await watch.ExpectAsync("DELETED", "old");
    }

    [Fact]
    public async Task Watch_FromAListsResourceVersion_ShowsOnlyLaterChanges()
    {
        await rest.ApplyAsync(RestSilo.Cluster("watch-2", "before"));
        var list = await rest.Silo.GetJsonAsync("api/v1/namespaces/watch-2/clusters");
        var rv = list["metadata"]!["resourceVersion"]!.GetValue<string>();
        await rest.ApplyAsync(RestSilo.Cluster("watch-2", "after"));

        using var watch = await OpenAsync(rest.Http, $"api/v1/namespaces/watch-2/clusters?watch=1&resourceVersion={rv}");
        // Created before the watch opened: the resumed watch cannot know whether the client saw it, so MODIFIED.
        var obj = await watch.ExpectAsync("MODIFIED", "after");
        var eventRv = obj["metadata"]!["resourceVersion"]!.GetValue<string>();

        // Created while the watch is open: ADDED. Resuming from an event's object version picks up what followed it.
        await rest.ApplyAsync(RestSilo.Cluster("watch-2", "third"));
        await watch.ExpectAsync("ADDED", "third");
        using var resumed = await OpenAsync(rest.Http, $"api/v1/namespaces/watch-2/clusters?watch=true&resourceVersion={eventRv}");
        await resumed.ExpectAsync("MODIFIED", "third");
    }

    [Fact]
    public async Task Watch_FromAVersionOlderThanTheTrimmedFeed_Is410Gone()
    {
        await rest.ApplyAsync(RestSilo.Cluster("watch-3", "a") + RestSilo.Cluster("watch-3", "b"));
        var store = rest.Silo.Services.GetRequiredService<IResourceStore>();
        await store.TrimChangesAsync(1);
        var (response, body) = await rest.SendAsync(HttpMethod.Get, "api/v1/namespaces/watch-3/clusters?watch=true&resourceVersion=1");
        Assert.Equal(HttpStatusCode.Gone, response.StatusCode);
        Assert.Contains("list again", body!["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        (response, body) = await rest.SendAsync(HttpMethod.Get, "api/v1/namespaces/watch-3/clusters?watch=true&resourceVersion=abc");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Watch_InTheServiceLayer_HonoursTheCallersNamespaces_AndEndsWhenCancelled()
    {
        var service = rest.Silo.Services.GetRequiredService<ResourceService>();
        var caller = new Caller("tenant", ApiRole.Viewer, new HashSet<string> { "watch-4a" });
        using var cts = new CancellationTokenSource();
        var events = await service.WatchAsync(caller, ResourceKinds.Cluster, null, new WatchOptions(FieldSelector: "metadata.name=w"), cts.Token);
        await rest.ApplyAsync(RestSilo.Cluster("watch-4b", "w") + RestSilo.Cluster("watch-4a", "w"));
        var seen = new List<string>();
        await foreach (var e in events)
        {
            seen.Add($"{e.Type} {e.Object.Namespace}");
            if (e.Object.Namespace == "watch-4a")
            {
                cts.Cancel();
            }
        }
        Assert.DoesNotContain(seen, s => s.EndsWith("watch-4b", StringComparison.Ordinal));
        Assert.Contains("Added watch-4a", seen);
    }
}
