using System.Text;
using System.Text.Json.Nodes;
using Fleet.Gateway.Tests.Support;
using Fleet.TestSupport;

namespace Fleet.Gateway.Tests;

/// <summary>Secrets are write-only through the API and encrypted at rest: no value leaves Fleet or lands on disk in clear.</summary>
public sealed class SecretsTests : IAsyncLifetime
{
    private const string Ns = "vault";
    private static readonly string Token = "tok-" + Guid.NewGuid().ToString("N");
    private static readonly string Password = "pw-" + Guid.NewGuid().ToString("N");
    private static readonly string OtherValue = "other-" + Guid.NewGuid().ToString("N");
    private SiloHost _silo = null!;

    public async Task InitializeAsync() => _silo = await SiloHost.StartAsync();

    public async Task DisposeAsync() => await _silo.DisposeAsync();

    [Fact]
    public async Task Secret_ValuesNeverLeaveThroughTheApi_OnlyTheKeys()
    {
        await PutSecretsAsync();

        var one = await _silo.GetJsonAsync($"api/v1/namespaces/{Ns}/secrets/creds");
        Assert.Equal(["password", "token", "username"], one["status"]!["keys"]!.AsArray().Select(k => k!.GetValue<string>()));
        Assert.Null(one["spec"]);
        Assert.Null(one["data"]);
        Assert.Null(one["stringData"]);

        var surfaces = new StringBuilder(one.ToJsonString());
        foreach (var path in new[]
        {
            $"api/v1/namespaces/{Ns}/secrets", "api/v1/secrets", $"api/v1/namespaces/{Ns}/secrets/other", $"api/v1/namespaces/{Ns}/events",
            "api/v1/events", $"api/v1/namespaces/{Ns}/clusters", $"api/v1/namespaces/{Ns}/receivers", "metrics",
        })
        {
            surfaces.Append(await _silo.Http.GetStringAsync(path));
        }
        AssertNoValue(surfaces.ToString(), "the API");
    }

    [Fact]
    public async Task Secret_DatabaseFileAndWal_HoldNoCredentialInClear()
    {
        await PutSecretsAsync();
        // Make the values travel: a receiver derives its path from the token, a cluster sends it and fails.
        await Eventually.WaitAsync(async () => SiloHost.Condition(await _silo.GetJsonAsync($"api/v1/namespaces/{Ns}/receivers/hook"), "Ready") == "True", "the receiver's webhook path");
        await Eventually.WaitAsync(async () => SiloHost.Condition(await _silo.GetJsonAsync($"api/v1/namespaces/{Ns}/clusters/c1"), "Ready") == "False", "the cluster probe to fail");

        var files = Directory.GetFiles(_silo.DataDirectory, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) != "secret.key")
            .ToList();
        Assert.Contains(files, f => Path.GetFileName(f) == "fleet.db");
        Assert.Contains(files, f => Path.GetFileName(f) == "fleet.db-wal");
        foreach (var file in files)
        {
            // The silo keeps the database open: read beside it.
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer);
            var bytes = buffer.ToArray();
            AssertNoValue(Encoding.UTF8.GetString(bytes), file);
            AssertNoValue(Encoding.Unicode.GetString(bytes), file + " (as UTF-16)");
        }

        // Still there, encrypted: the silo can read what it wrote.
        var keyFile = new FileInfo(Path.Combine(_silo.DataDirectory, "secret.key"));
        Assert.True(keyFile.Exists);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile.FullName));
        }
    }

    private async Task PutSecretsAsync()
    {
        await _silo.PutSecretAsync(Ns, "creds", new Dictionary<string, string> { ["token"] = Token, ["username"] = "git", ["password"] = Password });
        await _silo.PutSecretAsync(Ns, "other", new Dictionary<string, string> { ["token"] = OtherValue });
        await _silo.PutYamlAsync($"api/v1/namespaces/{Ns}/receivers/hook", """
            apiVersion: fleet.dev/v1
            kind: Receiver
            metadata: {name: hook}
            spec:
              type: generic
              resources: [{kind: GitRepository, name: none}]
              secretRef: {name: creds}
            """);
        await _silo.PutYamlAsync($"api/v1/namespaces/{Ns}/clusters/c1", """
            apiVersion: fleet.dev/v1
            kind: Cluster
            metadata: {name: c1}
            spec:
              server: http://127.0.0.1:9
              credentialsRef: {name: creds}
            """);
    }

    private static void AssertNoValue(string text, string where)
    {
        foreach (var value in new[] { Token, Password, OtherValue, Convert.ToBase64String(Encoding.UTF8.GetBytes(Token)), Convert.ToBase64String(Encoding.UTF8.GetBytes("git:" + Password)) })
        {
            Assert.False(text.Contains(value, StringComparison.Ordinal), $"a secret value was found in {where}");
        }
    }
}
