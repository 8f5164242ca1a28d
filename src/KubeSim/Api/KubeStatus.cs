using System.Text.Json.Nodes;
using Fleet.KubeSim.Store;

namespace Fleet.KubeSim.Api;

/// <summary>One entry of <c>details.causes</c> in a Kubernetes <c>Status</c>.</summary>
internal sealed record StatusCause(string Type, string Message, string Field);

/// <summary>
/// An error that the API answers with a Kubernetes <c>Status</c> object (metav1.Status): the HTTP code,
/// the machine-readable reason and a message naming what is wrong.
/// </summary>
internal sealed class KubeException : Exception
{
    public KubeException(int code, string reason, string message, StatusDetails? details = null)
        : base(message)
    {
        Code = code;
        Reason = reason;
        Details = details;
    }

    public int Code { get; }

    public string Reason { get; }

    public StatusDetails? Details { get; }

    public static KubeException BadRequest(string message) => new(400, "BadRequest", message);

    public static KubeException NotFound(ResourceType r, string name) =>
        new(404, "NotFound", $"{r.QualifiedResource} \"{name}\" not found", new StatusDetails(name, r.Group, r.Plural));

    public static KubeException AlreadyExists(ResourceType r, string name) =>
        new(409, "AlreadyExists", $"{r.QualifiedResource} \"{name}\" already exists", new StatusDetails(name, r.Group, r.Plural));

    public static KubeException Conflict(ResourceType r, string name, string why) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {r.QualifiedResource} \"{name}\": {why}", new StatusDetails(name, r.Group, r.Plural));

    public static KubeException Invalid(ResourceType r, string kind, string name, IReadOnlyList<StatusCause> causes)
    {
        var what = string.Join(", ", causes.Select(c => $"{c.Field}: {c.Message}"));
        var qualifiedKind = r.Group.Length == 0 ? kind : $"{kind}.{r.Group}";
        var message = causes.Count == 1
            ? $"{qualifiedKind} \"{name}\" is invalid: {what}"
            : $"{qualifiedKind} \"{name}\" is invalid: [{what}]";
        return new(422, "Invalid", message, new StatusDetails(name, r.Group, kind, causes));
    }

    public static KubeException Gone(string message) => new(410, "Expired", message);

    public static KubeException ResourceNotFound() =>
        new(404, "NotFound", "the server could not find the requested resource");

    public static KubeException MethodNotAllowed(string method) =>
        new(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", new StatusDetails(null, null, null));
}

/// <summary><c>details</c> of a Kubernetes <c>Status</c>.</summary>
internal sealed record StatusDetails(string? Name, string? Group, string? Kind, IReadOnlyList<StatusCause>? Causes = null);

/// <summary>Builds <c>Status</c> objects, the body of every error and of successful immediate deletes.</summary>
internal static class KubeStatus
{
    public static JsonObject Failure(int code, string reason, string message, StatusDetails? details = null)
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = message,
        };
        if (reason.Length > 0)
        {
            status["reason"] = reason;
        }

        if (details is not null)
        {
            status["details"] = Details(details);
        }

        status["code"] = code;
        return status;
    }

    public static JsonObject Success(StatusDetails details) => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Success",
        ["details"] = Details(details),
    };

    public static JsonObject From(KubeException e) => Failure(e.Code, e.Reason, e.Message, e.Details);

    private static JsonObject Details(StatusDetails d)
    {
        var o = new JsonObject();
        if (d.Name is not null)
        {
            o["name"] = d.Name;
        }

        if (!string.IsNullOrEmpty(d.Group))
        {
            o["group"] = d.Group;
        }

        if (d.Kind is not null)
        {
            o["kind"] = d.Kind;
        }

        if (d.Causes is { Count: > 0 })
        {
            var causes = new JsonArray();
            foreach (var c in d.Causes)
            {
                causes.Add(new JsonObject { ["reason"] = c.Type, ["message"] = c.Message, ["field"] = c.Field });
            }

            o["causes"] = causes;
        }

        return o;
    }
}
