using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Fleet.Helm.Repositories;

namespace Fleet.Helm.Tests;

/// <summary>The chart repository client against a real HTTP server on loopback that checks credentials.</summary>
public sealed class HelmRepositoryClientTests : IDisposable
{
    private const string User = "reader";
    private const string Password = "s3cret-pass";
    private const string Token = "tok-123";

    private readonly HttpListener _listener = new();
    private readonly string _cache = Path.Combine(Path.GetTempPath(), "fleet-helm-cache-" + Guid.NewGuid().ToString("N"));
    private readonly byte[] _archive = File.ReadAllBytes(Path.Combine(TestData.Directory, "charts", "deps", "charts", "packed-2.1.0.tgz"));
    private readonly Uri _base;
    private readonly CancellationTokenSource _stop = new();
    private int _chartDownloads;
    private string _digest;

    public HelmRepositoryClientTests()
    {
        _digest = Convert.ToHexStringLower(SHA256.HashData(_archive));
        var port = FreePort();
        _base = new Uri($"http://127.0.0.1:{port}/charts/");
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _ = Task.Run(Serve);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Close();
        _stop.Dispose();
        if (Directory.Exists(_cache))
        {
            Directory.Delete(_cache, recursive: true);
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private string Index() => $"""
        apiVersion: v1
        entries:
          packed:
            - name: packed
              version: 2.1.0
              appVersion: "1.0"
              digest: "{_digest}"
              urls: [packed-2.1.0.tgz]
            - name: packed
              version: 2.2.0-rc.1
              digest: "{_digest}"
              urls: [packed-2.1.0.tgz]
            - name: packed
              version: 1.9.0
              digest: "{_digest}"
              urls: [packed-2.1.0.tgz]
        """;

    private async Task Serve()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext ctx;
            try
            {
                ctx = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            var auth = ctx.Request.Headers["Authorization"];
            var ok = auth == "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{Password}")) || auth == "Bearer " + Token;
            byte[] body;
            if (!ok)
            {
                ctx.Response.StatusCode = 401;
                body = [];
            }
            else if (ctx.Request.Url!.AbsolutePath == "/charts/index.yaml")
            {
                body = Encoding.UTF8.GetBytes(Index());
            }
            else if (ctx.Request.Url.AbsolutePath == "/charts/packed-2.1.0.tgz")
            {
                Interlocked.Increment(ref _chartDownloads);
                body = _archive;
            }
            else
            {
                ctx.Response.StatusCode = 404;
                body = [];
            }

            await ctx.Response.OutputStream.WriteAsync(body);
            ctx.Response.Close();
        }
    }

    private HelmRepositoryClient Client(HttpClient http) => new(http, _cache);

    [Fact]
    public async Task Index_WithBasicAuth_ListsVersionsNewestFirst()
    {
        using var http = new HttpClient();
        var index = await Client(http).GetIndexAsync(_base, new HelmRepositoryCredentials { Username = User, Password = Password }, CancellationToken.None);
        Assert.Equal(["2.2.0-rc.1", "2.1.0", "1.9.0"], index["packed"].Select(v => v.Version));
    }

    [Theory]
    [InlineData(null, "2.1.0")]
    [InlineData("", "2.1.0")]
    [InlineData("1.9.0", "1.9.0")]
    [InlineData("^1", "1.9.0")]
    [InlineData(">=2.0.0-0", "2.2.0-rc.1")]
    [InlineData("~2.1", "2.1.0")]
    public async Task Select_ByVersionOrRange_PicksHelmsChoice(string? wanted, string expected)
    {
        using var http = new HttpClient();
        var index = await Client(http).GetIndexAsync(_base, new HelmRepositoryCredentials { BearerToken = Token }, CancellationToken.None);
        Assert.Equal(expected, HelmRepositoryClient.Select(index, "packed", wanted).Version);
    }

    [Fact]
    public async Task Select_NoMatch_SaysWhich()
    {
        using var http = new HttpClient();
        var index = await Client(http).GetIndexAsync(_base, new HelmRepositoryCredentials { BearerToken = Token }, CancellationToken.None);
        var ex = Assert.Throws<HelmException>(() => HelmRepositoryClient.Select(index, "packed", "^3"));
        Assert.Contains("no version matching \"^3\"", ex.Message, StringComparison.Ordinal);
        Assert.Throws<HelmException>(() => HelmRepositoryClient.Select(index, "absent", null));
    }

    [Fact]
    public async Task WrongCredentials_FailWithoutShowingThem()
    {
        using var http = new HttpClient();
        var ex = await Assert.ThrowsAsync<HelmException>(() => Client(http).GetIndexAsync(_base, new HelmRepositoryCredentials { Username = User, Password = "wrong-password" }, CancellationToken.None));
        Assert.Contains("401", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-password", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FetchChart_DownloadsOnceByDigest_AndRenders()
    {
        using var http = new HttpClient();
        var client = Client(http);
        var creds = new HelmRepositoryCredentials { Username = User, Password = Password };
        var index = await client.GetIndexAsync(_base, creds, CancellationToken.None);
        var version = HelmRepositoryClient.Select(index, "packed", "2.1.0");
        var first = await client.FetchChartAsync(_base, version, creds, CancellationToken.None);
        var second = await client.FetchChartAsync(_base, version, creds, CancellationToken.None);
        Assert.Equal(first, second);
        Assert.Equal(1, _chartDownloads);
        Assert.Equal(_digest + ".tgz", Path.GetFileName(first));

        var result = HelmEngine.Render(first, new Dictionary<string, object?> { ["global"] = new Dictionary<string, object?> { ["region"] = "eu" } }, new HelmRenderOptions { ReleaseName = "r" });
        Assert.Equal("r-packed", result.Objects.Single()["metadata"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task FetchChart_DigestMismatch_Fails()
    {
        _digest = new string('0', 64);
        using var http = new HttpClient();
        var client = Client(http);
        var creds = new HelmRepositoryCredentials { BearerToken = Token };
        var index = await client.GetIndexAsync(_base, creds, CancellationToken.None);
        var ex = await Assert.ThrowsAsync<HelmException>(() => client.FetchChartAsync(_base, HelmRepositoryClient.Select(index, "packed", "2.1.0"), creds, CancellationToken.None));
        Assert.Contains("digest mismatch", ex.Message, StringComparison.Ordinal);
    }
}
