using System.Diagnostics.Metrics;
using Fleet.Gateway.Services;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Fleet.Gateway.Grpc;

/// <summary>
/// Authenticates every call of the Fleet service from its <c>authorization: Bearer ...</c> metadata through the same
/// <see cref="IApiAuthenticator"/> as REST, leaves the <see cref="Caller"/> for the service, and turns service failures
/// (<see cref="ApiException"/>) into gRPC statuses. Reflection and health answer without a token.
/// </summary>
internal sealed class CallerInterceptor(IApiAuthenticator authenticator, GrpcStreams streams) : Interceptor
{
    private const string UserStateKey = "fleet.caller";

    /// <summary>The caller this interceptor authenticated for the call.</summary>
    public static Caller CallerOf(ServerCallContext context) => (Caller)context.UserState[UserStateKey];

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await AuthenticateAsync(context);
            return await continuation(request, context);
        }
        catch (ApiException ex)
        {
            throw GrpcErrors.From(ex);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        using var open = streams.Track();
        try
        {
            await AuthenticateAsync(context);
            await continuation(request, responseStream, context);
        }
        catch (ApiException ex)
        {
            throw GrpcErrors.From(ex);
        }
    }

    private async Task AuthenticateAsync(ServerCallContext context)
    {
        var header = context.RequestHeaders.GetValue("authorization");
        const string scheme = "Bearer ";
        var token = header is not null && header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? header[scheme.Length..].Trim() : null;
        context.UserState[UserStateKey] = await authenticator.AuthenticateAsync(token, context.CancellationToken);
    }
}

/// <summary>Open server streams (Watch, WatchEvents), as the gauge <c>fleet_grpc_streams</c>: a cancelled stream leaves it at once.</summary>
internal sealed class GrpcStreams : IDisposable
{
    private readonly Meter _meter = new("Fleet.Gateway.Grpc");
    private int _open;

    public GrpcStreams() =>
        _meter.CreateObservableUpDownCounter("fleet_grpc_streams", () => Volatile.Read(ref _open), description: "gRPC server streams (Watch, WatchEvents) open now.");

    /// <summary>Streams open now.</summary>
    public int Count => Volatile.Read(ref _open);

    /// <summary>Counts a stream until the result is disposed.</summary>
    public IDisposable Track()
    {
        Interlocked.Increment(ref _open);
        return new Closer(this);
    }

    public void Dispose() => _meter.Dispose();

    private sealed class Closer(GrpcStreams streams) : IDisposable
    {
        private int _closed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0)
            {
                Interlocked.Decrement(ref streams._open);
            }
        }
    }
}
