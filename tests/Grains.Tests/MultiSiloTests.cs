using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Fleet.Grains.Tests.Support;
using Fleet.KubeSim;
using Fleet.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Runtime;
using Xunit.Abstractions;

namespace Fleet.Grains.Tests;

/// <summary>
/// Three silos as real processes sharing PostgreSQL (Orleans' ADO.NET clustering, persistence and reminders): grains
/// spread over them, and when one is killed mid-rollout its grains come back on the others and the rollout completes
/// with nothing lost.
/// </summary>
public sealed class MultiSiloTests(ITestOutputHelper output)
{
    [PostgresFact]
    public async Task KillOneOfThreeSilosMidRollout_GrainsMove_RolloutCompletes_NothingLost()
    {
        var cs = await new PostgresFixture().CreateDatabaseAsync();
        var root = Directory.CreateTempSubdirectory("fleet-multisilo-").FullName;
        await using var sim = await KubeSimServer.StartAsync(new KubeSimOptions { Clusters = 20, Token = FleetEnvironment.Token, ReadyDelay = TimeSpan.FromMilliseconds(200), Tls = true });
        var repo = new GitRepo();
        FleetEnvironment.WriteExample(repo, "nginx:1.25");
        repo.Commit("first");

        string[] shared = ["--Fleet:Store:Provider=Postgres", $"--Fleet:Store:ConnectionString={cs}", "--Fleet:Clustering=AdoNet",
            $"--Fleet:SecretKey={Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))}"];
        var silos = new List<SiloProcess>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                silos.Add(await SiloProcess.StartAsync($"silo-{i}", Path.Combine(root, $"silo-{i}"), shared));
            }

            using var http = silos[0].Client(TimeSpan.FromSeconds(60));
            async Task PutAsync(string path, string yaml)
            {
                var content = new StringContent(yaml, Encoding.UTF8);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/yaml");
                var response = await http.PutAsync($"api/v1/namespaces/{FleetEnvironment.Ns}/{path}", content);
                Assert.True(response.IsSuccessStatusCode, $"PUT {path}: {await response.Content.ReadAsStringAsync()}");
            }

            async Task<JsonObject> GetAsync(string path) =>
                JsonNode.Parse(await http.GetStringAsync($"api/v1/namespaces/{FleetEnvironment.Ns}/{path}"))!.AsObject();

            string? ImageOn(string cluster)
            {
                var (status, body) = sim.Invoke(cluster, "GET", FleetEnvironment.DeploymentPath);
                return status == 200 ? FleetEnvironment.Image(JsonNode.Parse(body)!.AsObject()) : null;
            }

            await PutAsync("secrets/sim-token", $"apiVersion: fleet.dev/v1\nkind: Secret\nmetadata: {{name: sim-token}}\nstringData: {{token: {FleetEnvironment.Token}}}\n");
            foreach (var (name, env, region) in FleetEnvironment.Clusters)
            {
                await PutAsync($"clusters/{name}", FleetEnvironment.ClusterYaml(sim, name, env, region));
            }

            await PutAsync("gitrepositories/repo", $"apiVersion: fleet.dev/v1\nkind: GitRepository\nmetadata: {{name: repo}}\nspec:\n  url: {repo.Url}\n  ref: {{branch: main}}\n  interval: 2s\n");
            await PutAsync("applications/web", FleetEnvironment.Application(extra: "  rollout:\n    maxUnavailable: \"1\""));
            await Eventually.WaitAsync(() => FleetEnvironment.Prod.All(c => ImageOn(c) == "nginx:1.25"), "first revision everywhere", TimeSpan.FromSeconds(180));

            // Grains are spread over the silos.
            using var client = await ClientAsync(cs);
            var management = client.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0);
            var stats = await management.GetSimpleGrainStatistics();
            var placementsBySilo = stats.Where(s => s.GrainType.Contains("Placement", StringComparison.Ordinal))
                .GroupBy(s => s.SiloAddress.Endpoint.Port).ToDictionary(g => g.Key, g => g.Sum(s => s.ActivationCount));
            output.WriteLine($"placement activations by silo port: {string.Join(", ", placementsBySilo.Select(p => $"{p.Key}={p.Value}"))}");
            Assert.True(placementsBySilo.Count >= 2, "placement grains run on more than one silo");

            // A new revision, and a silo killed while it rolls out one cluster at a time.
            FleetEnvironment.WriteExample(repo, "nginx:1.27");
            repo.Commit("new image");
            await Eventually.WaitAsync(() => FleetEnvironment.Prod.Any(c => ImageOn(c) == "nginx:1.27"), "the rollout has begun", TimeSpan.FromSeconds(60));
            var victim = silos.Skip(1).OrderByDescending(s => placementsBySilo.GetValueOrDefault(s.SiloPort)).First();
            var killedAt = Stopwatch.StartNew();
            victim.Kill();
            output.WriteLine($"killed {victim.Name} (silo port {victim.SiloPort}) with {FleetEnvironment.Prod.Count(c => ImageOn(c) == "nginx:1.27")}/10 clusters on the new revision");

            await Eventually.WaitAsync(() => FleetEnvironment.Prod.All(c => ImageOn(c) == "nginx:1.27"), "the rollout finished on the surviving silos", TimeSpan.FromSeconds(240));
            var recovered = killedAt.Elapsed;
            await Eventually.WaitAsync(async () => Fleet.Gateway.Tests.Support.SiloHost.Condition(await GetAsync("applications/web"), "Ready") == "True", "the application Ready", TimeSpan.FromSeconds(120));
            output.WriteLine($"time to recover: every cluster on the new revision {recovered.TotalSeconds:0.0} s after the kill");
            Console.WriteLine($"multi-silo failover: rollout completed {recovered.TotalSeconds:0.0} s after kill -9 of one of 3 silos");

            // Nothing lost: every registration, the application and each placement's applied revision.
            var app = await GetAsync("applications/web");
            var revision = app["status"]!["lastAppliedRevision"]!.GetValue<string>();
            Assert.Equal(app["status"]!["lastAttemptedRevision"]!.GetValue<string>(), revision);
            Assert.Equal(20, (await GetAsync("clusters"))["items"]!.AsArray().Count);
            var placements = (await GetAsync("placements"))["items"]!.AsArray();
            Assert.Equal(10, placements.Count);
            Assert.All(placements, p => Assert.Equal(revision, p!["status"]!["lastAppliedRevision"]!.GetValue<string>()));
            Assert.All(FleetEnvironment.Clusters.Where(c => c.Env == "dev"), c => Assert.Null(ImageOn(c.Name)));
        }
        catch (Exception) when (silos.Count > 0)
        {
            foreach (var s in silos)
            {
                output.WriteLine($"--- {s.Name} ---\n{s.Output[Math.Max(0, s.Output.Length - 4000)..]}");
            }

            throw;
        }
        finally
        {
            foreach (var s in silos)
            {
                await s.DisposeAsync();
            }

            repo.Dispose();
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
                // A file of a killed process; the temporary directory is cleaned by the OS.
            }
        }
    }

    /// <summary>An Orleans client of the silos' cluster, to ask where grains run.</summary>
    private static async Task<IHost> ClientAsync(string connectionString)
    {
        var host = Host.CreateDefaultBuilder()
            .UseOrleansClient(c => c
                .Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = "fleet";
                    o.ServiceId = "fleet";
                })
                .UseAdoNetClustering(o =>
                {
                    o.Invariant = "Npgsql";
                    o.ConnectionString = connectionString;
                }))
            .Build();
        await host.StartAsync();
        return host;
    }
}
