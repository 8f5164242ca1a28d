using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Fleet.KubeSim.Hosting;

/// <summary>A throwaway CA and a serving certificate it signs for 127.0.0.1/localhost (and any host given).</summary>
internal sealed class SelfSignedCa : IDisposable
{
    private SelfSignedCa(X509Certificate2 ca, X509Certificate2 server)
    {
        Ca = ca;
        Server = server;
    }

    public X509Certificate2 Ca { get; }

    public X509Certificate2 Server { get; }

    public string CaPem => Ca.ExportCertificatePem();

    public static SelfSignedCa Create(IEnumerable<string> extraHosts, DateTimeOffset now)
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=kubesim-ca", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddYears(5));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=kubesim", serverKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.IPv6Loopback);
        san.AddDnsName("localhost");
        foreach (var host in extraHosts.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (IPAddress.TryParse(host, out var ip))
            {
                if (!ip.Equals(IPAddress.Any) && !ip.Equals(IPAddress.Loopback))
                {
                    san.AddIpAddress(ip);
                }
            }
            else if (host is not ("localhost" or "*" or "+"))
            {
                san.AddDnsName(host);
            }
        }

        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var signed = request.Create(ca, now.AddDays(-1), now.AddYears(1), serial);
        using var withKey = signed.CopyWithPrivateKey(serverKey);

        // SslStream on Linux needs the key in an exportable, loadable form: round-trip through PKCS#12.
        var server = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        return new SelfSignedCa(ca, server);
    }

    public void Dispose()
    {
        Ca.Dispose();
        Server.Dispose();
    }
}
