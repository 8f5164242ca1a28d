using System.Text.Json;
using Fleet.Abstractions.Grains;
using Fleet.Abstractions.Resources;
using Fleet.Store;
using Fleet.Store.Secrets;
using Fleet.Sources;

namespace Fleet.Grains.Receivers;

/// <summary>
/// Gives a Receiver its webhook path, <c>/hook/</c> + sha256(token + name + namespace) as Flux makes it: unguessable
/// without the token. Written to the Receiver's status when it or its Secret changes (hinted by the change dispatcher).
/// </summary>
internal sealed class ReceiverGrain(IResourceStore store, SecretReader secrets, TimeProvider time) : Grain, IReceiverGrain
{
    public async Task HintSpecChanged()
    {
        var key = this.GetPrimaryKeyString();
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        var (ns, name) = (key[..slash], key[(slash + 1)..]);
        var stored = await store.GetAsync(ResourceKinds.Receiver.Kind, ns, name);
        if (stored is null)
        {
            DeactivateOnIdle();
            return;
        }

        var spec = JsonSerializer.Deserialize<ReceiverSpec>(stored.SpecJson, FleetJson.Options)!;
        var data = await secrets.GetAsync(ns, spec.SecretRef.Name);
        var now = time.GetUtcNow();
        ReceiverStatus status;
        if (data is null || !data.TryGetValue("token", out var token) || token.Length == 0)
        {
            var why = data is null ? $"the Secret {ns}/{spec.SecretRef.Name} does not exist" : $"the Secret {ns}/{spec.SecretRef.Name} has no 'token' key";
            status = new ReceiverStatus
            {
                ObservedGeneration = stored.Generation,
                Conditions = [new Condition { Type = ConditionTypes.Ready, Status = ConditionStatus.False, Reason = Reasons.CredentialsNotFound, Message = why, ObservedGeneration = stored.Generation, LastTransitionTime = now }],
            };
        }
        else
        {
            var path = Webhooks.HookPath(token, name, ns);
            status = new ReceiverStatus
            {
                ObservedGeneration = stored.Generation,
                WebhookPath = path,
                Conditions = [new Condition { Type = ConditionTypes.Ready, Status = ConditionStatus.True, Reason = Reasons.Succeeded, Message = $"Receiver initialized for path: {path}", ObservedGeneration = stored.Generation, LastTransitionTime = now }],
            };
        }

        await store.UpdateStatusAsync(ResourceKinds.Receiver.Kind, ns, name, JsonSerializer.Serialize(status, FleetJson.Options));
        DeactivateOnIdle();
    }
}
