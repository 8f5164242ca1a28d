using System.Security.Cryptography;
using System.Text;

namespace Fleet.Gateway.Security;

/// <summary>
/// The form of Fleet's bearer secrets: <c>fleet_&lt;id&gt;_&lt;secret&gt;</c> for API tokens and
/// <c>fleetreg_&lt;id&gt;_&lt;secret&gt;</c> for cluster registration tokens; the id is 16 hex digits (64 random bits,
/// the lookup key), the secret 64 hex digits (256 random bits). The recognisable prefix lets secret scanners find
/// leaked tokens and lets the gateway tell the two kinds apart without a database read.
/// </summary>
internal sealed record TokenSecret(string Prefix, string Id, string Value)
{
    public const string ApiPrefix = "fleet";
    public const string RegistrationPrefix = "fleetreg";
    private const int IdHexDigits = 16;
    private const int SecretHexDigits = 64;

    /// <summary>The whole bearer string. Shown to its owner once, at creation; never stored or logged.</summary>
    public string Text => $"{Prefix}_{Id}_{Value}";

    /// <summary>Redacted, so that a token that reaches a log by mistake does not reveal its secret.</summary>
    public override string ToString() => $"{Prefix}_{Id}_(redacted)";

    /// <summary>A new token of the given kind from the system's cryptographic random generator.</summary>
    public static TokenSecret New(string prefix) => new(
        prefix,
        Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(IdHexDigits / 2)),
        Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(SecretHexDigits / 2)));

    /// <summary>The token in <paramref name="text"/> when it has the form of <paramref name="prefix"/>, else null.</summary>
    public static TokenSecret? Parse(string? text, string prefix)
    {
        if (text is null)
        {
            return null;
        }
        var parts = text.Split('_');
        return parts.Length == 3 && parts[0] == prefix && IsHex(parts[1], IdHexDigits) && IsHex(parts[2], SecretHexDigits)
            ? new TokenSecret(prefix, parts[1], parts[2])
            : null;
    }

    /// <summary>
    /// What is stored: SHA-256 of the whole token, hex. A fast hash is enough here, unlike for passwords: the secret
    /// is 256 random bits, so a stolen hash cannot be reversed by guessing however fast each guess is, and a slow KDF
    /// (bcrypt, Argon2) would add tens of milliseconds to the check of every request whose token is not cached.
    /// </summary>
    public string Hash() => Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(Text)));

    /// <summary>Whether this token's hash is <paramref name="storedHash"/>, compared in constant time.</summary>
    public bool Matches(string storedHash) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Hash()), Encoding.ASCII.GetBytes(storedHash));

    private static bool IsHex(string s, int length) => s.Length == length && s.AsSpan().IndexOfAnyExcept("0123456789abcdef") < 0;
}
