using Fleet.Gateway.Tests.Support;
using Fleet.TestSupport;

namespace Fleet.Gateway.Tests.Rest;

/// <summary>REST behaviours that need a silo of their own: stopping it, and counting what one request makes it do.</summary>
public sealed class OwnSiloTests
{
    [Fact]
    public async Task Stop_DuringAResourceWatch_EndsTheStreamAndStopsCleanly()
    {
        await using var silo = await SiloHost.StartAsync();
        using var response = await silo.Http.GetAsync("api/v1/clusters?watch=true", HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        await using var stream = await response.Content.ReadAsStreamAsync();
        var drained = Task.Run(async () =>
        {
            using var reader = new StreamReader(stream);
            return await reader.ReadToEndAsync();
        });

        using var shutdownTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var stop = await Record.ExceptionAsync(() => silo.StopAsync(shutdownTimeout.Token));

        Assert.Null(stop);
        Assert.False(shutdownTimeout.IsCancellationRequested, "the host used its whole shutdown timeout");
        await drained;
    }

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
