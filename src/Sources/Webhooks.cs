using System.Security.Cryptography;
using System.Text;

namespace Fleet.Sources;

/// <summary>What the gateway does with a webhook request.</summary>
public enum WebhookResult
{
    /// <summary>Authentic and wanted: fetch the receiver's sources now.</summary>
    Accept,

    /// <summary>Authentic GitHub ping: answer 200, fetch nothing.</summary>
    Ping,

    /// <summary>Signature or token missing or wrong: answer 401, fetch nothing.</summary>
    Unauthorized,

    /// <summary>Authentic, but the event is not in the receiver's <c>events</c>: answer 200, fetch nothing.</summary>
    EventIgnored,
}

public sealed record WebhookVerification(WebhookResult Result, string Reason);

/// <summary>
/// Webhook receivers as Flux's notification-controller defines them, as pure functions: the
/// unguessable hook path, and per receiver type the check of a request's headers and body.
/// </summary>
public static class Webhooks
{
    public const string GitHub = "github";
    public const string GitLab = "gitlab";
    public const string Generic = "generic";
    public const string GenericHmac = "generic-hmac";

    public static IReadOnlyList<string> SupportedTypes { get; } = [Generic, GenericHmac, GitHub, GitLab];

    /// <summary>The hook id as Flux makes it: lowercase hex of sha256(token + name + namespace).</summary>
    public static string HookId(string token, string name, string @namespace)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(@namespace);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token + name + @namespace)));
    }

    /// <summary>The receiver's path, <c>/hook/&lt;id&gt;</c>, for its status.</summary>
    public static string HookPath(string token, string name, string @namespace) => "/hook/" + HookId(token, name, @namespace);

    /// <summary>Checks one request against a receiver.</summary>
    /// <param name="type">The receiver's <c>spec.type</c>.</param>
    /// <param name="token">The <c>token</c> of the receiver's secret.</param>
    /// <param name="events">The receiver's <c>spec.events</c>; empty accepts every event.</param>
    /// <param name="header">Looks a request header up by name (case-insensitively), null when absent.</param>
    /// <param name="body">The raw request body.</param>
    public static WebhookVerification Verify(string type, string token, IReadOnlyCollection<string> events, Func<string, string?> header, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(header);
        switch (type)
        {
            case Generic:
                return new(WebhookResult.Accept, "generic receivers accept every request");

            case GenericHmac:
            {
                var signature = header("X-Signature");
                if (string.IsNullOrEmpty(signature))
                {
                    return new(WebhookResult.Unauthorized, "the X-Signature header is missing");
                }

                return CheckHmac(signature, token, body, "X-Signature") ?? new(WebhookResult.Accept, "signature verified");
            }

            case GitHub:
            {
                var signature = header("X-Hub-Signature-256");
                var headerName = "X-Hub-Signature-256";
                if (string.IsNullOrEmpty(signature))
                {
                    signature = header("X-Hub-Signature");
                    headerName = "X-Hub-Signature";
                }

                if (string.IsNullOrEmpty(signature))
                {
                    return new(WebhookResult.Unauthorized, "the X-Hub-Signature-256 header is missing");
                }

                if (CheckHmac(signature, token, body, headerName) is { } failed)
                {
                    return failed;
                }

                var githubEvent = header("X-GitHub-Event") ?? string.Empty;
                if (githubEvent == "ping")
                {
                    return new(WebhookResult.Ping, "GitHub ping answered");
                }

                return FilterEvent(events, githubEvent);
            }

            case GitLab:
            {
                var given = header("X-Gitlab-Token");
                if (string.IsNullOrEmpty(given))
                {
                    return new(WebhookResult.Unauthorized, "the X-Gitlab-Token header is missing");
                }

                if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(token)))
                {
                    return new(WebhookResult.Unauthorized, "the X-Gitlab-Token header does not match the receiver's token");
                }

                return FilterEvent(events, header("X-Gitlab-Event") ?? string.Empty);
            }

            default:
                return new(WebhookResult.Unauthorized, $"receiver type '{type}' is not supported (supported: {string.Join(", ", SupportedTypes)})");
        }
    }

    /// <summary>The <c>sha256=&lt;hex&gt;</c> signature a sender computes over <paramref name="body"/>.</summary>
    public static string Sign(string token, ReadOnlySpan<byte> body, string algorithm = "sha256")
    {
        var key = Encoding.UTF8.GetBytes(token);
        var mac = algorithm switch
        {
            "sha1" => HMACSHA1.HashData(key, body),
            "sha256" => HMACSHA256.HashData(key, body),
            "sha512" => HMACSHA512.HashData(key, body),
            _ => throw new ArgumentException($"unsupported algorithm '{algorithm}'", nameof(algorithm)),
        };
        return algorithm + "=" + Convert.ToHexStringLower(mac);
    }

    private static WebhookVerification FilterEvent(IReadOnlyCollection<string> events, string name)
    {
        if (events.Count == 0 || events.Any(e => string.Equals(e, name, StringComparison.OrdinalIgnoreCase)))
        {
            return new(WebhookResult.Accept, name.Length == 0 ? "request verified" : $"event '{name}' verified");
        }

        return new(WebhookResult.EventIgnored, $"event '{name}' is not in the receiver's events");
    }

    /// <summary>Null when <paramref name="signature"/> (<c>algo=hex</c>) is the HMAC of the body; else why not.</summary>
    private static WebhookVerification? CheckHmac(string signature, string token, ReadOnlySpan<byte> body, string headerName)
    {
        var eq = signature.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
        {
            return new(WebhookResult.Unauthorized, $"the {headerName} header is not of the form <algorithm>=<hex>");
        }

        var algorithm = signature[..eq].Trim().ToLowerInvariant();
        if (algorithm is not ("sha1" or "sha256" or "sha512"))
        {
            return new(WebhookResult.Unauthorized, $"the {headerName} header names an unsupported algorithm '{algorithm}'");
        }

        byte[] given;
        try
        {
            given = Convert.FromHexString(signature[(eq + 1)..].Trim());
        }
        catch (FormatException)
        {
            return new(WebhookResult.Unauthorized, $"the {headerName} header's signature is not hexadecimal");
        }

        var expected = Convert.FromHexString(Sign(token, body, algorithm)[(algorithm.Length + 1)..]);
        return CryptographicOperations.FixedTimeEquals(given, expected)
            ? null
            : new(WebhookResult.Unauthorized, $"the {headerName} signature does not match the body");
    }
}
