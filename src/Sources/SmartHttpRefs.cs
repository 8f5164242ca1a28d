using System.Net.Http.Headers;
using System.Text;

namespace Fleet.Sources;

/// <summary>
/// Lists a repository's refs over git's smart HTTP protocol (<c>GET info/refs?service=git-upload-pack</c>, the
/// pkt-line advertisement of protocol v0). Written by hand because LibGit2Sharp's <c>ListReferences</c> cannot
/// send extra headers, so a source authenticated by a bearer token could not list its tags through libgit2.
/// Used only for that case; redirects are not followed, so the header never reaches another host.
/// </summary>
internal static class SmartHttpRefs
{
    private static readonly HttpClient Client = new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    public static List<string> List(string url, IReadOnlyList<string> headers, TimeSpan timeout, CancellationToken ct) =>
        ListAsync(url, headers, timeout, ct).GetAwaiter().GetResult();

    private static async Task<List<string>> ListAsync(string url, IReadOnlyList<string> headers, TimeSpan timeout, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, url.TrimEnd('/') + "/info/refs?service=git-upload-pack");
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("fleet", "1"));
        foreach (var header in headers)
        {
            var colon = header.IndexOf(':', StringComparison.Ordinal);
            request.Headers.TryAddWithoutValidation(header[..colon].Trim(), header[(colon + 1)..].Trim());
        }

        try
        {
            using var response = await Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            if (!response.IsSuccessStatusCode)
            {
                throw new HttpRequestException($"unexpected http status code: {(int)response.StatusCode}", null, response.StatusCode);
            }

            var body = await response.Content.ReadAsByteArrayAsync(deadline.Token);
            return Parse(body);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new HttpRequestException($"no answer within {timeout.TotalSeconds:0} s");
        }
    }

    /// <summary>Ref names of a v0 advertisement: pkt-lines of "&lt;id&gt; SP &lt;name&gt;[NUL capabilities]", comments and flushes skipped.</summary>
    internal static List<string> Parse(ReadOnlySpan<byte> body)
    {
        var names = new List<string>();
        var at = 0;
        while (at + 4 <= body.Length)
        {
            var length = Convert.ToInt32(Encoding.ASCII.GetString(body.Slice(at, 4)), 16);
            if (length == 0)
            {
                at += 4;
                continue;
            }

            if (length < 4 || at + length > body.Length)
            {
                throw new HttpRequestException("the server's ref advertisement is malformed");
            }

            var line = Encoding.UTF8.GetString(body.Slice(at + 4, length - 4)).TrimEnd('\n');
            at += length;
            var nul = line.IndexOf('\0', StringComparison.Ordinal);
            if (nul >= 0)
            {
                line = line[..nul];
            }

            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (!line.StartsWith('#') && space == 40)
            {
                names.Add(line[(space + 1)..]);
            }
        }

        return names;
    }
}
