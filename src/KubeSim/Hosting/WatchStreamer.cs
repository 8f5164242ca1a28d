using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Fleet.KubeSim.Api;
using Fleet.KubeSim.Json;
using Fleet.KubeSim.Store;
using Microsoft.AspNetCore.Http;

namespace Fleet.KubeSim.Hosting;

/// <summary>
/// Serves a watch: a chunked stream of JSON lines <c>{"type":…,"object":…}</c> — the initial state when no
/// resourceVersion is given (or <c>sendInitialEvents=true</c>), the recorded events after a given
/// resourceVersion (or an <c>ERROR</c> event with a 410 <c>Expired</c> Status when it is too old), then live
/// changes, with BOOKMARKs when asked for, until the client goes away or <c>timeoutSeconds</c> passes.
/// </summary>
internal static class WatchStreamer
{
    public static async Task RunAsync(HttpContext ctx, SimCluster c, ApiTarget t, ApiRequest r, KubeSimOptions options)
    {
        var time = options.TimeProvider;
        var filter = KubeApi.ParseFilter(r);
        var rvParam = r.Q("resourceVersion");
        var sendInitial = r.Q("sendInitialEvents") == "true";
        var bookmarks = r.Q("allowWatchBookmarks") == "true";
        var table = Tables.Wanted(r.Accept);
        TimeSpan? timeout = null;
        if (r.Q("timeoutSeconds") is { Length: > 0 } ts)
        {
            if (!int.TryParse(ts, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            {
                throw KubeException.BadRequest($"invalid timeoutSeconds \"{ts}\": must be a non-negative integer");
            }

            timeout = TimeSpan.FromSeconds(seconds);
        }

        long? fromRv = null;
        if (!string.IsNullOrEmpty(rvParam) && rvParam != "0" && !sendInitial)
        {
            if (!long.TryParse(rvParam, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                throw KubeException.BadRequest($"invalid resource version \"{rvParam}\": must be a non-negative integer");
            }

            fromRv = parsed;
        }

        var watcher = new Watcher(t.Type.GroupResource, t.Namespace);
        List<WatchEvent>? replay;
        var initial = new List<byte[]>();
        long startRv;
        long historyStart;
        lock (c.Gate)
        {
            startRv = c.ResourceVersion;
            historyStart = c.HistoryStart;
            replay = c.StartWatch(watcher, fromRv);
            if (fromRv is null)
            {
                initial.AddRange(c.Items(t.Type.GroupResource, t.Namespace).Select(kv => kv.Value));
            }
        }

        var response = ctx.Response;
        response.StatusCode = 200;
        response.ContentType = "application/json";
        response.Headers.CacheControl = "no-cache, private";
        try
        {
            if (replay is null)
            {
                var status = KubeStatus.Failure(410, "Expired", $"too old resource version: {fromRv} ({historyStart})");
                await WriteLine(response, "ERROR", JsonUtil.ToBytes(status), ctx.RequestAborted);
                return;
            }

            foreach (var bytes in initial)
            {
                if (Matches(filter, bytes))
                {
                    await WriteLine(response, "ADDED", Render(t, bytes, table, time), ctx.RequestAborted);
                }
            }

            if (sendInitial && bookmarks)
            {
                await WriteLine(response, "BOOKMARK", Bookmark(t, startRv, initialEnd: true), ctx.RequestAborted);
            }

            foreach (var e in replay)
            {
                await WriteEvent(response, t, filter, e, table, time, ctx.RequestAborted);
            }

            await response.Body.FlushAsync(ctx.RequestAborted);
            var deadline = timeout is null ? (DateTimeOffset?)null : time.GetUtcNow() + timeout.Value;
            var reader = watcher.Events;
            while (!ctx.RequestAborted.IsCancellationRequested)
            {
                var wait = Timeout.InfiniteTimeSpan;
                if (bookmarks)
                {
                    wait = options.BookmarkInterval;
                }

                if (deadline is { } d)
                {
                    var left = d - time.GetUtcNow();
                    if (left <= TimeSpan.Zero)
                    {
                        return;
                    }

                    wait = wait == Timeout.InfiniteTimeSpan || left < wait ? left : wait;
                }

                using var waitCts = wait == Timeout.InfiniteTimeSpan ? new CancellationTokenSource() : new CancellationTokenSource(wait, time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(waitCts.Token, ctx.RequestAborted);
                try
                {
                    if (!await reader.WaitToReadAsync(linked.Token))
                    {
                        return;
                    }
                }
                catch (OperationCanceledException) when (!ctx.RequestAborted.IsCancellationRequested)
                {
                    if (bookmarks && (deadline is null || time.GetUtcNow() < deadline))
                    {
                        await WriteLine(response, "BOOKMARK", Bookmark(t, c.ResourceVersion, initialEnd: false), ctx.RequestAborted);
                        await response.Body.FlushAsync(ctx.RequestAborted);
                    }

                    continue;
                }

                while (reader.TryRead(out var e))
                {
                    await WriteEvent(response, t, filter, e, table, time, ctx.RequestAborted);
                }

                await response.Body.FlushAsync(ctx.RequestAborted);
            }
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            // The client closed the watch: the normal way a watch ends.
        }
        finally
        {
            lock (c.Gate)
            {
                c.StopWatch(watcher);
            }
        }
    }

    private static bool Matches(KubeApi.ListFilter filter, byte[] bytes)
    {
        if (filter.Labels.IsEmpty && filter.Name is null && filter.NotName is null && filter.Namespace is null && filter.NotNamespace is null)
        {
            return true;
        }

        var o = JsonUtil.ParseObject(bytes);
        return filter.Matches(o, JsonUtil.Str(o["metadata"]?["namespace"]) ?? string.Empty, JsonUtil.Str(o["metadata"]?["name"]) ?? string.Empty);
    }

    private static async Task WriteEvent(HttpResponse response, ApiTarget t, KubeApi.ListFilter filter, WatchEvent e, bool table, TimeProvider time, CancellationToken ct)
    {
        var type = e.Type;
        var now = Matches(filter, e.Object);
        if (type == "MODIFIED" && e.PreviousLabels is { } previousLabels && !filter.Labels.IsEmpty)
        {
            var previous = JsonUtil.ParseObject(e.Object);
            JsonUtil.Metadata(previous)["labels"] = previousLabels.DeepClone();
            var before = filter.Matches(previous, JsonUtil.Str(previous["metadata"]?["namespace"]) ?? string.Empty, JsonUtil.Str(previous["metadata"]?["name"]) ?? string.Empty);
            if (now && !before)
            {
                type = "ADDED";
            }
            else if (!now && before)
            {
                type = "DELETED";
            }
            else if (!now)
            {
                return;
            }
        }
        else if (!now)
        {
            return;
        }

        await WriteLine(response, type, Render(t, e.Object, table, time), ct);
    }

    private static byte[] Render(ApiTarget t, byte[] bytes, bool table, TimeProvider time)
    {
        if (!table)
        {
            if (!t.Type.IsCustom)
            {
                return bytes;
            }

            var o = JsonUtil.ParseObject(bytes);
            o["apiVersion"] = t.Type.GroupVersion;
            return JsonUtil.ToBytes(o);
        }

        var obj = JsonUtil.ParseObject(bytes);
        var rv = JsonUtil.Str(obj["metadata"]?["resourceVersion"]) ?? "0";
        return JsonUtil.ToBytes(Tables.Build(t.Type, [obj], rv, time.GetUtcNow(), null));
    }

    private static byte[] Bookmark(ApiTarget t, long rv, bool initialEnd)
    {
        var meta = new JsonObject { ["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture) };
        if (initialEnd)
        {
            meta["annotations"] = new JsonObject { ["k8s.io/initial-events-end"] = "true" };
        }

        return JsonUtil.ToBytes(new JsonObject { ["kind"] = t.Type.Kind, ["apiVersion"] = t.Type.GroupVersion, ["metadata"] = meta });
    }

    private static readonly byte[] Suffix = "}\n"u8.ToArray();

    private static async Task WriteLine(HttpResponse response, string type, byte[] obj, CancellationToken ct)
    {
        var prefix = Encoding.UTF8.GetBytes($"{{\"type\":\"{type}\",\"object\":");
        await response.Body.WriteAsync(prefix, ct);
        await response.Body.WriteAsync(obj, ct);
        await response.Body.WriteAsync(Suffix, ct);
    }
}
