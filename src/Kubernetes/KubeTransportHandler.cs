using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Authentication;
using Microsoft.Extensions.Logging;

namespace Fleet.Kubernetes;

/// <summary>
/// The delegating handler Fleet puts in front of KubernetesClient's own pipeline (its SocketsHttpHandler with the
/// credentials, client certificate and TLS settings of the <c>KubernetesClientConfiguration</c>): client-go's token
/// bucket, a per-attempt time-out, and retries on 429, 5xx and connection errors honouring Retry-After. KubernetesClient
/// ships no retry or rate limit of its own (it leaves them to the caller's handlers), so these few rules are Fleet's.
/// Transport failures leave as <see cref="KubeConnectionException"/> naming the server, never a credential.
/// </summary>
internal sealed class KubeTransportHandler : DelegatingHandler
{
    private static readonly MediaTypeWithQualityHeaderValue JsonAccept = new("application/json");
    private readonly KubeClientOptions _options;
    private readonly TokenBucket? _limiter;
    private readonly TlsRejections _tls;
    private readonly Uri _server;
    private readonly ILogger _logger;
    private long _requests;

    public KubeTransportHandler(KubeClientOptions options, TlsRejections tls, Uri server, ILogger logger)
    {
        _options = options;
        _tls = tls;
        _server = server;
        _logger = logger;
        if (options.Qps > 0)
        {
            _limiter = new TokenBucket(options.Qps, options.Burst, options.TimeProvider);
        }
    }

    /// <summary>HTTP requests sent so far (every attempt counts).</summary>
    public long Requests => Interlocked.Read(ref _requests);

    public TokenBucket? RateLimiter => _limiter;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Headers.Accept.Count == 0)
        {
            request.Headers.Accept.Add(JsonAccept);
        }
        var uri = request.RequestUri!;
        var operation = $"{request.Method} {uri.AbsolutePath}";
        // A watch stays open for minutes: only its connection attempt is bounded, by ConnectTimeout.
        var watch = uri.Query.Contains("watch=true", StringComparison.Ordinal);
        for (var attempt = 1; ; attempt++)
        {
            if (_limiter is not null)
            {
                await _limiter.TakeAsync(cancellationToken).ConfigureAwait(false);
            }
            Interlocked.Increment(ref _requests);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (!watch)
            {
                timeout.CancelAfter(_options.RequestTimeout);
            }
            TimeSpan? retryAfter = null;
            string reason;
            try
            {
                // The same message is sent again on retry: below HttpClient a request may be re-sent, and its
                // content (a string) can be read again.
                var response = await base.SendAsync(request, timeout.Token).ConfigureAwait(false);
                var code = (int)response.StatusCode;
                if (!IsRetryable(code) || attempt > _options.MaxRetries)
                {
                    if (!watch && response.IsSuccessStatusCode)
                    {
                        // Read the body within this attempt's time-out, as one request.
                        await response.Content.LoadIntoBufferAsync(timeout.Token).ConfigureAwait(false);
                    }
                    return response;
                }
                retryAfter = RetryAfter(response);
                reason = $"HTTP {code}";
                response.Dispose();
            }
            catch (HttpRequestException ex) when (ex.InnerException is not AuthenticationException && attempt <= _options.MaxRetries &&
                !cancellationToken.IsCancellationRequested)
            {
                reason = ex.Message;
            }
            catch (HttpRequestException ex)
            {
                throw ConnectionError(ex, operation, attempt);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                if (attempt > _options.MaxRetries)
                {
                    throw new KubeConnectionException(ConnectionFailure.Unreachable,
                        $"{operation} on {_server}: no answer within {_options.RequestTimeout.TotalSeconds:0.#}s (after {attempt} attempts)");
                }
                reason = "time-out";
            }
            var delay = BackoffDelay(attempt, retryAfter);
            Log.Retrying(_logger, operation, _server, reason, attempt, (long)delay.TotalMilliseconds);
            await Task.Delay(delay, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
        }
    }

    internal static bool IsRetryable(int code) => code is 429 or 500 or 502 or 503 or 504;

    internal TimeSpan BackoffDelay(int attempt, TimeSpan? retryAfter)
    {
        if (retryAfter is { } ra)
        {
            return ra < TimeSpan.Zero ? TimeSpan.Zero : ra > _options.MaxRetryDelay ? _options.MaxRetryDelay : ra;
        }
        var exp = _options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 16));
        // Full jitter in the upper half, so that many clients retrying together spread out.
        var jittered = (exp / 2) + (Random.Shared.NextDouble() * exp / 2);
        return TimeSpan.FromMilliseconds(Math.Min(jittered, _options.MaxRetryDelay.TotalMilliseconds));
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta;
        }
        if (header?.Date is { } date)
        {
            return date - _options.TimeProvider.GetUtcNow();
        }
        return null;
    }

    private KubeConnectionException ConnectionError(HttpRequestException ex, string operation, int attempts)
    {
        var attemptsText = attempts > 1 ? $" (after {attempts} attempts)" : "";
        if (ex.InnerException is AuthenticationException auth)
        {
            return new KubeConnectionException(ConnectionFailure.Tls, $"{operation} on {_server}: TLS handshake failed: {_tls.Last ?? auth.Message}", ex);
        }
        var cause = ex.InnerException is SocketException se ? se.SocketErrorCode.ToString() : ex.Message;
        return new KubeConnectionException(ConnectionFailure.Unreachable, $"{operation} on {_server}: cannot connect: {cause}{attemptsText}", ex);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
    }
}

/// <summary>Why the last server certificate was refused, for the error message (the TLS stack only says that it was).</summary>
internal sealed class TlsRejections
{
    private volatile string? _last;

    public string? Last
    {
        get => _last;
        set => _last = value;
    }
}
