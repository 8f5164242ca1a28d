using Fleet.Gateway.Serialization;
using System.Text.Json.Nodes;
using Fleet.Gateway.Services;

namespace Fleet.Gateway.Apis;

/// <summary>Answers of the token, audit and registration endpoints: JSON, or the problem+json of a service failure.</summary>
internal static class AccessResults
{
    public static async Task<IResult> Run(Func<Task<IResult>> body)
    {
        try
        {
            return await body();
        }
        catch (ApiException ex)
        {
            return Problems.From(ex);
        }
    }

    public static IResult Ok(JsonNode node) => Results.Text(node.ToApiJson(), "application/json");

    public static IResult Created(JsonNode node) => Results.Text(node.ToApiJson(), "application/json", statusCode: StatusCodes.Status201Created);

    public static JsonObject Status(string kind, string? ns, string name) => new()
    {
        ["kind"] = "Status",
        ["status"] = "Success",
        ["details"] = new JsonObject { ["kind"] = kind, ["namespace"] = ns, ["name"] = name },
    };

    public static JsonObject List(string kind, IEnumerable<JsonObject> items) => new() { ["kind"] = kind, ["items"] = new JsonArray(items.ToArray<JsonNode?>()) };
}
