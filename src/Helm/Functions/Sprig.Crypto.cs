using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Fleet.Helm.Template;

namespace Fleet.Helm.Functions;

/// <summary>Sprig's certificate value: .Cert and .Key as PEM.</summary>
internal sealed class GoCertificate(string cert, string key) : GoObject
{
    public string Cert { get; } = cert;

    public string Key { get; } = key;

    public override string GoType => "sprig.certificate";

    public override bool TryGetField(string name, out object? value)
    {
        value = name switch { "Cert" => Cert, "Key" => Key, _ => null };
        return value is not null;
    }

    public override string FormatValue() => "{" + Cert + " " + Key + "}";
}

internal static partial class Sprig
{
    private static void RegisterCrypto(Dictionary<string, TemplateFunc> f)
    {
        f["genPrivateKey"] = S1(GenPrivateKey);
        f["genCA"] = TemplateFunc.Fixed(2, a => GenCa(GoValues.Str(a[0]), GoValues.Int(a[1]), null));
        f["genCAWithKey"] = TemplateFunc.Fixed(3, a => GenCa(GoValues.Str(a[0]), GoValues.Int(a[1]), GoValues.Str(a[2])));
        f["genSelfSignedCert"] = TemplateFunc.Fixed(4, a => GenCert(GoValues.Str(a[0]), a[1], a[2], GoValues.Int(a[3]), null, null));
        f["genSelfSignedCertWithKey"] = TemplateFunc.Fixed(5, a => GenCert(GoValues.Str(a[0]), a[1], a[2], GoValues.Int(a[3]), null, GoValues.Str(a[4])));
        f["genSignedCert"] = TemplateFunc.Fixed(5, a => GenCert(GoValues.Str(a[0]), a[1], a[2], GoValues.Int(a[3]), CaOf(a[4]), null));
        f["genSignedCertWithKey"] = TemplateFunc.Fixed(6, a => GenCert(GoValues.Str(a[0]), a[1], a[2], GoValues.Int(a[3]), CaOf(a[4]), GoValues.Str(a[5])));
        f["buildCustomCert"] = S2((c, k) => new GoCertificate(Utf8.GetString(Convert.FromBase64String(c)), Utf8.GetString(Convert.FromBase64String(k))));
        f["randBytes"] = TemplateFunc.Fixed(1, a => Convert.ToBase64String(RandomNumberGenerator.GetBytes(GoValues.Int(a[0]))));
        f["encryptAES"] = S2(EncryptAes);
        f["decryptAES"] = S2(DecryptAes);
        f["bcrypt"] = S1(Bcrypt);
        f["htpasswd"] = S2((user, password) => user.Contains(':', StringComparison.Ordinal) ? $"invalid username: {user}" : $"{user}:{Bcrypt(password)}");
        f["derivePassword"] = TemplateFunc.Fixed(5, a => DerivePassword((uint)GoValues.ToInt64(a[0]), GoValues.Str(a[1]), GoValues.Str(a[2]), GoValues.Str(a[3]), GoValues.Str(a[4])));
    }

    /// <summary>Go's bcrypt.GenerateFromPassword with the default cost (10), "$2a$" hashes.</summary>
    private static string Bcrypt(string input) => BCrypt.Net.BCrypt.HashPassword(input, workFactor: 10);

    private static GoCertificate CaOf(object? v) => v as GoCertificate ?? throw new GoArgException($"wrong type for value; expected sprig.certificate; got {GoValues.TypeName(v)}");

    private static string GenPrivateKey(string type)
    {
        switch (type)
        {
            case "" or "rsa":
                using (var rsa = RSA.Create(4096))
                {
                    return rsa.ExportRSAPrivateKeyPem() + "\n";
                }

            case "ecdsa":
                using (var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256))
                {
                    return ec.ExportECPrivateKeyPem() + "\n";
                }

            case "ed25519" or "dsa":
                throw new GoFuncException($"{type} keys are not supported by this engine");
            default:
                return "Unknown type " + type;
        }
    }

    private static RSA LoadOrCreateKey(string? pem)
    {
        var rsa = RSA.Create(2048);
        if (pem is not null)
        {
            rsa.ImportFromPem(pem);
        }

        return rsa;
    }

    private static GoCertificate GenCa(string cn, int days, string? keyPem)
    {
        using var key = LoadOrCreateKey(keyPem);
        var req = new CertificateRequest(new X500Name(cn).Name, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, true));
        var now = DateTimeOffset.UtcNow;
        using var cert = req.CreateSelfSigned(now, now.AddDays(days));
        return new GoCertificate(cert.ExportCertificatePem() + "\n", key.ExportRSAPrivateKeyPem() + "\n");
    }

    private static GoCertificate GenCert(string cn, object? ips, object? dns, int days, GoCertificate? ca, string? keyPem)
    {
        using var key = LoadOrCreateKey(keyPem);
        var req = new CertificateRequest(new X500Name(cn).Name, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var ip in GoValues.ListOrNull(ips) ?? [])
        {
            san.AddIpAddress(IPAddress.Parse(GoValues.StrVal(ip)));
        }

        foreach (var name in GoValues.ListOrNull(dns) ?? [])
        {
            san.AddDnsName(GoValues.StrVal(name));
        }

        req.CertificateExtensions.Add(san.Build());
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.DigitalSignature, true));
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var now = DateTimeOffset.UtcNow;
        if (ca is null)
        {
            using var self = req.CreateSelfSigned(now, now.AddDays(days));
            return new GoCertificate(self.ExportCertificatePem() + "\n", key.ExportRSAPrivateKeyPem() + "\n");
        }

        using var caCert = X509Certificate2.CreateFromPem(ca.Cert, ca.Key);
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        // A CA made a moment earlier with the same lifetime ends a moment earlier; .NET refuses to outlive the issuer.
        var notAfter = now.AddDays(days) > caCert.NotAfter ? new DateTimeOffset(caCert.NotAfter) : now.AddDays(days);
        using var signed = req.Create(caCert, now, notAfter, serial);
        return new GoCertificate(signed.ExportCertificatePem() + "\n", key.ExportRSAPrivateKeyPem() + "\n");
    }

    private sealed class X500Name(string cn)
    {
        public string Name { get; } = "CN=" + cn.Replace(",", "\\,", StringComparison.Ordinal);
    }

    private static string EncryptAes(string password, string plaintext)
    {
        if (plaintext.Length == 0)
        {
            return "";
        }

        var key = new byte[32];
        var pw = Utf8.GetBytes(password);
        Array.Copy(pw, key, Math.Min(32, pw.Length));
        using var aes = Aes.Create();
        aes.Key = key;
        var iv = RandomNumberGenerator.GetBytes(16);
        var cipher = aes.EncryptCbc(Utf8.GetBytes(plaintext), iv, PaddingMode.PKCS7);
        return Convert.ToBase64String([.. iv, .. cipher]);
    }

    private static string DecryptAes(string password, string crypt)
    {
        if (crypt.Length == 0)
        {
            return "";
        }

        var key = new byte[32];
        var pw = Utf8.GetBytes(password);
        Array.Copy(pw, key, Math.Min(32, pw.Length));
        var data = Convert.FromBase64String(crypt);
        using var aes = Aes.Create();
        aes.Key = key;
        var plain = aes.DecryptCbc(data.AsSpan(16), data.AsSpan(0, 16), PaddingMode.PKCS7);
        return Utf8.GetString(plain);
    }

    private static readonly Dictionary<string, string[]> PasswordTemplates = new(StringComparer.Ordinal)
    {
        ["maximum"] = ["anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"],
        ["long"] = ["CvcvnoCvcvCvcv", "CvcvCvcvnoCvcv", "CvcvCvcvCvcvno", "CvccnoCvcvCvcv", "CvccCvcvnoCvcv", "CvccCvcvCvcvno", "CvcvnoCvccCvcv", "CvcvCvccnoCvcv", "CvcvCvccCvcvno", "CvcvnoCvcvCvcc", "CvcvCvcvnoCvcc", "CvcvCvcvCvccno", "CvccnoCvccCvcv", "CvccCvccnoCvcv", "CvccCvccCvcvno", "CvcvnoCvccCvcc", "CvcvCvccnoCvcc", "CvcvCvccCvccno", "CvccnoCvcvCvcc", "CvccCvcvnoCvcc", "CvccCvcvCvccno"],
        ["medium"] = ["CvcnoCvc", "CvcCvcno"],
        ["short"] = ["Cvcn"],
        ["basic"] = ["aaanaaan", "aannaaan", "aaannaaa"],
        ["pin"] = ["nnnn"],
    };

    private static readonly Dictionary<char, string> PasswordChars = new()
    {
        ['V'] = "AEIOU",
        ['C'] = "BCDFGHJKLMNPQRSTVWXYZ",
        ['v'] = "aeiou",
        ['c'] = "bcdfghjklmnpqrstvwxyz",
        ['A'] = "AEIOUBCDFGHJKLMNPQRSTVWXYZ",
        ['a'] = "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz",
        ['n'] = "0123456789",
        ['o'] = "@&%?,=[]_:-+*$#!'^~;()/.",
        ['x'] = "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()",
    };

    /// <summary>The Master Password algorithm (scrypt key, HMAC-SHA256 seed, template characters) as Sprig implements it.</summary>
    private static string DerivePassword(uint counter, string passwordType, string password, string user, string site)
    {
        if (!PasswordTemplates.TryGetValue(passwordType, out var templates))
        {
            return $"cannot find password template {passwordType}";
        }

        const string scope = "com.lyndir.masterpassword";
        var salt = new List<byte>(Utf8.GetBytes(scope));
        salt.AddRange(BigEndian((uint)Utf8.GetByteCount(user)));
        salt.AddRange(Utf8.GetBytes(user));
        var masterKey = Scrypt.Derive(Utf8.GetBytes(password), salt.ToArray(), 32768, 8, 2, 64);
        var seedInput = new List<byte>(Utf8.GetBytes(scope));
        seedInput.AddRange(BigEndian((uint)Utf8.GetByteCount(site)));
        seedInput.AddRange(Utf8.GetBytes(site));
        seedInput.AddRange(BigEndian(counter));
        var seed = HMACSHA256.HashData(masterKey, seedInput.ToArray());
        var template = templates[seed[0] % templates.Length];
        var sb = new StringBuilder();
        for (var i = 0; i < template.Length; i++)
        {
            var chars = PasswordChars[template[i]];
            sb.Append(chars[seed[i + 1] % chars.Length]);
        }

        return sb.ToString();
    }

    private static byte[] BigEndian(uint v) => [(byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v];
}

/// <summary>scrypt (RFC 7914), which .NET does not ship; used only by derivePassword.</summary>
internal static class Scrypt
{
    public static byte[] Derive(byte[] password, byte[] salt, int n, int r, int p, int length)
    {
        var blockSize = 128 * r;
        var b = Rfc2898DeriveBytes.Pbkdf2(password, salt, 1, HashAlgorithmName.SHA256, p * blockSize);
        var xy = new uint[64 * r];
        var v = new uint[32 * r * n];
        for (var i = 0; i < p; i++)
        {
            var block = new uint[32 * r];
            Buffer.BlockCopy(b, i * blockSize, block, 0, blockSize);
            if (!BitConverter.IsLittleEndian)
            {
                throw new PlatformNotSupportedException("scrypt here assumes a little-endian machine");
            }

            RoMix(block, n, r, v, xy);
            Buffer.BlockCopy(block, 0, b, i * blockSize, blockSize);
        }

        return Rfc2898DeriveBytes.Pbkdf2(password, b, 1, HashAlgorithmName.SHA256, length);
    }

    private static void RoMix(uint[] x, int n, int r, uint[] v, uint[] tmp)
    {
        var len = 32 * r;
        for (var i = 0; i < n; i++)
        {
            Array.Copy(x, 0, v, i * len, len);
            BlockMix(x, r, tmp);
        }

        for (var i = 0; i < n; i++)
        {
            var j = (int)(x[(((2 * r) - 1) * 16)] & (uint)(n - 1));
            for (var k = 0; k < len; k++)
            {
                x[k] ^= v[(j * len) + k];
            }

            BlockMix(x, r, tmp);
        }
    }

    private static void BlockMix(uint[] b, int r, uint[] y)
    {
        var x = new uint[16];
        Array.Copy(b, ((2 * r) - 1) * 16, x, 0, 16);
        for (var i = 0; i < 2 * r; i++)
        {
            for (var k = 0; k < 16; k++)
            {
                x[k] ^= b[(i * 16) + k];
            }

            Salsa208(x);
            Array.Copy(x, 0, y, i * 16, 16);
        }

        for (var i = 0; i < r; i++)
        {
            Array.Copy(y, (2 * i) * 16, b, i * 16, 16);
            Array.Copy(y, ((2 * i) + 1) * 16, b, (r + i) * 16, 16);
        }
    }

    private static uint R(uint a, int b) => (a << b) | (a >> (32 - b));

    private static void Salsa208(uint[] b)
    {
        var x = (uint[])b.Clone();
        for (var i = 0; i < 8; i += 2)
        {
            x[4] ^= R(x[0] + x[12], 7); x[8] ^= R(x[4] + x[0], 9); x[12] ^= R(x[8] + x[4], 13); x[0] ^= R(x[12] + x[8], 18);
            x[9] ^= R(x[5] + x[1], 7); x[13] ^= R(x[9] + x[5], 9); x[1] ^= R(x[13] + x[9], 13); x[5] ^= R(x[1] + x[13], 18);
            x[14] ^= R(x[10] + x[6], 7); x[2] ^= R(x[14] + x[10], 9); x[6] ^= R(x[2] + x[14], 13); x[10] ^= R(x[6] + x[2], 18);
            x[3] ^= R(x[15] + x[11], 7); x[7] ^= R(x[3] + x[15], 9); x[11] ^= R(x[7] + x[3], 13); x[15] ^= R(x[11] + x[7], 18);
            x[1] ^= R(x[0] + x[3], 7); x[2] ^= R(x[1] + x[0], 9); x[3] ^= R(x[2] + x[1], 13); x[0] ^= R(x[3] + x[2], 18);
            x[6] ^= R(x[5] + x[4], 7); x[7] ^= R(x[6] + x[5], 9); x[4] ^= R(x[7] + x[6], 13); x[5] ^= R(x[4] + x[7], 18);
            x[11] ^= R(x[10] + x[9], 7); x[8] ^= R(x[11] + x[10], 9); x[9] ^= R(x[8] + x[11], 13); x[10] ^= R(x[9] + x[8], 18);
            x[12] ^= R(x[15] + x[14], 7); x[13] ^= R(x[12] + x[15], 9); x[14] ^= R(x[13] + x[12], 13); x[15] ^= R(x[14] + x[13], 18);
        }

        for (var i = 0; i < 16; i++)
        {
            b[i] += x[i];
        }
    }
}
