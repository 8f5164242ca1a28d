using System.Globalization;
using System.Text;
using Fleet.TestSupport;

namespace Fleet.Bench.ScaleDrill;

/// <summary>
/// What every drill registers: the KubeSim clusters (labelled <c>env=drill</c>), a Git repository with M applications of
/// about 20 objects each (a Namespace, RBAC, a Deployment, a Service and ConfigMaps, one of them with the cluster's name
/// substituted), the GitRepository, a generic Receiver whose webhook makes it fetch, and the Applications.
/// </summary>
internal static class DrillFleet
{
    public const string Ns = "drill";
    public const string Deployment = "web";

    /// <summary>The namespace on the clusters of application <paramref name="app"/>.</summary>
    public static string AppNamespace(int app) => $"app-{app}";

    public static string Image(int version) => $"nginx:1.{version}";

    /// <summary>Writes the applications' manifests (all of them with <paramref name="image"/>).</summary>
    public static void WriteApps(GitRepo repo, int apps, string image)
    {
        for (var a = 0; a < apps; a++)
        {
            var ns = AppNamespace(a);
            var sb = new StringBuilder();
            sb.Append(CultureInfo.InvariantCulture, $"""
                apiVersion: v1
                kind: Namespace
                metadata: {"{"}name: {ns}{"}"}
                ---
                apiVersion: v1
                kind: ServiceAccount
                metadata: {"{"}name: web, namespace: {ns}{"}"}
                ---
                apiVersion: rbac.authorization.k8s.io/v1
                kind: Role
                metadata: {"{"}name: web, namespace: {ns}{"}"}
                rules:
                - apiGroups: [""]
                  resources: [configmaps]
                  verbs: [get, list, watch]
                ---
                apiVersion: rbac.authorization.k8s.io/v1
                kind: RoleBinding
                metadata: {"{"}name: web, namespace: {ns}{"}"}
                roleRef: {"{"}apiGroup: rbac.authorization.k8s.io, kind: Role, name: web{"}"}
                subjects:
                - {"{"}kind: ServiceAccount, name: web, namespace: {ns}{"}"}
                ---
                apiVersion: apps/v1
                kind: Deployment
                metadata: {"{"}name: {Deployment}, namespace: {ns}{"}"}
                spec:
                  replicas: 1
                  selector:
                    matchLabels: {"{"}app: web{"}"}
                  template:
                    metadata:
                      labels: {"{"}app: web{"}"}
                    spec:
                      serviceAccountName: web
                      containers:
                      - name: web
                        image: {image}
                ---
                apiVersion: v1
                kind: Service
                metadata: {"{"}name: web, namespace: {ns}{"}"}
                spec:
                  selector: {"{"}app: web{"}"}
                  ports:
                  - port: 80
                ---
                apiVersion: v1
                kind: ConfigMap
                metadata: {"{"}name: cluster, namespace: {ns}{"}"}
                data:
                  cluster: ${"{"}cluster_name{"}"}
                  image: "{image}"

                """);
            for (var c = 0; c < 13; c++)
            {
                sb.Append(CultureInfo.InvariantCulture, $"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: settings-{c}, namespace: {ns}}}\ndata:\n  key: \"value {c}\"\n");
            }

            repo.Write($"apps/app-{a}/all.yaml", sb.ToString());
        }
    }

    public const string SecretYaml = $"apiVersion: fleet.dev/v1\nkind: Secret\nmetadata: {{name: sim-token}}\nstringData: {{token: {KubeSimProcess.Token}}}\n";

    public const string HookSecretYaml = "apiVersion: fleet.dev/v1\nkind: Secret\nmetadata: {name: hook-token}\nstringData: {token: drill-hook}\n";

    public const string ReceiverYaml = "apiVersion: fleet.dev/v1\nkind: Receiver\nmetadata: {name: git}\nspec:\n  type: generic\n  resources: [{kind: GitRepository, name: repo}]\n  secretRef: {name: hook-token}\n";

    public static string ClusterYaml(KubeSimProcess sim, string name, string probeInterval) =>
        $"apiVersion: fleet.dev/v1\nkind: Cluster\nmetadata:\n  name: {name}\n  labels: {{env: drill}}\nspec:\n  server: {sim.ClusterUri(name)}\n  credentialsRef: {{name: sim-token}}\n  probeInterval: {probeInterval}\n";

    public static string GitRepositoryYaml(GitRepo repo, string interval) =>
        $"apiVersion: fleet.dev/v1\nkind: GitRepository\nmetadata: {{name: repo}}\nspec:\n  url: {repo.Url}\n  ref: {{branch: main}}\n  interval: {interval}\n";

    /// <summary>An application of every <c>env=drill</c> cluster; <paramref name="rollout"/> is extra spec YAML (two-space indented).</summary>
    public static string ApplicationYaml(int app, string interval, string rollout = "") => $"""
        apiVersion: fleet.dev/v1
        kind: Application
        metadata: {"{"}name: app-{app}{"}"}
        spec:
          sourceRef: {"{"}kind: GitRepository, name: repo{"}"}
          path: apps/app-{app}
          interval: {interval}
          retryInterval: 5s
          timeout: 2m
          prune: true
          clusterSelector:
            matchLabels: {"{"}env: drill{"}"}
          postBuild:
            substitute: {"{"}team: drill{"}"}
        {rollout}
        """;

    /// <summary>Registers the secret, the clusters, the source and the receiver; returns the receiver's webhook path.</summary>
    public static async Task<string> RegisterAsync(FleetApi api, KubeSimProcess sim, GitRepo repo, string interval)
    {
        await api.PutAsync("secrets", "sim-token", SecretYaml);
        await api.PutAsync("secrets", "hook-token", HookSecretYaml);
        await api.PutAllAsync("clusters", sim.Names.Select(n => (n, ClusterYaml(sim, n, interval))));
        await api.PutAsync("gitrepositories", "repo", GitRepositoryYaml(repo, interval));
        await api.PutAsync("receivers", "git", ReceiverYaml);
        string? path = null;
        await Eventually.WaitAsync(async () => (path = FleetApi.Field(await api.GetAsync("receivers", "git"), "webhookPath")) is not null, "the receiver's webhook path", TimeSpan.FromSeconds(60));
        await Eventually.WaitAsync(async () => (await api.GetAsync("gitrepositories", "repo"))?["status"]?["artifact"] is not null, "the first artifact", TimeSpan.FromSeconds(120));
        return path!;
    }
}
