using System.Text.Json;
using Fleet.Abstractions.Grains;
using Fleet.Abstractions.Resources;
using Fleet.Runtime;

namespace Fleet.Gateway.Resources;

/// <summary>
/// After an API write, tells the grains that own or use the object. Tells are hints (level-triggered grains
/// recompute from the store), so one that is lost costs latency, never correctness.
/// </summary>
internal sealed class GrainNotifier(IGrainFactory grains, IResourceStore store, ReceiverPaths receivers)
{
    public async Task ChangedAsync(ResourceKind kind, string ns, string name, CancellationToken ct)
    {
        var key = $"{ns}/{name}";
        if (kind == ResourceKinds.Cluster)
        {
            await grains.Get<IClusterGrain>(key).SpecChanged();
            foreach (var app in await store.ListAsync(ResourceKinds.Application.Kind, ns, null, ct))
            {
                await grains.Get<IApplicationGrain>($"{ns}/{app.Name}").ClustersChanged();
            }
        }
        else if (kind == ResourceKinds.GitRepository)
        {
            await grains.Get<IGitRepositoryGrain>(key).SpecChanged();
        }
        else if (kind == ResourceKinds.Application)
        {
            await grains.Get<IApplicationGrain>(key).SpecChanged();
        }
        else if (kind == ResourceKinds.Receiver)
        {
            await receivers.UpdateAsync(ns, name, ct);
        }
        else if (kind == ResourceKinds.Secret)
        {
            foreach (var receiver in await receivers.UsingSecretAsync(ns, name, ct))
            {
                await receivers.UpdateAsync(ns, receiver, ct);
            }
            foreach (var cluster in await store.ListAsync(ResourceKinds.Cluster.Kind, ns, null, ct))
            {
                if (RefersTo(cluster.SpecJson, "credentialsRef", name))
                {
                    await grains.Get<IClusterGrain>($"{ns}/{cluster.Name}").SpecChanged();
                }
            }
            foreach (var repo in await store.ListAsync(ResourceKinds.GitRepository.Kind, ns, null, ct))
            {
                if (RefersTo(repo.SpecJson, "secretRef", name))
                {
                    await grains.Get<IGitRepositoryGrain>($"{ns}/{repo.Name}").SpecChanged();
                }
            }
        }
    }

    private static bool RefersTo(string specJson, string field, string secret)
    {
        using var doc = JsonDocument.Parse(specJson);
        return doc.RootElement.TryGetProperty(field, out var r) && r.TryGetProperty("name", out var n) && n.GetString() == secret;
    }
}
