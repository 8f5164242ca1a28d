using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Fleet.KubeSim.Json;
using Fleet.KubeSim.Store;

namespace Fleet.KubeSim.Api;

/// <summary>
/// Service-account tokens as kube-apiserver issues them through the TokenRequest API: JWTs whose claims name the
/// issuer, audiences, expiry and the service account (namespace, name, uid), plus the virtual cluster they were issued
/// for. KubeSim signs them with HS256 and a key made at start, where kube-apiserver signs RS256 with its service-account
/// key: clients never verify the signature, only the server does. Written by hand because a JWT of fixed claims is a
/// few lines and no token library is otherwise needed here.
/// A token authenticates requests to its own cluster only, until it expires or its service account is deleted (or
/// replaced by one of the same name: the uid must match), as bound tokens do.
/// </summary>
internal sealed class ServiceAccountTokens
{
    public const string Issuer = "https://kubernetes.default.svc.cluster.local";
    private const string ClusterClaim = "kubesim.fleet.dev/cluster";

    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly string _keyId = Base64Url(SHA256.HashData(RandomNumberGenerator.GetBytes(16)));

    /// <summary>A signed token for the service account, valid from <paramref name="now"/> for <paramref name="lifetime"/>.</summary>
    public string Issue(string cluster, string ns, string name, string uid, IEnumerable<string> audiences, DateTimeOffset now, TimeSpan lifetime)
    {
        var issuedAt = now.ToUnixTimeSeconds();
        var header = new JsonObject { ["alg"] = "HS256", ["kid"] = _keyId };
        var claims = new JsonObject
        {
            ["aud"] = new JsonArray(audiences.Select(a => (JsonNode?)a).ToArray()),
            ["exp"] = issuedAt + (long)lifetime.TotalSeconds,
            ["iat"] = issuedAt,
            ["iss"] = Issuer,
            ["jti"] = Guid.NewGuid().ToString(),
            ["kubernetes.io"] = new JsonObject
            {
                ["namespace"] = ns,
                ["serviceaccount"] = new JsonObject { ["name"] = name, ["uid"] = uid },
            },
            ["nbf"] = issuedAt,
            ["sub"] = $"system:serviceaccount:{ns}:{name}",
            [ClusterClaim] = cluster,
        };
        var unsigned = Base64Url(JsonUtil.ToBytes(header)) + "." + Base64Url(JsonUtil.ToBytes(claims));
        return unsigned + "." + Base64Url(HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes(unsigned)));
    }

    /// <summary>
    /// Whether <paramref name="token"/> is a token this server issued for cluster <paramref name="c"/> that has not
    /// expired and whose service account still exists with the same uid.
    /// </summary>
    public bool Authenticates(SimCluster c, string token, DateTimeOffset now)
    {
        var parts = token.Split('.');
        if (parts.Length != 3 || parts[0].Length == 0 || parts[1].Length == 0)
        {
            return false;
        }

        byte[] signature;
        try
        {
            signature = FromBase64Url(parts[2]);
        }
        catch (FormatException)
        {
            return false;
        }

        // The signature first: nothing of an unsigned token is parsed.
        var expected = HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]));
        if (!CryptographicOperations.FixedTimeEquals(signature, expected) || JsonNode.Parse(FromBase64Url(parts[1])) is not JsonObject claims)
        {
            return false;
        }

        if (JsonUtil.Str(claims[ClusterClaim]) != c.Name || JsonUtil.Long(claims["exp"]) is not { } exp || exp <= now.ToUnixTimeSeconds())
        {
            return false;
        }

        var account = claims["kubernetes.io"];
        var ns = JsonUtil.Str(account?["namespace"]);
        var name = JsonUtil.Str(account?["serviceaccount"]?["name"]);
        var uid = JsonUtil.Str(account?["serviceaccount"]?["uid"]);
        if (ns is null || name is null || uid is null)
        {
            return false;
        }

        byte[]? stored;
        lock (c.Gate)
        {
            stored = c.Get(BuiltinResources.ServiceAccounts.GroupResource, ns, name);
        }

        return stored is not null && JsonUtil.Str(JsonUtil.ParseObject(stored)["metadata"]?["uid"]) == uid;
    }

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '='));
    }
}
