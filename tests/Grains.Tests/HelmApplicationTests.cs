using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Fleet.Abstractions.Grains;
using Fleet.Grains.Tests.Support;
using Fleet.Helm.Tests;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Grains.Tests;

/// <summary>
/// End to end: Applications that render Helm charts, from a chart in the real git repository and from an HTTP chart
/// repository on loopback with basic auth, onto KubeSim's clusters: values from the spec, a Secret and the matching
/// customization, post-rendering (patches, postBuild), the release namespace, and hooks run around the apply.
/// </summary>
public sealed class HelmApplicationTests(DockerRegistry registry) : IAsyncLifetime, IClassFixture<DockerRegistry>
{
    private FleetEnvironment _env = null!;

    public async Task InitializeAsync() => _env = await FleetEnvironment.StartAsync();

    public async Task DisposeAsync() => await _env.DisposeAsync();

    private const string DeploymentPath = "/apis/apps/v1/namespaces/shop/deployments/web";
    private const string ConfigMapPath = "/api/v1/namespaces/shop/configmaps/web-config";
    private const string MigrateJobPath = "/apis/batch/v1/namespaces/shop/jobs/web-migrate";
    private const string SmokeJobPath = "/apis/batch/v1/namespaces/shop/jobs/web-smoke";

    /// <summary>A chart with a Deployment, a ConfigMap showing its inputs, a pre-install/upgrade Job and a post-install/upgrade Job deleted on success.</summary>
    private static Dictionary<string, string> Chart(string version, string image) => new()
    {
        ["Chart.yaml"] = $"apiVersion: v2\nname: web\nversion: {version}\n",
        ["values.yaml"] = $"greeting: hello\nimage: {image}\nreplicas: 1\n",
        ["templates/deployment.yaml"] = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: {{ .Release.Name }}
            spec:
              replicas: {{ .Values.replicas }}
              selector: {matchLabels: {app: {{ .Release.Name }}}}
              template:
                metadata: {labels: {app: {{ .Release.Name }}}}
                spec:
                  containers:
                  - name: web
                    image: {{ .Values.image }}
            """,
        ["templates/configmap.yaml"] = """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: {{ .Release.Name }}-config
            data:
              greeting: {{ .Values.greeting | quote }}
              kube: {{ .Capabilities.KubeVersion.Version | quote }}
              releaseNamespace: {{ .Release.Namespace }}
              cluster: "${cluster_name}"
            """,
        ["templates/hooks.yaml"] = """
            apiVersion: batch/v1
            kind: Job
            metadata:
              name: {{ .Release.Name }}-migrate
              annotations:
                helm.sh/hook: pre-install,pre-upgrade
                helm.sh/hook-weight: "-5"
                helm.sh/hook-delete-policy: {{ .Values.migratePolicy | default "before-hook-creation" }}
            spec:
              template:
                spec:
                  restartPolicy: Never
                  containers: [{name: migrate, image: "{{ .Values.image }}"}]
            ---
            apiVersion: batch/v1
            kind: Job
            metadata:
              name: {{ .Release.Name }}-smoke
              annotations:
                helm.sh/hook: post-install,post-upgrade
                helm.sh/hook-delete-policy: hook-succeeded
            spec:
              template:
                spec:
                  restartPolicy: Never
                  containers: [{name: smoke, image: busybox}]
            """,
    };

    private static string Application(string source, string helm) => $$"""
        apiVersion: fleet.dev/v1
        kind: Application
        metadata: {name: web}
        spec:
          sourceRef: {{source}}
          interval: 2s
          retryInterval: 1s
          timeout: 30s
          prune: true
          targetNamespace: shop
          clusterSelector:
            matchLabels: {env: prod}
          helm:
        {{helm}}
          targetCustomizations:
          - name: us
            clusterSelector:
              matchLabels: {region: us}
            helm:
              values: {greeting: howdy}
          patches:
          - target: {kind: Deployment}
            patch: |
              apiVersion: apps/v1
              kind: Deployment
              metadata:
                name: web
                labels: {patched: "yes"}
          postBuild:
            substitute: {team: payments}
        """;

    /// <summary>Waits; on a time-out says what the application, a placement and the source report.</summary>
    private async Task WaitAsync(Func<bool> condition, string what)
    {
        try
        {
            await _env.WaitAsync(condition, what, 60);
        }
        catch (TimeoutException ex)
        {
            var app = await _env.TryGetAsync("applications/web");
            var placement = await _env.TryGetAsync("placements/web~sim-0001");
            var repo = await _env.TryGetAsync("helmrepositories/charts");
            throw new TimeoutException($"{ex.Message}; application: {app?["status"]?.ToJsonString()}; placement: {placement?["status"]?.ToJsonString()}; repository: {repo?["status"]?.ToJsonString()}", ex);
        }
    }

    private static string? Str(JsonObject? o, params string[] path)
    {
        JsonNode? n = o;
        foreach (var p in path)
        {
            n = n?[p];
        }
        return n?.GetValue<string>();
    }

    [Fact]
    public async Task ChartFromGit_PerClusterValues_PostRendered_WithHooksAroundTheApply_AndUpgradedOnASecretChange()
    {
        foreach (var (path, content) in Chart("0.1.0", "nginx:1.25"))
        {
            _env.Repo.Write("charts/web/" + path, content);
        }
        _env.Repo.Commit("chart");
        await _env.FetchNowAsync();
        await _env.PutAsync("secrets/web-values", "apiVersion: fleet.dev/v1\nkind: Secret\nmetadata: {name: web-values}\nstringData:\n  values.yaml: \"image: nginx:1.26\\n\"\n");
        await _env.PutAsync("applications/web", Application("{kind: GitRepository, name: repo}", """
                chart: charts/web
                createNamespace: true
                values: {replicas: 2}
                valuesFrom:
                - {kind: Secret, name: web-values}
            """));

        await WaitAsync(() => FleetEnvironment.Prod.All(c => FleetEnvironment.Image(_env.Get(c, DeploymentPath)) == "nginx:1.26" && _env.Get(c, SmokeJobPath) is null && _env.Get(c, MigrateJobPath) is not null),
            "every prod cluster runs the chart, its pre-install hook kept and its post-install hook deleted");
        await _env.WaitAsync(async () => (await _env.ApplicationAsync())["status"]?["placements"]?["ready"]?.GetValue<int>() == 10, "ten ready placements");
        foreach (var (name, env, region) in FleetEnvironment.Clusters)
        {
            if (env == "dev")
            {
                Assert.Null(_env.Get(name, DeploymentPath));
                continue;
            }
            var deployment = _env.Get(name, DeploymentPath)!;
            Assert.Equal(2, deployment["spec"]!["replicas"]!.GetValue<int>());
            Assert.Equal("yes", Str(deployment, "metadata", "labels", "patched"));
            var cm = _env.Get(name, ConfigMapPath)!;
            Assert.Equal(region == "us" ? "howdy" : "hello", Str(cm, "data", "greeting"));
            Assert.Equal(name, Str(cm, "data", "cluster"));
            Assert.Equal("shop", Str(cm, "data", "releaseNamespace"));
            Assert.Equal("v1.32.0", Str(cm, "data", "kube"));
            Assert.Equal("True", _env.Get(name, MigrateJobPath)!["status"]!["conditions"]!.AsArray().Single(c => Str(c!.AsObject(), "type") == "Complete")!["status"]!.GetValue<string>());
        }

        // Hooks are not part of what the placement owns (never pruned, never drift-corrected).
        var placement = await _env.TryGetAsync("placements/web~sim-0001");
        var inventory = placement!["status"]!["inventory"]!.AsArray().Select(e => Str(e!.AsObject(), "kind") + "/" + Str(e!.AsObject(), "name")).ToList();
        Assert.Contains("Deployment/web", inventory);
        Assert.DoesNotContain("Job/web-migrate", inventory);

        // A new value in the Secret is an upgrade: the pre-upgrade hook is made again (before-hook-creation), then the manifests.
        var firstMigrate = Str(_env.Get("sim-0001", MigrateJobPath), "metadata", "uid");
        await _env.PutAsync("secrets/web-values", "apiVersion: fleet.dev/v1\nkind: Secret\nmetadata: {name: web-values}\nstringData:\n  values.yaml: \"image: nginx:1.27\\n\"\n");
        await WaitAsync(() => FleetEnvironment.Prod.All(c => FleetEnvironment.Image(_env.Get(c, DeploymentPath)) == "nginx:1.27"), "the new image everywhere");
        await _env.WaitAsync(() => Str(_env.Get("sim-0001", MigrateJobPath), "metadata", "uid") is { } uid && uid != firstMigrate, "the migrate hook re-created for the upgrade");
        Assert.Equal("nginx:1.27", Str(_env.Get("sim-0001", MigrateJobPath)!["spec"]!["template"]!["spec"]!["containers"]![0]!.AsObject(), "image"));
    }

    [Fact]
    public async Task AFailingPreInstallHook_StopsTheApply_IsDeletedUnderHookFailed_AndAFixRecovers()
    {
        foreach (var (path, content) in Chart("0.1.0", "nginx:fail"))
        {
            _env.Repo.Write("charts/web/" + path, content);
        }
        _env.Repo.Commit("chart with a failing migration");
        await _env.FetchNowAsync();
        var app = Application("{kind: GitRepository, name: repo}", """
                chart: charts/web
                createNamespace: true
                values: {migratePolicy: hook-failed}
            """).Replace("env: prod", "region: eu", StringComparison.Ordinal).Replace("timeout: 30s", "timeout: 10s", StringComparison.Ordinal);
        await _env.PutAsync("applications/web", app);

        await _env.WaitAsync(async () => await _env.PlacementReadyAsync("web~sim-0001", "message") is { } m && m.Contains("hook Job/shop/web-migrate failed", StringComparison.Ordinal),
            "the placement reports the failed hook");
        Assert.Equal("ReconciliationFailed", await _env.PlacementReadyAsync("web~sim-0001", "reason"));
        Assert.Null(_env.Get("sim-0001", DeploymentPath));
        await _env.WaitAsync(() => _env.Get("sim-0001", MigrateJobPath) is null, "the failed hook deleted under hook-failed");

        // The fix: the hook succeeds, then the manifests are applied.
        await _env.PutAsync("applications/web", app.Replace("values: {migratePolicy: hook-failed}", "values: {migratePolicy: hook-failed, image: \"nginx:1.25\"}", StringComparison.Ordinal));
        await WaitAsync(() => FleetEnvironment.Clusters.Where(c => c.Region == "eu").All(c => FleetEnvironment.Image(_env.Get(c.Name, DeploymentPath)) == "nginx:1.25"), "the fixed chart on every eu cluster");
    }

    [Fact]
    public async Task ChartFromHttpRepository_WithBasicAuth_PicksTheSemverRange_AndANewVersionRollsOut()
    {
        using var repo = new ChartRepository("reader", "s3cret");
        repo.Publish("1.0.0", Chart("1.0.0", "nginx:1.25"));
        repo.Publish("2.0.0", Chart("2.0.0", "nginx:2.0"));
        await _env.PutAsync("secrets/charts", "apiVersion: fleet.dev/v1\nkind: Secret\nmetadata: {name: charts}\nstringData: {username: reader, password: s3cret}\n");
        await _env.PutAsync("helmrepositories/charts", $"""
            apiVersion: source.toolkit.fluxcd.io/v1
            kind: HelmRepository
            metadata: {"{"}name: charts{"}"}
            spec:
              url: {repo.Url}
              interval: 1h
              secretRef: {"{"}name: charts{"}"}
            """);
        await _env.PutAsync("applications/web", Application("{kind: HelmRepository, name: charts}", """
                chart: web
                version: "^1.0"
                createNamespace: true
            """));

        await WaitAsync(() => FleetEnvironment.Prod.All(c => FleetEnvironment.Image(_env.Get(c, DeploymentPath)) == "nginx:1.25"), "version 1.0.0 on every prod cluster");
        await _env.WaitAsync(async () => Str(await _env.ApplicationAsync(), "status", "lastAppliedRevision") == "web@1.0.0", "the application reports web@1.0.0");
        var downloads = repo.ChartDownloads;

        repo.Publish("1.1.0", Chart("1.1.0", "nginx:1.27"));
        await _env.Silo.Services.GetRequiredService<IGrainFactory>().GetGrain<IHelmRepositoryGrain>($"{FleetEnvironment.Ns}/charts").HintFetchNow();
        await WaitAsync(() => FleetEnvironment.Prod.All(c => FleetEnvironment.Image(_env.Get(c, DeploymentPath)) == "nginx:1.27"), "version 1.1.0 (not 2.0.0) on every prod cluster");
        // Each version is downloaded once, however many clusters render it.
        Assert.Equal(downloads + 1, repo.ChartDownloads);

        // Wrong credentials: the repository is not Ready, says why, and shows no secret; what runs stays.
        await _env.PutAsync("secrets/charts", "apiVersion: fleet.dev/v1\nkind: Secret\nmetadata: {name: charts}\nstringData: {username: reader, password: wrong-pass}\n");
        await _env.WaitAsync(async () => await _env.TryGetAsync("helmrepositories/charts") is { } h && Fleet.Gateway.Tests.Support.SiloHost.Condition(h, "Ready", "reason") == "AuthenticationFailed", "the repository reports AuthenticationFailed");
        var message = Fleet.Gateway.Tests.Support.SiloHost.Condition((await _env.TryGetAsync("helmrepositories/charts"))!, "Ready", "message");
        Assert.DoesNotContain("wrong-pass", message, StringComparison.Ordinal);
        Assert.Equal("nginx:1.27", FleetEnvironment.Image(_env.Get("sim-0001", DeploymentPath)));
    }

    /// <summary>A chart's files (web/...) packaged as `helm package` lays them out.</summary>
    private static byte[] Pack(Dictionary<string, string> files)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Ustar))
        {
            foreach (var (path, content) in files)
            {
                tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, "web/" + path) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) });
            }
        }
        return buffer.ToArray();
    }

    [RequiresRegistryFact]
    public async Task ChartFromOciRegistry_IsListedPulledAndRendered_AndANewTagRollsOut()
    {
        await registry.PushAsync("web", "1.0.0", Pack(Chart("1.0.0", "nginx:1.25")));
        await _env.PutAsync("secrets/registry", $"apiVersion: fleet.dev/v1\nkind: Secret\nmetadata: {{name: registry}}\nstringData: {{username: {DockerRegistry.User}, password: {DockerRegistry.Password}}}\n");
        await _env.PutAsync("helmrepositories/charts", $"""
            apiVersion: fleet.dev/v1
            kind: HelmRepository
            metadata: {"{"}name: charts{"}"}
            spec:
              type: oci
              url: {registry.Repository}
              insecure: true
              secretRef: {"{"}name: registry{"}"}
            """);
        await _env.PutAsync("applications/web", Application("{kind: HelmRepository, name: charts}", """
                chart: web
                version: "~1"
                createNamespace: true
            """));

        await WaitAsync(() => FleetEnvironment.Prod.All(c => FleetEnvironment.Image(_env.Get(c, DeploymentPath)) == "nginx:1.25"), "1.0.0 from the registry on every prod cluster");
        await _env.WaitAsync(async () => Str(await _env.ApplicationAsync(), "status", "lastAppliedRevision") == "web@1.0.0", "the application reports web@1.0.0");

        // An OCI repository has no index: a new tag is found when the application reconciles (here, at its 2s interval).
        await registry.PushAsync("web", "1.2.0", Pack(Chart("1.2.0", "nginx:1.27")));
        await WaitAsync(() => FleetEnvironment.Prod.All(c => FleetEnvironment.Image(_env.Get(c, DeploymentPath)) == "nginx:1.27"), "1.2.0 on every prod cluster");
    }

    /// <summary>An HTTP chart repository on loopback (index.yaml and packaged charts) that demands basic auth.</summary>
    private sealed class ChartRepository : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly Dictionary<string, byte[]> _archives = new(StringComparer.Ordinal);
        private readonly string _auth;
        private readonly Lock _gate = new();
        private int _downloads;

        public ChartRepository(string user, string password)
        {
            _auth = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            Url = $"http://127.0.0.1:{port}/charts";
            _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            _listener.Start();
            _ = Task.Run(ServeAsync);
        }

        public string Url { get; }

        public int ChartDownloads => Volatile.Read(ref _downloads);

        /// <summary>Packages a chart and lists it in the index.</summary>
        public void Publish(string version, Dictionary<string, string> files)
        {
            lock (_gate)
            {
                _archives[$"web-{version}.tgz"] = Pack(files);
            }
        }

        private string Index()
        {
            var sb = new StringBuilder("apiVersion: v1\nentries:\n  web:\n");
            lock (_gate)
            {
                foreach (var (file, bytes) in _archives)
                {
                    var version = file["web-".Length..^".tgz".Length];
                    sb.Append($"  - name: web\n    version: {version}\n    digest: {Convert.ToHexStringLower(SHA256.HashData(bytes))}\n    urls: [{file}]\n");
                }
            }
            return sb.ToString();
        }

        private async Task ServeAsync()
        {
            while (true)
            {
                HttpListenerContext ctx;
                try
                {
                    ctx = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                byte[] body = [];
                var path = ctx.Request.Url!.AbsolutePath;
                if (ctx.Request.Headers["Authorization"] != _auth)
                {
                    ctx.Response.StatusCode = 401;
                }
                else if (path == "/charts/index.yaml")
                {
                    body = Encoding.UTF8.GetBytes(Index());
                }
                else
                {
                    lock (_gate)
                    {
                        if (path.StartsWith("/charts/", StringComparison.Ordinal) && _archives.TryGetValue(path["/charts/".Length..], out var archive))
                        {
                            body = archive;
                            _downloads++;
                        }
                        else
                        {
                            ctx.Response.StatusCode = 404;
                        }
                    }
                }
                await ctx.Response.OutputStream.WriteAsync(body);
                ctx.Response.Close();
            }
        }

        public void Dispose() => _listener.Close();
    }
}
