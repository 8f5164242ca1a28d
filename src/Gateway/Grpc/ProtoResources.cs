using System.Text.Json.Nodes;
using Fleet.Abstractions.Resources;
using Fleet.Gateway.Grpc.V1;
using Fleet.Gateway.Resources;
using Fleet.Gateway.Services;
using Fleet.Store;
using Google.Protobuf;
using ObjectMeta = Fleet.Gateway.Grpc.V1.ObjectMeta;
using ProtoKind = Fleet.Gateway.Grpc.V1.Kind;

namespace Fleet.Gateway.Grpc;

/// <summary>
/// Converts between the typed messages of <c>fleet.proto</c> and the REST form of objects. The messages are laid out
/// so that their proto3 JSON is the REST form (camelCase fields, the same nesting), so each direction is one JSON
/// round trip through Google.Protobuf's formatter and parser, and the REST rules (validation, write-only Secrets)
/// apply unchanged.
/// </summary>
internal static class ProtoResources
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default);

    public static ResourceKind KindOf(ProtoKind kind, string field = "kind") => kind switch
    {
        ProtoKind.Cluster => ResourceKinds.Cluster,
        ProtoKind.GitRepository => ResourceKinds.GitRepository,
        ProtoKind.Application => ResourceKinds.Application,
        ProtoKind.Receiver => ResourceKinds.Receiver,
        ProtoKind.Placement => ResourceKinds.Placement,
        ProtoKind.Secret => ResourceKinds.Secret,
        _ => throw GrpcErrors.Invalid(field, "required: one of CLUSTER, GIT_REPOSITORY, APPLICATION, RECEIVER, PLACEMENT, SECRET"),
    };

    /// <summary>A stored object as its typed message (Secrets with their keys only).</summary>
    public static Resource ToProto(StoredResource stored)
    {
        var json = ApiObject.From(stored);
        json.Remove("apiVersion");
        json.Remove("kind");
        var text = json.ToJsonString();
        return stored.Kind switch
        {
            "Cluster" => new Resource { Cluster = Parser.Parse<Cluster>(text) },
            "GitRepository" => new Resource { GitRepository = Parser.Parse<GitRepository>(text) },
            "Application" => new Resource { Application = Parser.Parse<Application>(text) },
            "Receiver" => new Resource { Receiver = Parser.Parse<Receiver>(text) },
            "Placement" => new Resource { Placement = Parser.Parse<Placement>(text) },
            "Secret" => new Resource { Secret = Parser.Parse<Secret>(text) },
            _ => throw new InvalidOperationException($"the store holds a {stored.Kind}, which fleet.proto does not know"),
        };
    }

    /// <summary>The identity of a deleted object: its metadata only.</summary>
    public static Resource Identity(ResourceKind kind, string ns, string name, long resourceVersion)
    {
        var meta = new ObjectMeta { Namespace = ns, Name = name, ResourceVersion = resourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        return kind.Kind switch
        {
            "Cluster" => new Resource { Cluster = new Cluster { Metadata = meta } },
            "GitRepository" => new Resource { GitRepository = new GitRepository { Metadata = meta } },
            "Application" => new Resource { Application = new Application { Metadata = meta } },
            "Receiver" => new Resource { Receiver = new Receiver { Metadata = meta } },
            "Placement" => new Resource { Placement = new Placement { Metadata = meta } },
            _ => new Resource { Secret = new Secret { Metadata = meta } },
        };
    }

    /// <summary>A message to write, as the REST body the service reads: its kind, namespace, name and JSON object.</summary>
    public static (ResourceKind Kind, string Namespace, string Name, JsonObject Body) ToBody(Resource? resource)
    {
        var (kind, message, meta) = Parts(resource);
        if (meta is null)
        {
            throw GrpcErrors.Invalid("metadata", "required: an object with at least a name and a namespace");
        }
        if (string.IsNullOrEmpty(meta.Namespace))
        {
            throw GrpcErrors.Invalid("metadata.namespace", "required");
        }
        var body = JsonNode.Parse(Formatter.Format(message))!.AsObject();
        // Status is Fleet's to write, and the server sets these metadata fields itself.
        body.Remove("status");
        if (body["metadata"] is JsonObject m)
        {
            m.Remove("generation");
            m.Remove("uid");
            m.Remove("creationTimestamp");
        }
        body["apiVersion"] = FleetApi.ApiVersion;
        body["kind"] = kind.Kind;
        return (kind, meta.Namespace, meta.Name, body);
    }

    private static (ResourceKind Kind, IMessage Message, ObjectMeta? Meta) Parts(Resource? resource) => resource?.KindCase switch
    {
        Resource.KindOneofCase.Cluster => (ResourceKinds.Cluster, resource.Cluster, resource.Cluster.Metadata),
        Resource.KindOneofCase.GitRepository => (ResourceKinds.GitRepository, resource.GitRepository, resource.GitRepository.Metadata),
        Resource.KindOneofCase.Application => (ResourceKinds.Application, resource.Application, resource.Application.Metadata),
        Resource.KindOneofCase.Receiver => (ResourceKinds.Receiver, resource.Receiver, resource.Receiver.Metadata),
        Resource.KindOneofCase.Placement => (ResourceKinds.Placement, resource.Placement, resource.Placement.Metadata),
        Resource.KindOneofCase.Secret => (ResourceKinds.Secret, resource.Secret, resource.Secret.Metadata),
        _ => throw GrpcErrors.Invalid("object", "required: one of cluster, git_repository, application, receiver, secret"),
    };

    public static V1.WatchEvent ToProto(Services.WatchEvent e) => new()
    {
        Type = e.Type switch
        {
            WatchEventType.Added => V1.WatchEvent.Types.Type.Added,
            WatchEventType.Deleted => V1.WatchEvent.Types.Type.Deleted,
            _ => V1.WatchEvent.Types.Type.Modified,
        },
        Object = e.Type == WatchEventType.Deleted
            ? Identity(ResourceKinds.ByKind(e.Object.Kind)!, e.Object.Namespace, e.Object.Name, e.Object.ResourceVersion)
            : ToProto(e.Object),
        ResourceVersion = e.Object.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
