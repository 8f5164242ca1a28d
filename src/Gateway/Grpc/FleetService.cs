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
internal sealed class FleetService(ResourceService resources, TokenService tokens, EventService events, IHostApplicationLifetime lifetime)
    : V1.Fleet.FleetBase
{
    public override async Task<ApplyResponse> Apply(ApplyRequest request, ServerCallContext context)
    {
        var (kind, ns, name, body) = ProtoResources.ToBody(request.Object);
        var mode = request.CreateOnly ? WriteMode.Create : WriteMode.Replace;
        var result = await resources.WriteAsync(CallerInterceptor.CallerOf(context), kind, ns, mode == WriteMode.Create ? null : name, body, mode, context.CancellationToken, request.DryRun);
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
        var options = new ListOptions(Optional(request.LabelSelector), Optional(request.FieldSelector), request.Limit > 0 ? request.Limit : null, Optional(request.Continue));
        var page = await resources.ListPageAsync(CallerInterceptor.CallerOf(context), kind, Optional(request.Namespace), options, context.CancellationToken);
        var response = new ListResponse { Continue = page.Continue ?? "", ResourceVersion = page.ResourceVersion.ToString(CultureInfo.InvariantCulture) };
        response.Items.AddRange(page.Items.Select(ProtoResources.ToProto));
        return response;
    }

    public override async Task<DeleteResponse> Delete(DeleteRequest request, ServerCallContext context)
    {
        var kind = ProtoResources.KindOf(request.Kind);
        await resources.DeleteAsync(CallerInterceptor.CallerOf(context), kind, request.Namespace, request.Name, context.CancellationToken, request.DryRun);
        return new DeleteResponse();
    }

    public override async Task<Resource> Reconcile(ActionRequest request, ServerCallContext context) =>
        ProtoResources.ToProto(await resources.RequestReconcileAsync(CallerInterceptor.CallerOf(context), ProtoResources.KindOf(request.Kind), request.Namespace, request.Name, context.CancellationToken, request.DryRun));

    public override Task<Resource> Suspend(ActionRequest request, ServerCallContext context) => SetSuspendedAsync(request, context, suspend: true);

    public override Task<Resource> Resume(ActionRequest request, ServerCallContext context) => SetSuspendedAsync(request, context, suspend: false);

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

    public override async Task Watch(WatchRequest request, IServerStreamWriter<V1.WatchEvent> responseStream, ServerCallContext context)
    {
        var kind = ProtoResources.KindOf(request.Kind);
        using var stop = Stopping(context);
        // Opening checks the request (selectors, a resource version still in the change feed) before anything streams.
        var changes = await resources.WatchAsync(
            CallerInterceptor.CallerOf(context), kind, Optional(request.Namespace),
            new WatchOptions(Optional(request.LabelSelector), Optional(request.FieldSelector), Optional(request.ResourceVersion)), stop.Token);
        try
        {
            await foreach (var change in changes.WithCancellation(stop.Token))
            {
                await responseStream.WriteAsync(ProtoResources.ToProto(change), stop.Token);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Cancelled, past its deadline, or the host is stopping: the stream ends here.
        }
        catch (WatchTooSlowException ex)
        {
            throw GrpcErrors.TooSlow(ex);
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

    private async Task<Resource> SetSuspendedAsync(ActionRequest request, ServerCallContext context, bool suspend) =>
        ProtoResources.ToProto(await resources.SetSuspendedAsync(CallerInterceptor.CallerOf(context), ProtoResources.KindOf(request.Kind), request.Namespace, request.Name, suspend, context.CancellationToken, request.DryRun));

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
