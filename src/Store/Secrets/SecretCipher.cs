using System.Security.Cryptography;
using System.Text;

namespace Fleet.Store.Secrets;

/// <summary>
/// Encrypts Secret values at rest with AES-256-GCM. The key comes from configuration (base64) or from a key
/// file created on first use with owner-only permissions. Ciphertext form: <c>v1:</c> + base64(nonce | ciphertext | tag).
/// </summary>
public sealed class SecretCipher
{
    private const string Prefix = "v1:";
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly byte[] _key;

    public SecretCipher(byte[] key)
    {
        if (key.Length != 32)
        {
            throw new ArgumentException("the secret encryption key must be 32 bytes (256 bits)", nameof(key));
        }
        _key = key;
    }

    /// <summary>Uses <paramref name="base64Key"/> when given, else the key file at <paramref name="keyFile"/>, creating it (mode 0600) if absent.</summary>
    public static SecretCipher Create(string? base64Key, string keyFile)
    {
        if (!string.IsNullOrWhiteSpace(base64Key))
        {
            byte[] key;
            try
            {
                key = Convert.FromBase64String(base64Key);
            }
            catch (FormatException)
            {
                throw new InvalidOperationException("Fleet:SecretKey is not base64 (expected 32 random bytes, base64-encoded)");
            }
            return new SecretCipher(key);
        }
        if (!File.Exists(keyFile))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(keyFile))!);
            var fresh = RandomNumberGenerator.GetBytes(32);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }
            try
            {
                using var stream = new FileStream(keyFile, options);
                stream.Write(Encoding.ASCII.GetBytes(Convert.ToBase64String(fresh)));
            }
            catch (IOException) when (File.Exists(keyFile))
            {
                // Another silo on this machine created it first: use theirs.
            }
        }
        var text = File.ReadAllText(keyFile).Trim();
        try
        {
            return new SecretCipher(Convert.FromBase64String(text));
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            throw new InvalidOperationException($"the secret key file {keyFile} is not a base64 256-bit key");
        }
    }

    public string Encrypt(string plaintext)
    {
        var plain = Encoding.UTF8.GetBytes(plaintext);
        var output = new byte[NonceSize + plain.Length + TagSize];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, plain, output.AsSpan(NonceSize, plain.Length), output.AsSpan(NonceSize + plain.Length, TagSize));
        return Prefix + Convert.ToBase64String(output);
    }

    public string Decrypt(string ciphertext)
    {
        if (!ciphertext.StartsWith(Prefix, StringComparison.Ordinal))
        {
            throw new CryptographicException("not a Fleet secret ciphertext (expected the v1: form)");
        }
        var data = Convert.FromBase64String(ciphertext[Prefix.Length..]);
        if (data.Length < NonceSize + TagSize)
        {
            throw new CryptographicException("secret ciphertext is truncated");
        }
        var plain = new byte[data.Length - NonceSize - TagSize];
        using var aes = new AesGcm(_key, TagSize);
        aes.Decrypt(data.AsSpan(0, NonceSize), data.AsSpan(NonceSize, plain.Length), data.AsSpan(NonceSize + plain.Length), plain);
        return Encoding.UTF8.GetString(plain);
    }
}
