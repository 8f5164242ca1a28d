using System.Text.Json.Nodes;
using Fleet.Gateway.Tests.Support;
using Fleet.Store;
using Fleet.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Gateway.Tests;

/// <summary>A source keeps working across a silo restart: its state and artifact survive, and its durable reminder wakes it with nothing called from outside.</summary>
public sealed class SourcesRestartTests : IDisposable
{
    private readonly SourcesGitRepository _repo = SourcesGitRepository.Create();
    private readonly string _data = Path.Combine(Path.GetTempPath(), "fleet-silo-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task GitRepository_AfterSiloRestart_KeepsItsArtifact_AndFetchesAgainByItself()
    {
        var first = _repo.Commit(new Dictionary<string, string?> { ["v"] = "1" });
        string digest;
        await using (var silo = await SiloHost.StartAsync(_data))
        {
            silo.KeepDataDirectory = true;
            var put = await silo.PutYamlAsync("api/v1/namespaces/restart/gitrepositories/app", $$"""
                apiVersion: fleet.dev/v1
                kind: GitRepository
                metadata: {name: app}
                spec:
                  url: {{_repo.FileUrl}}
                  interval: 1s
                  ref: {branch: main}
                """);
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
            var ready = await WaitForRevisionAsync(silo, $"main@sha1:{first}");
            digest = ready["status"]!["artifact"]!["digest"]!.GetValue<string>();
        }

        var second = _repo.Commit(new Dictionary<string, string?> { ["v"] = "2" });
        await using var restarted = await SiloHost.StartAsync(_data);

        var before = await restarted.GetJsonAsync("api/v1/namespaces/restart/gitrepositories/app");
        Assert.Equal(digest, before["status"]!["artifact"]!["digest"]!.GetValue<string>());
        Assert.True(await restarted.Services.GetRequiredService<IBlobStore>().ExistsAsync(digest));
        // No API call and no tell: only the reminder stored before the restart can wake the grain.
        await WaitForRevisionAsync(restarted, $"main@sha1:{second}", TimeSpan.FromSeconds(90));
    }

    private static async Task<JsonObject> WaitForRevisionAsync(SiloHost silo, string revision, TimeSpan? timeout = null)
    {
        JsonObject? last = null;
        await Eventually.WaitAsync(async () =>
        {
            last = await silo.GetJsonAsync("api/v1/namespaces/restart/gitrepositories/app");
            return last["status"]?["artifact"]?["revision"]?.GetValue<string>() == revision;
        }, $"revision {revision}", timeout ?? TimeSpan.FromSeconds(60));
        return last!;
    }

    public void Dispose() => _repo.Dispose();
}
