using Fleet.Gateway.Services;
using Fleet.Store;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fleet.Gateway.Security;

/// <summary>
/// On start, when the store holds no active admin token for all namespaces (a first start, or every admin token
/// revoked or expired), creates one named <see cref="TokenName"/>, as Argo CD creates its initial admin secret: only
/// its hash is stored; the token is written once to the console (standard output, not the logging pipeline, so that
/// it never reaches a log exporter) and to <see cref="FileName"/> in the data directory, readable by the owner only.
/// With <see cref="GatewayOptions.BootstrapAdminToken"/> set, that token is created instead and nothing is printed.
/// Several gateways starting at once create one token: the store keeps token names unique.
/// </summary>
internal sealed partial class AdminTokenBootstrap(ITokenStore store, GatewayOptions options, TimeProvider time, ILogger<AdminTokenBootstrap> logger) : IHostedService
{
    public const string TokenName = "initial-admin";
    public const string FileName = "initial-admin-token";

    /// <summary>Where the initial admin token is written: the data directory given to the gateway, else the silo's default.</summary>
    public string TokenFile => Path.Combine(options.DataDirectory ?? Path.GetFullPath("data"), FileName);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var configured = options.BootstrapAdminToken;
        TokenSecret? secret = null;
        if (configured is not null)
        {
            secret = TokenSecret.Parse(configured, TokenSecret.ApiPrefix)
                ?? throw new InvalidOperationException("Fleet:Gateway:BootstrapAdminToken is not a Fleet API token: expected fleet_<16 hex digits>_<64 hex digits>");
        }
        var now = time.GetUtcNow();
        var tokens = await store.ListApiTokensAsync(cancellationToken);
        if (tokens.Any(t => t.IsActive(now) && t.Role == ApiRoles.Name(ApiRole.Admin) && t.Namespaces is null))
        {
            return;
        }
        secret ??= TokenSecret.New(TokenSecret.ApiPrefix);
        var record = new ApiTokenRecord(secret.Id, TokenName, ApiRoles.Name(ApiRole.Admin), null, secret.Hash(), null, null, "system:bootstrap", now);
        if (!await store.CreateApiTokenAsync(record, cancellationToken))
        {
            // Another gateway created it at the same moment.
            return;
        }
        if (configured is not null)
        {
            LogConfigured(logger, TokenName);
            return;
        }
        WriteOwnerOnly(TokenFile, secret.Text + "\n");
        await Console.Out.WriteLineAsync($"""

            Fleet created the initial admin API token "{TokenName}" (it is shown this once; only its hash is stored):

                {secret.Text}

            It is also in {TokenFile} (readable by this user only). Use it with
                export FLEET_TOKEN=$(cat {TokenFile})
                curl -H "Authorization: Bearer $FLEET_TOKEN" http://127.0.0.1:8080/api/v1/clusters
            then create tokens of narrower scope (POST /api/v1/tokens) and revoke this one.

            """);
        LogCreated(logger, TokenName, TokenFile);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Writes <paramref name="text"/> to a new file of mode 0600 (replacing an older one from an earlier bootstrap).</summary>
    private static void WriteOwnerOnly(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.Delete(path);
        var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using var stream = new FileStream(path, fileOptions);
        stream.Write(System.Text.Encoding.ASCII.GetBytes(text));
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Warning, Message = "Created the initial admin API token \"{Name}\"; it was printed once to standard output and written to {File}. Revoke it once you have tokens of narrower scope.")]
    private static partial void LogCreated(ILogger logger, string name, string file);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Information, Message = "Created the initial admin API token \"{Name}\" from Fleet:Gateway:BootstrapAdminToken")]
    private static partial void LogConfigured(ILogger logger, string name);
}
