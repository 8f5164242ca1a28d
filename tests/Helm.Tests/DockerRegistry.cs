using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Fleet.Helm.Repositories;

namespace Fleet.Helm.Tests;

/// <summary>
/// Debian's docker-registry (the Docker Registry HTTP API v2 server, package <c>docker-registry</c>) on a loopback
/// port with htpasswd (bcrypt) basic auth and storage in a temporary directory, started once per test class. Charts
/// are pushed as `helm push` pushes them, with plain calls of the registry API.
/// </summary>
public sealed class DockerRegistry : IDisposable
{
    public const string Binary = "/usr/bin/docker-registry";
    public const string User = "pusher";
    public const string Password = "reg-s3cret";

    private readonly Process? _process;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "fleet-registry-" + Guid.NewGuid().ToString("N"));

    public DockerRegistry()
    {
        if (!File.Exists(Binary))
        {
            return;
        }

        Directory.CreateDirectory(_root);
        Port = FreePort();
        File.WriteAllText(Path.Combine(_root, "htpasswd"), $"{User}:{BCrypt.Net.BCrypt.HashPassword(Password)}\n");
        File.WriteAllText(Path.Combine(_root, "config.yml"), $"""
            version: 0.1
            log:
              level: warn
            storage:
              filesystem:
                rootdirectory: {_root}/data
              delete:
                enabled: true
            http:
              addr: 127.0.0.1:{Port}
            auth:
              htpasswd:
                realm: fleet-test
                path: {_root}/htpasswd
            """);
        var psi = new ProcessStartInfo(Binary) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("serve");
        psi.ArgumentList.Add(Path.Combine(_root, "config.yml"));
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        using var http = new HttpClient();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                // 401 from /v2/ means the registry is up and asks for credentials.
                using var response = http.GetAsync(new Uri($"http://127.0.0.1:{Port}/v2/")).GetAwaiter().GetResult();
                if (response.StatusCode == HttpStatusCode.Unauthorized)
                {
                    break;
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline && !_process.HasExited)
            {
                Thread.Sleep(50);
            }
        }
    }

    public bool Available => _process is not null;

    public int Port { get; }

    /// <summary><c>oci://127.0.0.1:port/charts</c>.</summary>
    public Uri Repository => new($"oci://127.0.0.1:{Port}/charts");

    public static HelmRepositoryCredentials Credentials => new() { Username = User, Password = Password };

    /// <summary>
    /// Pushes a chart archive as `helm push` does: the config blob (Chart.yaml as JSON), the chart layer, then an OCI
    /// manifest under the tag (a version's '+' as '_'). Returns the layer's digest.
    /// </summary>
    public async Task<string> PushAsync(string chart, string version, byte[] archive)
    {
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{Password}")));
        var name = "charts/" + chart;
        var config = Encoding.UTF8.GetBytes($$"""{"name":"{{chart}}","version":"{{version}}","apiVersion":"v2"}""");
        var configDigest = await PushBlobAsync(http, name, config);
        var layerDigest = await PushBlobAsync(http, name, archive);
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = OciRegistryClient.ManifestMediaType,
            ["config"] = new JsonObject { ["mediaType"] = OciRegistryClient.ConfigMediaType, ["digest"] = configDigest, ["size"] = config.Length },
            ["layers"] = new JsonArray(new JsonObject { ["mediaType"] = OciRegistryClient.ChartLayerMediaType, ["digest"] = layerDigest, ["size"] = archive.Length }),
            ["annotations"] = new JsonObject { ["org.opencontainers.image.title"] = chart, ["org.opencontainers.image.version"] = version },
        };
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(manifest.ToJsonString()));
        content.Headers.ContentType = new MediaTypeHeaderValue(OciRegistryClient.ManifestMediaType);
        using var put = await http.PutAsync(new Uri($"http://127.0.0.1:{Port}/v2/{name}/manifests/{version.Replace('+', '_')}"), content);
        Assert.True(put.StatusCode == HttpStatusCode.Created, $"PUT manifest: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}");
        return layerDigest;
    }

    private async Task<string> PushBlobAsync(HttpClient http, string name, byte[] blob)
    {
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(blob));
        using var start = await http.PostAsync(new Uri($"http://127.0.0.1:{Port}/v2/{name}/blobs/uploads/"), null);
        Assert.True(start.StatusCode == HttpStatusCode.Accepted, $"POST upload: {(int)start.StatusCode}");
        var location = start.Headers.Location!;
        var upload = location.IsAbsoluteUri ? location : new Uri(new Uri($"http://127.0.0.1:{Port}"), location);
        var separator = upload.Query.Length > 0 ? "&" : "?";
        using var content = new ByteArrayContent(blob);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var put = await http.PutAsync(new Uri(upload.AbsoluteUri + separator + "digest=" + Uri.EscapeDataString(digest)), content);
        Assert.True(put.StatusCode == HttpStatusCode.Created, $"PUT blob: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}");
        return digest;
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process?.Dispose();
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }
}

/// <summary>A fact that needs Debian's docker-registry.</summary>
internal sealed class RequiresRegistryFactAttribute : FactAttribute
{
    public RequiresRegistryFactAttribute()
    {
        if (!File.Exists(DockerRegistry.Binary))
        {
            Skip = "Debian's docker-registry is not installed (apt-get install docker-registry; scripts/install-deps.sh --tests): the OCI registry tests cannot run";
        }
    }
}
