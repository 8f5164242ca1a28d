using Microsoft.Extensions.Time.Testing;
using Microsoft.AspNetCore.Http;

namespace Fleet.Kubernetes.Tests;

/// <summary>Trust, client certificates, credentials and probe reasons against a real HTTPS endpoint made in the test.</summary>
public sealed class TlsAndProbeTests : IClassFixture<TlsAndProbeTests.Certs>
{
    public sealed class Certs : IDisposable
    {
        public TestCertificates Trusted { get; } = new("Fleet Test CA");

        public TestCertificates Other { get; } = new("Some Other CA");

        public void Dispose()
        {
            Trusted.Dispose();
            Other.Dispose();
        }
    }

    private static readonly KubeClientOptions Fast = new() { MaxRetries = 1, RetryBaseDelay = TimeSpan.FromMilliseconds(10), RequestTimeout = TimeSpan.FromSeconds(10) };
    private readonly Certs _certs;

    public TlsAndProbeTests(Certs certs) => _certs = certs;

    [Fact]
    public async Task Probe_WithCustomCa_IsReadyWithVersion()
    {
        await using var server = await TestApiServer.StartAsync(_certs.Trusted.Server);
        using var client = new KubeClient(new ClusterConnection(server.Uri.ToString(), _certs.Trusted.CaPem), Fast);
        var result = await ClusterProbe.ProbeAsync(client);
        Assert.True(result.Ready, result.Message);
        Assert.Equal("v1.32.0-test", result.Version!.GitVersion);
    }

    [Fact]
    public async Task Probe_ServerSignedByAnotherCa_IsTlsError()
    {
        await using var server = await TestApiServer.StartAsync(_certs.Other.Server);
        using var client = new KubeClient(new ClusterConnection(server.Uri.ToString(), _certs.Trusted.CaPem), Fast);
        var result = await ClusterProbe.ProbeAsync(client);
        Assert.False(result.Ready);
        Assert.Equal(ClusterProbe.ReasonTlsError, result.Reason);
        Assert.Contains("not signed by the configured CA", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Probe_NoCaGiven_DoesNotTrustPrivateCa()
    {
        await using var server = await TestApiServer.StartAsync(_certs.Trusted.Server);
        using var client = new KubeClient(new ClusterConnection(server.Uri.ToString()), Fast);
        var result = await ClusterProbe.ProbeAsync(client);
        Assert.Equal(ClusterProbe.ReasonTlsError, result.Reason);
    }

    [Fact]
    public async Task Probe_InsecureSkipTlsVerify_AcceptsAnyCertificate()
    {
        await using var server = await TestApiServer.StartAsync(_certs.Other.Server);
        using var client = new KubeClient(new ClusterConnection(server.Uri.ToString(), InsecureSkipTlsVerify: true), Fast);
        Assert.True((await ClusterProbe.ProbeAsync(client)).Ready);
    }

    [Fact]
    public async Task Probe_ClientCertificate_IsPresentedAndRequired()
    {
        await using var server = await TestApiServer.StartAsync(_certs.Trusted.Server, requireClientCa: _certs.Trusted.Ca);
        using var withCert = new KubeClient(new ClusterConnection(server.Uri.ToString(), _certs.Trusted.CaPem, false, null,
            _certs.Trusted.ClientCertPem, _certs.Trusted.ClientKeyPem), Fast);
        var ok = await ClusterProbe.ProbeAsync(withCert);
        Assert.True(ok.Ready, ok.Message);

        using var without = new KubeClient(new ClusterConnection(server.Uri.ToString(), _certs.Trusted.CaPem), Fast);
        var refused = await ClusterProbe.ProbeAsync(without);
        Assert.False(refused.Ready);
        Assert.Contains(refused.Reason, new[] { ClusterProbe.ReasonTlsError, ClusterProbe.ReasonUnreachable });
    }

    [Fact]
    public async Task Probe_WrongToken_IsUnauthorizedWithoutTheToken()
    {
        await using var server = await TestApiServer.StartAsync(_certs.Trusted.Server, requireToken: "right-token");
        using var wrong = new KubeClient(new ClusterConnection(server.Uri.ToString(), _certs.Trusted.CaPem, false, "wrong-token-value"), Fast);
        var result = await ClusterProbe.ProbeAsync(wrong);
        Assert.Equal(ClusterProbe.ReasonUnauthorized, result.Reason);
        Assert.DoesNotContain("wrong-token-value", result.Message, StringComparison.Ordinal);

        using var right = new KubeClient(new ClusterConnection(server.Uri.ToString(), _certs.Trusted.CaPem, false, "right-token"), Fast);
        Assert.True((await ClusterProbe.ProbeAsync(right)).Ready);
    }

    [Fact]
    public async Task Probe_NothingListening_IsUnreachable()
    {
        int port;
        using (var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        }
        using var client = new KubeClient(new ClusterConnection($"https://127.0.0.1:{port}", _certs.Trusted.CaPem, false, "tok"), Fast);
        var result = await ClusterProbe.ProbeAsync(client);
        Assert.Equal(ClusterProbe.ReasonUnreachable, result.Reason);
        Assert.Contains($"127.0.0.1:{port}", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_Retries429HonouringRetryAfter_ThenSucceeds()
    {
        await using var server = await TestApiServer.StartAsync();
        server.Handler = async (ctx, n) =>
        {
            if (n <= 2)
            {
                ctx.Response.StatusCode = 429;
                ctx.Response.Headers.RetryAfter = "0";
                await ctx.Response.WriteAsJsonAsync(new { kind = "Status", code = 429, reason = "TooManyRequests", message = "slow down" });
                return;
            }
            await TestApiServer.WriteVersion(ctx);
        };
        using var client = new KubeClient(new ClusterConnection(server.Uri.ToString()), Fast with { MaxRetries = 3 });
        var version = await client.GetVersionAsync();
        Assert.Equal("32", version.Minor);
        Assert.Equal(3, server.Requests);
    }

    [Fact]
    public async Task Client_GivesUpAfterMaxRetries_WithTheServerStatus()
    {
        await using var server = await TestApiServer.StartAsync();
        server.Handler = async (ctx, _) =>
        {
            ctx.Response.StatusCode = 503;
            await ctx.Response.WriteAsJsonAsync(new { kind = "Status", code = 503, reason = "ServiceUnavailable", message = "etcd is sad" });
        };
        using var client = new KubeClient(new ClusterConnection(server.Uri.ToString()), Fast with { MaxRetries = 2 });
        var ex = await Assert.ThrowsAsync<KubeApiException>(() => client.GetVersionAsync());
        Assert.Equal(503, ex.Code);
        Assert.Equal("etcd is sad", ex.Status.Message);
        Assert.Equal(3, server.Requests);
    }

    [Fact]
    public async Task Client_DoesNotRetryClientErrors_AndCarriesStatusCauses()
    {
        await using var server = await TestApiServer.StartAsync();
        server.Handler = async (ctx, _) =>
        {
            ctx.Response.StatusCode = 422;
            await ctx.Response.WriteAsJsonAsync(new
            {
                kind = "Status", code = 422, reason = "Invalid", message = "bad",
                details = new { causes = new[] { new { reason = "FieldValueInvalid", message = "field is immutable", field = "spec.selector" } } },
            });
        };
        using var client = new KubeClient(new ClusterConnection(server.Uri.ToString()), Fast with { MaxRetries = 3 });
        var ex = await Assert.ThrowsAsync<KubeApiException>(() => client.GetVersionAsync());
        Assert.Equal(1, server.Requests);
        Assert.Equal("spec.selector", Assert.Single(ex.Status.Causes).Field);
        Assert.Equal("spec.selector", Applier.ImmutableField(ex));
    }

    [Fact]
    public void RateLimiter_AllowsBurstThenHoldsBack()
    {
        using var client = new KubeClient(new ClusterConnection("http://127.0.0.1:1"), new KubeClientOptions { Qps = 1, Burst = 3 });
        var limiter = client.RateLimiter!;
        for (var i = 0; i < 3; i++)
        {
            Assert.True(limiter.TryTake());
        }
        Assert.False(limiter.TryTake());
    }

    [Fact]
    public async Task RateLimiter_RefillsWithTimeAndServesWaitersInTurn()
    {
        var time = new FakeTimeProvider();
        var bucket = new TokenBucket(2, 2, time);
        await bucket.TakeAsync(CancellationToken.None);
        await bucket.TakeAsync(CancellationToken.None);
        var first = bucket.TakeAsync(CancellationToken.None).AsTask();
        var second = bucket.TakeAsync(CancellationToken.None).AsTask();
        Assert.False(first.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(500));
        await first;
        Assert.False(second.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(500));
        await second;

        // Idle for a minute: the bucket holds its burst again, no more.
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(bucket.TryTake());
        Assert.True(bucket.TryTake());
        Assert.False(bucket.TryTake());
    }

    [Fact]
    public async Task RateLimiter_CancelledWaitGivesItsTokenBack()
    {
        var time = new FakeTimeProvider();
        var bucket = new TokenBucket(1, 1, time);
        Assert.True(bucket.TryTake());
        using var cts = new CancellationTokenSource();
        var waiting = bucket.TakeAsync(cts.Token).AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(bucket.TryTake());
    }

    [Fact]
    public void Backoff_HonoursRetryAfterButCapsIt()
    {
        using var client = new KubeClient(new ClusterConnection("http://127.0.0.1:1"),
            new KubeClientOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(100), MaxRetryDelay = TimeSpan.FromSeconds(2) });
        Assert.Equal(TimeSpan.FromSeconds(1), client.BackoffDelay(1, TimeSpan.FromSeconds(1)));
        Assert.Equal(TimeSpan.FromSeconds(2), client.BackoffDelay(1, TimeSpan.FromMinutes(5)));
        var third = client.BackoffDelay(3, null);
        Assert.InRange(third.TotalMilliseconds, 200, 400);
        Assert.True(client.BackoffDelay(20, null) <= TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task Client_UsesHttp2WhenTheServerOffersIt()
    {
        await using var server = await TestApiServer.StartAsync(_certs.Trusted.Server);
        string? protocol = null;
        server.Handler = (ctx, _) =>
        {
            protocol = ctx.Request.Protocol;
            return TestApiServer.WriteVersion(ctx);
        };
        using var client = new KubeClient(new ClusterConnection(server.Uri.ToString(), _certs.Trusted.CaPem), Fast);
        await client.GetVersionAsync();
        Assert.Equal("HTTP/2", protocol);
    }
}
