using System.Net;
using System.Text.Json.Nodes;
using Fleet.Abstractions.Grains;
using Fleet.Gateway.Tests.Support;
using Fleet.KubeSim;
using Fleet.Store;
using Fleet.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Grains.Tests.Support;

/// <summary>
/// KubeSim with 20 labelled virtual clusters, a real silo on SQLite with all of them registered, and a git
/// repository holding a base and two overlays.
/// </summary>
public sealed class FleetEnvironment : IAsyncDisposable
{
    public const string Token = "e2e-token";
    public const string Ns = "team-a";

    private FleetEnvironment(KubeSimServer sim, SiloHost silo, GitRepo repo)
    {
        Sim = sim;
        Silo = silo;
        Repo = repo;
    }

    public KubeSimServer Sim { get; }

    public SiloHost Silo { get; private set; }

    private string[] _siloArgs = [];

    public GitRepo Repo { get; }

    /// <summary>sim-0001..sim-0020: odd numbers are env=prod, even env=dev; 1-10 region=eu, 11-20 region=us.</summary>
    public static IEnumerable<(string Name, string Env, string Region)> Clusters =>
        Enumerable.Range(1, 20).Select(i => ($"sim-{i:0000}", i % 2 == 1 ? "prod" : "dev", i <= 10 ? "eu" : "us"));

    public static IEnumerable<string> Prod => Clusters.Where(c => c.Env == "prod").Select(c => c.Name);

    public static IEnumerable<string> ProdUs => Clusters.Where(c => c.Env == "prod" && c.Region == "us").Select(c => c.Name);

    public static async Task<FleetEnvironment> StartAsync(params string[] siloArgs)
    {
        var sim = await KubeSimServer.StartAsync(new KubeSimOptions { Clusters = 20, Token = Token, ReadyDelay = TimeSpan.FromMilliseconds(200), Tls = true });
        var silo = await SiloHost.StartAsync(null, siloArgs);
        var repo = new GitRepo();
        var env = new FleetEnvironment(sim, silo, repo) { _siloArgs = siloArgs };
        env.WriteExample("nginx:1.25");
        repo.Commit("first");
        await env.PutAsync("secrets/sim-token", $"apiVersion: fleet.dev/v1\nkind: Secret\nmetadata: {{name: sim-token}}\nstringData: {{token: {Token}}}\n");
        foreach (var (name, e, region) in Clusters)
        {
            await env.PutAsync($"clusters/{name}", env.ClusterYaml(name, e, region));
        }
        await env.PutAsync("gitrepositories/repo", $"""
            apiVersion: fleet.dev/v1
            kind: GitRepository
            metadata: {"{"}name: repo{"}"}
            spec:
              url: {repo.Url}
              ref: {"{"}branch: main{"}"}
              interval: 1h
            """);
        return env;
    }

    /// <summary>A Cluster object for a simulated cluster, trusting KubeSim's CA.</summary>
    public string ClusterYaml(string name, string env, string region) => ClusterYaml(Sim, name, env, region);

    /// <summary>A Cluster object for a cluster of <paramref name="sim"/>, trusting its CA.</summary>
    public static string ClusterYaml(KubeSimServer sim, string name, string env, string region)
    {
        var ca = string.Join("\n", sim.CaCertificatePem!.Trim().Split('\n').Select(l => "    " + l));
        return $"apiVersion: fleet.dev/v1\nkind: Cluster\nmetadata:\n  name: {name}\n  labels: {{env: {env}, region: {region}}}\n" +
            $"spec:\n  server: {sim.ClusterUri(name)}\n  credentialsRef: {{name: sim-token}}\n  probeInterval: 2s\n  caData: |\n{ca}\n";
    }

    /// <summary>A kubeconfig for the real kubectl against one simulated cluster (kubectl sends tokens only over TLS).</summary>
    public string WriteKubeconfig(string cluster)
    {
        var path = Path.Combine(Repo.Directory + "-kubeconfig-" + cluster);
        var ca = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(Sim.CaCertificatePem!));
        File.WriteAllText(path, $"apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: {Sim.ClusterUri(cluster)}\n    certificate-authority-data: {ca}\n" +
            $"users:\n- name: u\n  user:\n    token: {Token}\ncontexts:\n- name: c\n  context: {{cluster: c, user: u}}\ncurrent-context: c\n");
        return path;
    }

    /// <summary>A base (Namespace, Deployment, ConfigMap using postBuild variables, Service) and overlays prod and prod-us.</summary>
    public void WriteExample(string image) => WriteExample(Repo, image);

    /// <summary>The example of <see cref="WriteExample(string)"/> in any repository.</summary>
    public static void WriteExample(GitRepo repo, string image)
    {
        repo.Write("base/kustomization.yaml", "resources:\n- namespace.yaml\n- deployment.yaml\n- configmap.yaml\n- service.yaml\n");
        repo.Write("base/namespace.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: demo\n");
        repo.Write("base/deployment.yaml", $$"""
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
              namespace: demo
            spec:
              replicas: 1
              selector:
                matchLabels: {app: web}
              template:
                metadata:
                  labels: {app: web}
                spec:
                  containers:
                  - name: web
                    image: {{image}}
            """);
        repo.Write("base/configmap.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\n  namespace: demo\ndata:\n  cluster: ${cluster_name}\n  region: ${cluster_label_region}\n  team: ${team:=none}\n");
        repo.Write("base/service.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: demo\nspec:\n  selector: {app: web}\n  ports:\n  - port: 80\n");
        repo.Write("overlays/prod/kustomization.yaml", "resources:\n- ../../base\ncommonLabels:\n  tier: prod\n");
        repo.Write("overlays/prod-us/kustomization.yaml", "resources:\n- ../prod\ncommonAnnotations:\n  fleet.dev/flavor: us\n");
    }

    public static string Application(string name = "web", string extra = "") => $"""
        apiVersion: fleet.dev/v1
        kind: Application
        metadata: {"{"}name: {name}{"}"}
        spec:
          sourceRef: {"{"}kind: GitRepository, name: repo{"}"}
          path: overlays/prod
          interval: 2s
          retryInterval: 1s
          timeout: 30s
          prune: true
          clusterSelector:
            matchLabels: {"{"}env: prod{"}"}
          targetCustomizations:
          - name: us
            clusterSelector:
              matchLabels: {"{"}region: us{"}"}
            path: overlays/prod-us
          postBuild:
            substitute: {"{"}team: payments{"}"}
        {extra}
        """;

    public async Task PutAsync(string path, string yaml)
    {
        var response = await Silo.PutYamlAsync($"api/v1/namespaces/{Ns}/{path}", yaml);
        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Created, $"PUT {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>Stops the silo (its grains with it) and starts a new one on the same data directory and database.</summary>
    public async Task RestartSiloAsync()
    {
        Silo.KeepDataDirectory = true;
        await Silo.DisposeAsync();
        var restarted = await SiloHost.StartAsync(Silo.DataDirectory, _siloArgs);
        Silo = restarted;
    }

    /// <summary>Makes the source fetch now, as a webhook would.</summary>
    public Task FetchNowAsync() => Silo.Services.GetRequiredService<IGrainFactory>().GetGrain<IGitRepositoryGrain>($"{Ns}/repo").HintFetchNow();

    /// <summary>An object on a simulated cluster, or null when it is not there.</summary>
    public JsonObject? Get(string cluster, string path)
    {
        var (status, body) = Sim.Invoke(cluster, "GET", path);
        return status == 200 ? JsonNode.Parse(body)!.AsObject() : null;
    }

    public static string? Image(JsonObject? deployment) =>
        deployment?["spec"]?["template"]?["spec"]?["containers"]?[0]?["image"]?.GetValue<string>();

    public const string DeploymentPath = "/apis/apps/v1/namespaces/demo/deployments/web";
    public const string ConfigMapPath = "/api/v1/namespaces/demo/configmaps/web-config";
    public const string ServicePath = "/api/v1/namespaces/demo/services/web";

    /// <summary>An API object, or null while it does not exist.</summary>
    public async Task<JsonObject?> TryGetAsync(string path)
    {
        var response = await Silo.Http.GetAsync($"api/v1/namespaces/{Ns}/{path}");
        return response.StatusCode == HttpStatusCode.NotFound ? null : JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    /// <summary>The Ready condition's reason (or another field) of a placement, or null while it does not exist.</summary>
    public async Task<string?> PlacementReadyAsync(string placement, string field = "status") =>
        await TryGetAsync($"placements/{placement}") is { } p ? SiloHost.Condition(p, "Ready", field) : null;

    public async Task<JsonObject> ApplicationAsync(string name = "web") => await Silo.GetJsonAsync($"api/v1/namespaces/{Ns}/applications/{name}");

    public Task WaitAsync(Func<bool> condition, string what, int seconds = 90) => Eventually.WaitAsync(condition, what, TimeSpan.FromSeconds(seconds));

    public Task WaitAsync(Func<Task<bool>> condition, string what, int seconds = 90) => Eventually.WaitAsync(condition, what, TimeSpan.FromSeconds(seconds));

    public async ValueTask DisposeAsync()
    {
        await Silo.DisposeAsync();
        await Sim.DisposeAsync();
        Repo.Dispose();
    }
}
