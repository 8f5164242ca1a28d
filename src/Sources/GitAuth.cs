using System.Text;

namespace Fleet.Sources;

/// <summary>
/// The environment one git invocation needs to authenticate, and the temporary files behind it.
/// https credentials become an <c>http.&lt;url&gt;.extraHeader</c> passed through <c>GIT_CONFIG_COUNT</c> /
/// <c>GIT_CONFIG_KEY_n</c> / <c>GIT_CONFIG_VALUE_n</c> environment variables: never an argument, never
/// written to the mirror's config. ssh keys go to a 0600 file in a private temporary directory that is
/// deleted on dispose; host keys are checked strictly against the given known_hosts.
/// </summary>
internal sealed class GitAuth : IDisposable
{
    private readonly string? _tempDirectory;

    private GitAuth(Dictionary<string, string> environment, string? tempDirectory, IReadOnlyList<string> secrets)
    {
        Environment = environment;
        _tempDirectory = tempDirectory;
        Secrets = secrets;
    }

    public IReadOnlyDictionary<string, string> Environment { get; }

    /// <summary>Every secret value in play, so that error text can be scrubbed of them.</summary>
    public IReadOnlyList<string> Secrets { get; }

    public static GitAuth Create(GitUrl url, GitCredentials? credentials)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        var secrets = new List<string>();
        var username = credentials?.Username ?? url.UserName;
        var password = credentials?.Password ?? url.Password;
        AddSecret(secrets, password);
        AddSecret(secrets, credentials?.BearerToken);
        AddSecret(secrets, credentials?.SshIdentity);

        if (url.IsHttp)
        {
            string? header = null;
            if (!string.IsNullOrEmpty(credentials?.BearerToken))
            {
                header = "Authorization: Bearer " + credentials.BearerToken;
            }
            else if (!string.IsNullOrEmpty(username) || !string.IsNullOrEmpty(password))
            {
                var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}"));
                AddSecret(secrets, basic);
                header = "Authorization: Basic " + basic;
            }

            if (header is not null)
            {
                // Scoped to the source's URL so that the header is never sent to another host.
                env["GIT_CONFIG_COUNT"] = "1";
                env["GIT_CONFIG_KEY_0"] = $"http.{url.SafeUrl}.extraHeader";
                env["GIT_CONFIG_VALUE_0"] = header;
            }

            return new GitAuth(env, null, secrets);
        }

        if (url.IsSsh)
        {
            if (OperatingSystem.IsWindows())
            {
                throw new GitSourceException(GitSourceReasons.InvalidSpec, "ssh sources need owner-only key files, which Fleet only writes on Linux and macOS");
            }

            var dir = Directory.CreateTempSubdirectory("fleet-ssh-").FullName;
            try
            {
                File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                var options = new StringBuilder("ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes -o GlobalKnownHostsFile=/dev/null");
                if (string.IsNullOrWhiteSpace(credentials?.KnownHosts))
                {
                    throw new GitSourceException(
                        GitSourceReasons.InvalidSpec,
                        $"ssh source {url.SafeUrl} needs known_hosts in its secret: host keys are always checked");
                }

                var knownHosts = Path.Combine(dir, "known_hosts");
                WritePrivate(knownHosts, credentials.KnownHosts.ReplaceLineEndings("\n") + "\n");
                options.Append(" -o UserKnownHostsFile=").Append(Quote(knownHosts));
                if (!string.IsNullOrEmpty(credentials.SshIdentity))
                {
                    var identity = Path.Combine(dir, "identity");
                    var pem = credentials.SshIdentity.ReplaceLineEndings("\n");
                    WritePrivate(identity, pem.EndsWith('\n') ? pem : pem + "\n");
                    options.Append(" -o IdentitiesOnly=yes -i ").Append(Quote(identity));
                }
                else
                {
                    options.Append(" -o IdentitiesOnly=yes -o IdentityFile=none");
                }

                env["GIT_SSH_COMMAND"] = options.ToString();
                env["GIT_SSH_VARIANT"] = "ssh";
                return new GitAuth(env, dir, secrets);
            }
            catch
            {
                Directory.Delete(dir, recursive: true);
                throw;
            }
        }

        return new GitAuth(env, null, secrets);
    }

    public void Dispose()
    {
        if (_tempDirectory is not null && Directory.Exists(_tempDirectory))
        {
            Directory.Delete(_tempDirectory, recursive: true);
        }
    }

    private static void AddSecret(List<string> secrets, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            secrets.Add(value);
        }
    }

    private static void WritePrivate(string path, string content)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("owner-only key files need a Unix file system");
        }

        using (var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            stream.Write(Encoding.UTF8.GetBytes(content));
        }
    }

    // GIT_SSH_COMMAND is run by a shell; the temp path has no quotes in it, but quote it anyway.
    private static string Quote(string path) => "'" + path.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
