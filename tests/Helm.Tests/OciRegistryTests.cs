using Fleet.Helm.Repositories;

namespace Fleet.Helm.Tests;

/// <summary>
/// The OCI client against Debian's docker-registry on loopback (plain HTTP, htpasswd auth): charts pushed as
/// `helm push` pushes them are listed, selected, pulled once by digest and rendered; and the real Helm pulls what
/// the test pushed, and pushes what the client pulls, where ../shared/tools/helm/helm is present.
/// </summary>
public sealed class OciRegistryTests(DockerRegistry registry) : IClassFixture<DockerRegistry>, IDisposable
{
    private static readonly byte[] Archive = File.ReadAllBytes(Path.Combine(TestData.Directory, "charts", "deps", "charts", "packed-2.1.0.tgz"));
    private readonly string _cache = Path.Combine(Path.GetTempPath(), "fleet-oci-cache-" + Guid.NewGuid().ToString("N"));
    private readonly HttpClient _http = new();

    public void Dispose()
    {
        _http.Dispose();
        if (Directory.Exists(_cache))
        {
            Directory.Delete(_cache, recursive: true);
        }
    }

    private OciRegistryClient Client() => new(_http, _cache);

    private async Task PushVersionsAsync()
    {
        foreach (var v in new[] { "1.9.0", "2.1.0", "2.2.0-rc.1", "2.1.1+build.7" })
        {
            await registry.PushAsync("packed", v, Archive);
        }
    }

    [RequiresRegistryFact]
    public async Task Versions_FromTags_NewestFirst_AndSelectedAsHelmSelects()
    {
        await PushVersionsAsync();
        var index = await Client().ListVersionsAsync(registry.Repository, "packed", DockerRegistry.Credentials, plainHttp: true, CancellationToken.None);
        Assert.Equal(["2.2.0-rc.1", "2.1.1+build.7", "2.1.0", "1.9.0"], index["packed"].Select(v => v.Version));
        Assert.Equal("2.1.1+build.7", HelmRepositoryClient.Select(index, "packed", null).Version);
        Assert.Equal("1.9.0", HelmRepositoryClient.Select(index, "packed", "^1").Version);
        Assert.Equal("2.1.0", HelmRepositoryClient.Select(index, "packed", "2.1.0").Version);
    }

    [RequiresRegistryFact]
    public async Task Pull_ByVersion_DownloadsOnceUnderTheLayerDigest_AndRenders()
    {
        var digest = await registry.PushAsync("packed", "2.1.0", Archive);
        var client = Client();
        var first = await client.PullAsync(registry.Repository, "packed", "2.1.0", DockerRegistry.Credentials, plainHttp: true, CancellationToken.None);
        Assert.Equal(digest, first.Digest);
        Assert.Equal(Archive, await File.ReadAllBytesAsync(first.ArchivePath));

        // The archive is kept: a second pull only reads the manifest.
        File.SetLastWriteTimeUtc(first.ArchivePath, new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        var second = await client.PullAsync(registry.Repository, "packed", "2.1.0", DockerRegistry.Credentials, plainHttp: true, CancellationToken.None);
        Assert.Equal(first.ArchivePath, second.ArchivePath);
        Assert.Equal(new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc), File.GetLastWriteTimeUtc(second.ArchivePath));

        var result = HelmEngine.Render(first.ArchivePath, new Dictionary<string, object?> { ["global"] = new Dictionary<string, object?> { ["region"] = "eu" } }, new HelmRenderOptions { ReleaseName = "r" });
        Assert.Equal("r-packed", result.Objects.Single()["metadata"]!["name"]!.GetValue<string>());
    }

    [RequiresRegistryFact]
    public async Task WrongCredentials_AndMissingVersions_FailClearly_WithoutShowingSecrets()
    {
        await registry.PushAsync("packed", "2.1.0", Archive);
        var wrong = new HelmRepositoryCredentials { Username = DockerRegistry.User, Password = "not-the-password" };
        var refused = await Assert.ThrowsAsync<HelmException>(() => Client().ListVersionsAsync(registry.Repository, "packed", wrong, plainHttp: true, CancellationToken.None));
        Assert.Contains("401", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", refused.Message, StringComparison.Ordinal);

        var missing = await Assert.ThrowsAsync<HelmException>(() => Client().PullAsync(registry.Repository, "packed", "9.9.9", DockerRegistry.Credentials, plainHttp: true, CancellationToken.None));
        Assert.Contains("404", missing.Message, StringComparison.Ordinal);
        Assert.Contains("charts/packed", missing.Message, StringComparison.Ordinal);
    }

    [RequiresRegistryFact]
    public async Task BadChartNames_AndNonOciUrls_AreRefused()
    {
        var client = Client();
        await registry.PushAsync("packed", "2.1.0", Archive);
        var ex = await Assert.ThrowsAsync<HelmException>(() => client.PullAsync(new Uri(registry.Repository + "/"), "../x", "1.0.0", DockerRegistry.Credentials, plainHttp: true, CancellationToken.None));
        Assert.Contains("invalid chart name", ex.Message, StringComparison.Ordinal);
        Assert.Throws<HelmException>(() => OciRegistryClient.Split(new Uri("https://example.com/charts"), "web", false));
    }

    [Fact]
    public void Challenge_ParametersAreRead()
    {
        var p = OciRegistryClient.ParseChallenge("realm=\"https://auth.example.com/token\",service=\"registry.example.com\",scope=\"repository:charts/web:pull\"");
        Assert.Equal("https://auth.example.com/token", p["realm"]);
        Assert.Equal("registry.example.com", p["service"]);
        Assert.Equal("repository:charts/web:pull", p["scope"]);
        var (baseUri, name) = OciRegistryClient.Split(new Uri("oci://ghcr.io/org/charts"), "web", false);
        Assert.Equal(("https://ghcr.io/", "org/charts/web"), (baseUri.AbsoluteUri, name));
    }

    [RequiresRegistryFact]
    public async Task RealHelm_PullsWhatThisTestPushed_AndTheClientPullsWhatHelmPushed()
    {
        if (TestData.Helm is null)
        {
            return;
        }

        var home = Path.Combine(_cache, "helm-home");
        Directory.CreateDirectory(home);
        await registry.PushAsync("packed", "2.1.0", Archive);
        var host = $"127.0.0.1:{registry.Port}";
        RunHelm(home, "registry", "login", host, "--username", DockerRegistry.User, "--password", DockerRegistry.Password, "--insecure");
        RunHelm(home, "pull", $"oci://{host}/charts/packed", "--version", "2.1.0", "--plain-http", "--destination", home);
        Assert.Equal(Archive, await File.ReadAllBytesAsync(Path.Combine(home, "packed-2.1.0.tgz")));

        // Helm pushes the chart under its own name and version; the client lists, pulls and renders it.
        var chart = Path.Combine(TestData.Directory, "charts", "deps", "charts", "packed-2.1.0.tgz");
        RunHelm(home, "push", chart, $"oci://{host}/helm-pushed", "--plain-http");
        var client = Client();
        var repo = new Uri($"oci://{host}/helm-pushed");
        var index = await client.ListVersionsAsync(repo, "packed", DockerRegistry.Credentials, plainHttp: true, CancellationToken.None);
        Assert.Equal("2.1.0", HelmRepositoryClient.Select(index, "packed", "~2").Version);
        var pulled = await client.PullAsync(repo, "packed", "2.1.0", DockerRegistry.Credentials, plainHttp: true, CancellationToken.None);
        Assert.Equal(Archive, await File.ReadAllBytesAsync(pulled.ArchivePath));
    }

    private static void RunHelm(string home, params string[] args)
    {
        var (code, stdout, stderr) = TestData.RunHelm(args, new Dictionary<string, string>
        {
            ["HELM_REGISTRY_CONFIG"] = Path.Combine(home, "registry.json"),
            ["HELM_CONFIG_HOME"] = Path.Combine(home, "config"),
            ["HELM_CACHE_HOME"] = Path.Combine(home, "cache"),
            ["HELM_DATA_HOME"] = Path.Combine(home, "data"),
        });
        Assert.True(code == 0, $"helm {string.Join(' ', args.Where(a => a != DockerRegistry.Password))}: {stderr}{stdout}");
    }
}
