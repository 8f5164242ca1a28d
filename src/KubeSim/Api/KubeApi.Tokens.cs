using System.Globalization;
using System.Text.Json.Nodes;
using Fleet.KubeSim.Json;
using Fleet.KubeSim.Store;

namespace Fleet.KubeSim.Api;

/// <summary>
/// The <c>token</c> subresource of ServiceAccounts (<c>authentication.k8s.io/v1</c> TokenRequest, create only): a
/// token for the account, which the cluster then accepts as a bearer token (see <see cref="ServiceAccountTokens"/>).
/// Defaults, limits and error wording are kube-apiserver 1.32's.
/// </summary>
internal sealed partial class KubeApi
{
    private const string AuthenticationGroup = "authentication.k8s.io";
    private const long DefaultTokenSeconds = 3600;
    private const long MinTokenSeconds = 600;
    private const long MaxTokenSeconds = 1L << 32;

    /// <summary>Issues and checks the cluster's service-account tokens (one signing key per server).</summary>
    public ServiceAccountTokens Tokens { get; } = new();

    internal static bool HasToken(ResourceType t) => t == BuiltinResources.ServiceAccounts;

    private ApiResponse CreateToken(SimCluster c, ApiTarget t, ApiRequest r)
    {
        var request = DecodeBody(r, allowYaml: true);
        var apiVersion = JsonUtil.Str(request["apiVersion"]);
        var kind = JsonUtil.Str(request["kind"]);
        if (kind is { Length: > 0 } && (kind != "TokenRequest" || (apiVersion is { Length: > 0 } && apiVersion != $"{AuthenticationGroup}/v1")))
        {
            var version = apiVersion is null ? string.Empty : apiVersion[(apiVersion.IndexOf('/', StringComparison.Ordinal) + 1)..];
            throw KubeException.BadRequest(
                $"{kind} in version \"{version}\" cannot be handled as a TokenRequest: converting ({version}.{kind}) to (authentication.TokenRequest): unknown conversion");
        }

        var spec = request["spec"] as JsonObject ?? [];
        var seconds = spec["expirationSeconds"] is null ? DefaultTokenSeconds : JsonUtil.Long(spec["expirationSeconds"])
            ?? throw KubeException.BadRequest("TokenRequest in version \"v1\" cannot be handled as a TokenRequest: spec.expirationSeconds: expected an integer");
        var problem = seconds < MinTokenSeconds ? "may not specify a duration less than 10 minutes"
            : seconds > MaxTokenSeconds ? "may not specify a duration larger than 2^32 seconds"
            : null;
        if (problem is not null)
        {
            var message = $"Invalid value: {seconds.ToString(CultureInfo.InvariantCulture)}: {problem}";
            throw new KubeException(422, "Invalid", $"TokenRequest.{AuthenticationGroup} \"\" is invalid: spec.expirationSeconds: {message}",
                new StatusDetails(null, AuthenticationGroup, "TokenRequest", [new StatusCause("FieldValueInvalid", message, "spec.expirationSeconds")]));
        }

        var audiences = spec["audiences"] is JsonArray asked && asked.Count > 0
            ? asked.Select(a => JsonUtil.Str(a) ?? string.Empty).ToList()
            : [ServiceAccountTokens.Issuer];
        byte[]? account;
        lock (c.Gate)
        {
            account = c.Get(t.Type.GroupResource, t.Namespace ?? string.Empty, t.Name!);
        }

        if (account is null)
        {
            throw KubeException.NotFound(t.Type, t.Name!);
        }

        var uid = JsonUtil.Str(JsonUtil.ParseObject(account)["metadata"]?["uid"]) ?? string.Empty;
        var now = _time.GetUtcNow();
        var issued = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, now.Second, TimeSpan.Zero);
        var lifetime = TimeSpan.FromSeconds(seconds);
        var fields = new JsonObject { ["f:expirationSeconds"] = new JsonObject() };
        foreach (var given in new[] { "audiences", "boundObjectRef" })
        {
            if (spec[given] is not null)
            {
                fields["f:" + given] = new JsonObject();
            }
        }

        var answer = new JsonObject
        {
            ["kind"] = "TokenRequest",
            ["apiVersion"] = $"{AuthenticationGroup}/v1",
            ["metadata"] = new JsonObject
            {
                ["name"] = t.Name,
                ["namespace"] = t.Namespace,
                ["creationTimestamp"] = FieldOwnership.Timestamp(issued),
                ["managedFields"] = new JsonArray(new JsonObject
                {
                    ["manager"] = FieldManager(r, "unknown"),
                    ["operation"] = "Update",
                    ["apiVersion"] = $"{AuthenticationGroup}/v1",
                    ["time"] = FieldOwnership.Timestamp(issued),
                    ["fieldsType"] = "FieldsV1",
                    ["fieldsV1"] = new JsonObject { ["f:spec"] = fields },
                    ["subresource"] = "token",
                }),
            },
            ["spec"] = new JsonObject
            {
                ["audiences"] = new JsonArray(audiences.Select(a => (JsonNode?)a).ToArray()),
                ["expirationSeconds"] = seconds,
                ["boundObjectRef"] = spec["boundObjectRef"]?.DeepClone(),
            },
            ["status"] = new JsonObject
            {
                ["token"] = Tokens.Issue(c.Name, t.Namespace!, t.Name!, uid, audiences, issued, lifetime),
                ["expirationTimestamp"] = FieldOwnership.Timestamp(issued + lifetime),
            },
        };
        return Json(201, answer);
    }
}
