using Fleet.Gateway.Tests.Support;
using Fleet.TestSupport;

namespace Fleet.Gateway.Tests.Rest;

/// <summary>REST behaviours that need a silo of their own: counting what one request makes it do.</summary>
public sealed class OwnSiloTests
{
    [Fact]
    public async Task Reconcile_OfAGitRepository_MakesItFetchNow()
    {
        await using var silo = await SiloHost.StartAsync();
        using var repo = SourcesGitRepository.Create();
        repo.Commit(new Dictionary<string, string?> { ["x.yaml"] = "x: 1\n" });
        var password = "pw-" + Guid.NewGuid().ToString("N");
        await using var server = await SourcesGitHttpServer.StartAsync(Path.GetDirectoryName(repo.Path)!, "fleet", password);
        await silo.PutSecretAsync("recon", "auth", new Dictionary<string, string> { ["username"] = "fleet", ["password"] = password });
        var url = new Uri(server.BaseUri, Path.GetFileName(repo.Path));
        var put = await silo.PutYamlAsync("api/v1/namespaces/recon/gitrepositories/app", $"apiVersion: fleet.dev/v1\nkind: GitRepository\nmetadata: {{name: app}}\nspec: {{url: '{url}', interval: 1h, ref: {{branch: main}}, secretRef: {{name: auth}}}}\n");
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        await Eventually.WaitAsync(async () => SiloHost.Condition(await silo.GetJsonAsync("api/v1/namespaces/recon/gitrepositories/app"), "Ready") == "True", "the first fetch");
        var before = server.GitRequests;

        // The interval is an hour: only the reconcile request's annotation (through the change dispatcher's hint) fetches now.
        var reconcile = await silo.Http.PostAsync("api/v1/namespaces/recon/gitrepositories/app/reconcile", null);
        Assert.True(reconcile.IsSuccessStatusCode, await reconcile.Content.ReadAsStringAsync());
        await Eventually.WaitAsync(() => server.GitRequests > before, "a fetch after the reconcile request");
    }
}
