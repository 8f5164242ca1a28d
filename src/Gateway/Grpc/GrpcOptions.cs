using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;

namespace Fleet.Gateway.Grpc;

/// <summary>
/// Where the gateway serves gRPC (section <c>Fleet:Grpc</c>): a port of its own, HTTP/2 only, cleartext (h2c) on
/// loopback by default and TLS once a certificate is configured.
/// </summary>
internal sealed class GrpcOptions
{
    public const string Section = "Fleet:Grpc";

    /// <summary>The default port (the REST API's default is 8080).</summary>
    public const int DefaultPort = 5081;

    /// <summary>Serve gRPC at all (default true, wherever the gateway runs).</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>The address to listen on: an IP address (default <c>127.0.0.1</c>), or <c>*</c> for every address.</summary>
    public string Address { get; init; } = "127.0.0.1";

    /// <summary>The port; 0 takes a free one (tests), read back from <see cref="GrpcEndpoint.Port"/>.</summary>
    public int Port { get; init; } = DefaultPort;

    /// <summary>A PEM (with <see cref="CertificateKeyPath"/>) or PKCS#12 certificate: when set, the port speaks TLS.</summary>
    public string? CertificatePath { get; init; }

    /// <summary>The PEM private key of <see cref="CertificatePath"/>.</summary>
    public string? CertificateKeyPath { get; init; }

    /// <summary>The password of a PKCS#12 certificate or of an encrypted PEM key.</summary>
    public string? CertificatePassword { get; init; }

    public bool Tls => !string.IsNullOrEmpty(CertificatePath);

    public static GrpcOptions From(IConfiguration? configuration)
    {
        var section = configuration?.GetSection(Section);
        if (section is null)
        {
            return new GrpcOptions();
        }
        var options = new GrpcOptions
        {
            Enabled = section["Enabled"] is not { Length: > 0 } enabled || Bool(enabled, "Enabled"),
            Address = section["Address"] is { Length: > 0 } address ? address : "127.0.0.1",
            Port = section["Port"] is { Length: > 0 } port ? Int(port, "Port") : DefaultPort,
            CertificatePath = section["Certificate:Path"],
            CertificateKeyPath = section["Certificate:KeyPath"],
            CertificatePassword = section["Certificate:Password"],
        };
        if (options.Port is < 0 or > 65535)
        {
            throw new InvalidOperationException($"Option {Section}:Port must be a port number (0-65535, 0 for a free one), not {options.Port}.");
        }
        if (options.Address != "*" && !IPAddress.TryParse(options.Address, out _))
        {
            throw new InvalidOperationException($"Option {Section}:Address must be an IP address or *, not \"{options.Address}\".");
        }
        if (!options.Tls && !string.IsNullOrEmpty(options.CertificateKeyPath))
        {
            throw new InvalidOperationException($"Option {Section}:Certificate:KeyPath is set without {Section}:Certificate:Path.");
        }
        return options;
    }

    private static bool Bool(string value, string name) =>
        bool.TryParse(value, out var b) ? b : throw new InvalidOperationException($"Option {Section}:{name} must be true or false, not \"{value}\".");

    private static int Int(string value, string name) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i)
            ? i
            : throw new InvalidOperationException($"Option {Section}:{name} must be a number, not \"{value}\".");
}
