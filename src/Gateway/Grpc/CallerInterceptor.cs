using System.Diagnostics.Metrics;
using Fleet.Gateway.Grpc.V1;
using Fleet.Gateway.Services;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Fleet.Gateway.Grpc;

/// <summary>
/// Authenticates every call of the Fleet service from its <c>authorization: Bearer ...</c> metadata through the same
/// <see cref="IApiAuthenticator"/> as REST (Register checks its registration token itself), leaves the
/// <see cref="Caller"/> for the service, records mutating calls in the audit log as REST does, and turns service
/// failures (<see cref="ApiException"/>) into gRPC statuses. Reflection and health answer without a token.
/// </summary>
internal sealed class CallerInterceptor(IApiAuthenticator authenticator, AuditService audit, GrpcStreams streams) : Interceptor
{
    private const string UserStateKey = "fleet.caller";

    /// <summary>The methods that change something, and the verb their audit entries carry.</summary>
    private static readonly Dictionary<string, string> Mutating = new(StringComparer.Ordinal)
    {
        [$"/{V1.Fleet.Descriptor.FullName}/Apply"] = "apply",
        [$"/{V1.Fleet.Descriptor.FullName}/Delete"] = "delete",
        [$"/{V1.Fleet.Descriptor.FullName}/Register"] = "register",
        [$"/{V1.Fleet.Descriptor.FullName}/Reconcile"] = "reconcile",
        [$"/{V1.Fleet.Descriptor.FullName}/Suspend"] = "suspend",
        [$"/{V1.Fleet.Descriptor.FullName}/Resume"] = "resume",
    };

    private static readonly string RegisterMethod = $"/{V1.Fleet.Descriptor.FullName}/Register";

    /// <summary>The caller this interceptor authenticated for the call.</summary>
    public static Caller CallerOf(ServerCallContext context) => (Caller)context.UserState[UserStateKey];

    /// <summary>Sets the caller of a call that authenticates itself (Register), for the audit log.</summary>
    public static void SetCaller(ServerCallContext context, Caller caller) => context.UserState[UserStateKey] = caller;

    /// <summary>The token of the call's <c>authorization: Bearer</c> metadata, or null.</summary>
    public static string? BearerToken(ServerCallContext context)
    {
        var header = context.RequestHeaders.GetValue("authorization");
        const string scheme = "Bearer ";
        return header is not null && header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? header[scheme.Length..].Trim() : null;
    }

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        var scope = Mutating.ContainsKey(context.Method) ? AuditScope.Begin() : null;
        var status = StatusCodes.Status200OK;
        try
        {
            if (context.Method != RegisterMethod)
            {
                await AuthenticateAsync(context);
            }
            var response = await continuation(request, context);
            status = response is ApplyResponse { Created: true } or RegisterResponse ? StatusCodes.Status201Created : StatusCodes.Status200OK;
            return response;
        }
        catch (ApiException ex)
        {
            status = GrpcErrors.HttpStatusOf(ex.Kind);
            throw GrpcErrors.From(ex);
        }
        catch (Exception)
        {
            status = StatusCodes.Status500InternalServerError;
            throw;
        }
        finally
        {
            if (scope is not null && context.UserState.TryGetValue(UserStateKey, out var value) && value is Caller caller)
            {
                // Recorded even when the client has gone away: the change may have been made.
                await audit.RecordAsync(caller, scope.Verb ?? Mutating[context.Method], scope.Kind ?? "", scope.Namespace ?? "", scope.Name ?? "", status, CancellationToken.None);
            }
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

    private async Task AuthenticateAsync(ServerCallContext context) =>
        SetCaller(context, await authenticator.AuthenticateAsync(BearerToken(context), context.CancellationToken));
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
