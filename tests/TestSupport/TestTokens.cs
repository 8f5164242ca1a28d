using System.Security.Cryptography;

namespace Fleet.TestSupport;

/// <summary>
/// The admin API token of every silo the tests and benchmarks start, given to it as
/// <c>Fleet:Gateway:BootstrapAdminToken</c> (a real, hashed token; the option is ignored once an admin token exists).
/// It has the gateway's form, <c>fleet_&lt;16 hex&gt;_&lt;64 hex&gt;</c>, and is new for each test run.
/// </summary>
public static class TestTokens
{
    public static string Admin { get; } =
        $"fleet_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32))}";

    /// <summary>The argument that makes a silo create <see cref="Admin"/>.</summary>
    public static string AdminArgument => $"--Fleet:Gateway:BootstrapAdminToken={Admin}";
}
