using System.Text;
using LibGit2Sharp;
using LibGit2Sharp.Handlers;

namespace Fleet.Sources;

/// <summary>
/// What one fetch needs to authenticate, held in memory for libgit2 and, for ssh, in a private temporary
/// directory that is deleted on dispose.
/// https <c>username</c>/<c>password</c> are answered through libgit2's credential callback, and only to the
/// source's own scheme, host and port; a bearer token becomes an <c>Authorization</c> header of that fetch.
/// ssh goes through libgit2's OpenSSH (exec) transport: the key, known_hosts and an ssh config with strict host
/// key checking are written 0600 into a 0700 directory, beside a link to the launcher that runs <c>ssh</c> with
/// that config; the mirror's <c>core.sshCommand</c> names the link while the fetch runs. No credential is ever
/// an argument of a process or a line of the mirror's config.
/// </summary>
internal sealed class GitAuth : IDisposable
{
    private readonly string? _tempDirectory;
    private readonly GitUrl _url;
    private bool _denied;

    private GitAuth(GitUrl url, string? username, string? password, string? bearerToken, string? tempDirectory, IReadOnlyList<string> secrets)
    {
        _url = url;
        Username = username;
        Password = password;
        _tempDirectory = tempDirectory;
        Secrets = secrets;
        Headers = bearerToken is null ? [] : ["Authorization: Bearer " + bearerToken];
        BearerToken = bearerToken;
    }

    /// <summary>Every secret value in play, so that error text can be scrubbed of them.</summary>
    public IReadOnlyList<string> Secrets { get; }

    /// <summary>Extra HTTP headers of the fetch (the bearer token), empty otherwise.</summary>
    public string[] Headers { get; }

    public string? BearerToken { get; }

    public string? Username { get; }

    public string? Password { get; }

    /// <summary>The ssh launcher libgit2 runs for this source, or null for other transports.</summary>
    public string? SshLauncher => _tempDirectory is null ? null : Path.Combine(_tempDirectory, "ssh");

    /// <summary>Where the launcher writes ssh's own messages (such as a host key mismatch).</summary>
    public string? SshErrorLog => _tempDirectory is null ? null : Path.Combine(_tempDirectory, "ssh.err");

    /// <summary>Where the launcher writes the ssh process id, so that a deadline can stop it.</summary>
    public string? SshPidFile => _tempDirectory is null ? null : Path.Combine(_tempDirectory, "ssh.pid");

    /// <summary>True once the server asked for credentials that this source has none of (or asked another host for them).</summary>
    public bool Denied => Volatile.Read(ref _denied);

    public static GitAuth Create(GitUrl url, GitCredentials? credentials, TimeSpan timeout)
    {
        var secrets = new List<string>();
        var username = credentials?.Username ?? url.UserName;
        var password = credentials?.Password ?? url.Password;
        AddSecret(secrets, password);
        AddSecret(secrets, credentials?.BearerToken);
        AddSecret(secrets, credentials?.SshIdentity);
        if (!string.IsNullOrEmpty(username) || !string.IsNullOrEmpty(password))
        {
            AddSecret(secrets, Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}")));
        }

        var bearer = string.IsNullOrEmpty(credentials?.BearerToken) ? null : credentials.BearerToken;
        if (!url.IsSsh)
        {
            return new GitAuth(url, url.IsHttp ? username : null, url.IsHttp ? password : null, url.IsHttp ? bearer : null, null, secrets);
        }

        if (OperatingSystem.IsWindows())
        {
            throw new GitSourceException(GitSourceReasons.InvalidSpec, "ssh sources need owner-only key files, which Fleet only writes on Linux and macOS");
        }

        if (string.IsNullOrWhiteSpace(credentials?.KnownHosts))
        {
            throw new GitSourceException(
                GitSourceReasons.InvalidSpec,
                $"ssh source {url.SafeUrl} needs known_hosts in its secret: host keys are always checked");
        }

        // libgit2 lets these variables override the launcher (and so the host key checks); .NET cannot
        // remove them from the native environment, so a silo started with them cannot fetch over ssh.
        foreach (var variable in new[] { "GIT_SSH_COMMAND", "GIT_SSH" })
        {
            if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable(variable)))
            {
                throw new GitSourceException(
                    GitSourceReasons.GitOperationFailed,
                    $"the process environment sets {variable}, which would replace Fleet's ssh settings for {url.SafeUrl}: unset it");
            }
        }

        var dir = Directory.CreateTempSubdirectory("fleet-ssh-").FullName;
        try
        {
            File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var knownHosts = Path.Combine(dir, "known_hosts");
            WritePrivate(knownHosts, credentials.KnownHosts.ReplaceLineEndings("\n") + "\n");
            var config = new StringBuilder()
                .Append("BatchMode yes\nStrictHostKeyChecking yes\nGlobalKnownHostsFile /dev/null\n")
                .Append("UserKnownHostsFile \"").Append(knownHosts).Append("\"\n")
                .Append("ConnectTimeout ").Append(Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds))).Append('\n')
                .Append("ServerAliveInterval 15\nServerAliveCountMax 4\nIdentitiesOnly yes\n");
            if (!string.IsNullOrEmpty(credentials.SshIdentity))
            {
                var identity = Path.Combine(dir, "identity");
                var pem = credentials.SshIdentity.ReplaceLineEndings("\n");
                WritePrivate(identity, pem.EndsWith('\n') ? pem : pem + "\n");
                config.Append("IdentityFile \"").Append(identity).Append("\"\n");
            }
            else
            {
                config.Append("IdentityFile none\n");
            }

            WritePrivate(Path.Combine(dir, "ssh_config"), config.ToString());
            File.CreateSymbolicLink(Path.Combine(dir, "ssh"), SshLauncherScript.Value);
            return new GitAuth(url, null, null, null, dir, secrets);
        }
        catch
        {
            Directory.Delete(dir, recursive: true);
            throw;
        }
    }

    /// <summary>
    /// The credential callback: the source's username and password, only for its own origin (a redirect to
    /// another host gets nothing). libgit2 asks again on each 401 and gives up after its replay limit.
    /// </summary>
    public CredentialsHandler CredentialsHandler => (requestUrl, _, _) =>
        CredentialsFor(requestUrl) is { } pair
            ? new UsernamePasswordCredentials { Username = pair.User, Password = pair.Password }
            : throw new LibGit2SharpException("the server asks for credentials the source does not have for it");

    /// <summary>The username and password for a request to <paramref name="requestUrl"/>, or null (and <see cref="Denied"/>) when there are none for it.</summary>
    public (string User, string Password)? CredentialsFor(string requestUrl)
    {
        if (Username is null && Password is null || !SameOrigin(requestUrl))
        {
            Volatile.Write(ref _denied, true);
            return null;
        }

        return (Username ?? string.Empty, Password ?? string.Empty);
    }

    /// <summary>What ssh wrote to its error stream, if anything.</summary>
    public string SshErrors()
    {
        var log = SshErrorLog;
        return log is not null && File.Exists(log) ? File.ReadAllText(log) : string.Empty;
    }

    /// <summary>Stops the ssh process of this fetch, if one is running, so that libgit2 returns at once.</summary>
    public void StopSsh()
    {
        var pidFile = SshPidFile;
        if (pidFile is null || !File.Exists(pidFile) || !int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid))
        {
            return;
        }

        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            process.Kill(entireProcessTree: true);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // ssh has already ended.
        }
    }

    public void Dispose()
    {
        if (_tempDirectory is not null && Directory.Exists(_tempDirectory))
        {
            Directory.Delete(_tempDirectory, recursive: true);
        }
    }

    private bool SameOrigin(string requestUrl)
    {
        if (!Uri.TryCreate(requestUrl, UriKind.Absolute, out var request) || !Uri.TryCreate(_url.SafeUrl, UriKind.Absolute, out var source))
        {
            return false;
        }

        return request.Scheme == source.Scheme && string.Equals(request.Host, source.Host, StringComparison.OrdinalIgnoreCase) && request.Port == source.Port;
    }

    private static void AddSecret(List<string> secrets, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            secrets.Add(value);
        }
    }

    private static void WritePrivate(string path, string content, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("owner-only key files need a Unix file system");
        }

        using var stream = new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = mode });
        stream.Write(Encoding.UTF8.GetBytes(content));
    }

    /// <summary>
    /// The launcher libgit2 runs as <c>core.sshCommand</c> (it runs that setting as one program, without a
    /// shell, with the port, host and remote command as arguments). Each fetch links to it from its own
    /// directory; the launcher finds that directory through <c>$0</c>, records its process id (<c>exec</c>
    /// keeps it for ssh) so that a deadline can stop ssh, runs ssh with the fetch's own config file only, and
    /// keeps ssh's messages. Written once per process, so no fetch ever runs a file that is still being written.
    /// </summary>
    private static readonly Lazy<string> SshLauncherScript = new(() =>
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("the ssh launcher needs a Unix shell");
        }

        var dir = Directory.CreateTempSubdirectory("fleet-ssh-launcher-").FullName;
        File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var path = Path.Combine(dir, "ssh");
        WritePrivate(path, """
            #!/bin/sh
            dir=$(dirname "$0")
            echo $$ > "$dir/ssh.pid"
            exec ssh -F "$dir/ssh_config" "$@" 2>>"$dir/ssh.err"

            """, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    });
}
