using System.Text.Json.Nodes;
using Fleet.Gateway.Tests.Support;
using Fleet.Grains.Tests.Support;
using Fleet.TestSupport;

namespace Fleet.Grains.Tests;

/// <summary>A real kube-apiserver 1.32 registered as a Cluster beside KubeSim clusters: one application reaches both, and drift on the real one is corrected.</summary>
public sealed class RealClusterTests
{
    [KubeRealFact]
    public async Task RealApiServer_BesideKubeSimClusters_GetsTheApplication_AndDriftIsCorrected()
    {
        await using var real = await KubeReal.StartAsync();
        await using var env = await FleetEnvironment.StartAsync();
        using var http = real.Client();
        await env.PutAsync("secrets/real-token", $"apiVersion: fleet.dev/v1\nkind: Secret\nmetadata: {{name: real-token}}\nstringData: {{token: {real.Token}}}\n");
        var ca = string.Join("\n", (await File.ReadAllTextAsync(real.CaFile)).Trim().Split('\n').Select(l => "    " + l));
        await env.PutAsync("clusters/real", $"apiVersion: fleet.dev/v1\nkind: Cluster\nmetadata:\n  name: real\n  labels: {{env: prod, region: eu}}\n" +
            $"spec:\n  server: {real.Server.ToString().TrimEnd('/')}\n  credentialsRef: {{name: real-token}}\n  probeInterval: 2s\n  caData: |\n{ca}\n");
        await env.WaitAsync(async () => SiloHost.Condition(await env.Silo.GetJsonAsync($"api/v1/namespaces/{FleetEnvironment.Ns}/clusters/real"), "Ready") == "True", "the real cluster reachable");

        await env.PutAsync("applications/web", FleetEnvironment.Application());
        async Task<JsonObject?> GetAsync(string path)
        {
            var response = await http.GetAsync(path.TrimStart('/'));
            return response.IsSuccessStatusCode ? JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject() : null;
        }

        await env.WaitAsync(async () => FleetEnvironment.Image(await GetAsync(FleetEnvironment.DeploymentPath)) == "nginx:1.25", "the deployment on the real server");
        await env.WaitAsync(() => FleetEnvironment.Prod.All(c => FleetEnvironment.Image(env.Get(c, FleetEnvironment.DeploymentPath)) == "nginx:1.25"), "the deployment on the KubeSim clusters");
        var cm = await GetAsync(FleetEnvironment.ConfigMapPath);
        Assert.Equal("real", cm!["data"]!["cluster"]!.GetValue<string>());

        // A hand edit on the real server is drift, corrected on the placement's interval.
        var patch = new StringContent("""{"data":{"team":"edited"}}""", System.Text.Encoding.UTF8, "application/merge-patch+json");
        Assert.True((await http.PatchAsync(FleetEnvironment.ConfigMapPath.TrimStart('/'), patch)).IsSuccessStatusCode);
        await env.WaitAsync(async () => (await GetAsync(FleetEnvironment.ConfigMapPath))!["data"]!["team"]!.GetValue<string>() == "payments", "the edit corrected");
    }
}
