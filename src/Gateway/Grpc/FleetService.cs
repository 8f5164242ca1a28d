using System.Globalization;
using Fleet.Gateway.Grpc.V1;
using Fleet.Gateway.Services;
using Fleet.Store;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Hosting;

namespace Fleet.Gateway.Grpc;

/// <summary>
/// The gRPC face of the service layer (<c>fleet.v1.Fleet</c>): each call turns its message into a service call with
/// the caller <see cref="CallerInterceptor"/> authenticated, and the result back into messages. Rules (roles,
/// namespaces, validation) live in the services, as for REST.
/// </summary>
internal sealed class FleetService(ResourceService resources, TokenService tokens, ResourceWatchService watches, EventService events, IHostApplicationLifetime lifetime)
    : V1.Fleet.FleetBase
{
    public override async Task<ApplyResponse> Apply(ApplyRequest request, ServerCallContext context)
    {
        var (kind, ns, name, body) = ProtoResources.ToBody(request.Object);
        var mode = request.CreateOnly ? WriteMode.Create : WriteMode.Replace;
        var result = await resources.WriteAsync(CallerInterceptor.CallerOf(context), kind, ns, mode == WriteMode.Create ? null : name, body, mode, context.CancellationToken);
        return new ApplyResponse { Object = ProtoResources.ToProto(result.Object), Created = result.Created };
    }

    public override async Task<Resource> Get(GetRequest request, ServerCallContext context)
    {
        var kind = ProtoResources.KindOf(request.Kind);
        return ProtoResources.ToProto(await resources.GetAsync(CallerInterceptor.CallerOf(context), kind, request.Namespace, request.Name, context.CancellationToken));
    }

    public override async Task<ListResponse> List(ListRequest request, ServerCallContext context)
    {
        var kind = ProtoResources.KindOf(request.Kind);
        var items = await resources.ListAsync(CallerInterceptor.CallerOf(context), kind, Optional(request.Namespace), Optional(request.LabelSelector), context.CancellationToken);
        var response = new ListResponse();
        response.Items.AddRange(items.Select(ProtoResources.ToProto));
        return response;
    }

    public override async Task<DeleteResponse> Delete(DeleteRequest request, ServerCallContext context)
    {
        var kind = ProtoResources.KindOf(request.Kind);
        await resources.DeleteAsync(CallerInterceptor.CallerOf(context), kind, request.Namespace, request.Name, context.CancellationToken);
        return new DeleteResponse();
    }

    public override async Task<RegisterResponse> Register(RegisterRequest request, ServerCallContext context)
    {
        var bearer = CallerInterceptor.BearerToken(context);
        // The token is checked before the request is: a wrong token learns nothing about the request's rules.
        CallerInterceptor.SetCaller(context, await tokens.CheckRegistrationAsync(bearer, context.CancellationToken));
        var registered = await tokens.RegisterClusterAsync(
            bearer,
            new ClusterRegistration(request.Name, Optional(request.Server), Optional(request.CaData), Optional(request.Token), request.Labels),
            context.CancellationToken);
        return new RegisterResponse { Cluster = ProtoResources.ToProto(registered.Cluster).Cluster, Secret = registered.Secret.Name };
    }

    public override async Task Watch(WatchRequest request, IServerStreamWriter<WatchEvent> responseStream, ServerCallContext context)
    {
        var kind = ProtoResources.KindOf(request.Kind);
        long? from = null;
        if (request.ResourceVersion.Length > 0)
        {
            from = long.TryParse(request.ResourceVersion, NumberStyles.None, CultureInfo.InvariantCulture, out var v)
                ? v
                : throw GrpcErrors.Invalid("resource_version", $"\"{request.ResourceVersion}\" is not a resource version");
        }
        using var stop = Stopping(context);
        try
        {
            await foreach (var change in watches.WatchAsync(CallerInterceptor.CallerOf(context), kind, Optional(request.Namespace), Optional(request.LabelSelector), from, stop.Token))
            {
                await responseStream.WriteAsync(ProtoResources.ToProto(change), stop.Token);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Cancelled, past its deadline, or the host is stopping: the stream ends here.
        }
    }

    public override async Task WatchEvents(WatchEventsRequest request, IServerStreamWriter<Event> responseStream, ServerCallContext context)
    {
        var query = new EventQuery(Optional(request.Namespace), Optional(request.InvolvedKind), Optional(request.InvolvedName), null, request.After);
        using var stop = Stopping(context);
        try
        {
            await foreach (var e in events.WatchAsync(CallerInterceptor.CallerOf(context), query, stop.Token))
            {
                await responseStream.WriteAsync(ToProto(e), stop.Token);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Cancelled, past its deadline, or the host is stopping: the stream ends here.
        }
    }

    private static Event ToProto(FleetEvent e) => new()
    {
        Sequence = e.Sequence,
        Namespace = e.Namespace,
        InvolvedKind = e.InvolvedKind,
        InvolvedName = e.InvolvedName,
        Type = e.Type.ToString(),
        Reason = e.Reason,
        Message = e.Message,
        Time = Timestamp.FromDateTimeOffset(e.Time),
    };

    /// <summary>A stream ends when the client cancels, its deadline passes, or the host stops (SIGTERM must not wait for open streams).</summary>
    private CancellationTokenSource Stopping(ServerCallContext context) =>
        CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);

    private static string? Optional(string value) => value.Length == 0 ? null : value;
}
