using System.Text.Json;
using Fleet.Abstractions.Resources;
using Fleet.Runtime;
using Fleet.Runtime.Secrets;
using Fleet.Sources;

namespace Fleet.Gateway.Resources;

/// <summary>
/// Gives each Receiver its webhook path, <c>/hook/</c> + sha256(token + name + namespace) as Flux makes it: unguessable
/// without the token. Written to the Receiver's status when it or its Secret changes.
/// </summary>
internal sealed class ReceiverPaths(IResourceStore store, SecretReader secrets, TimeProvider time)
{
    public async Task UpdateAsync(string ns, string name, CancellationToken ct)
    {
        var stored = await store.GetAsync(ResourceKinds.Receiver.Kind, ns, name, ct);
        if (stored is null)
        {
            return;
        }
        var spec = JsonSerializer.Deserialize<ReceiverSpec>(stored.SpecJson, FleetJson.Options)!;
        var data = await secrets.GetAsync(ns, spec.SecretRef.Name, ct);
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
        await store.UpdateStatusAsync(ResourceKinds.Receiver.Kind, ns, name, JsonSerializer.Serialize(status, FleetJson.Options), ct);
    }

    /// <summary>The receivers of a namespace that use a Secret.</summary>
    public async Task<IEnumerable<string>> UsingSecretAsync(string ns, string secret, CancellationToken ct) =>
        (await store.ListAsync(ResourceKinds.Receiver.Kind, ns, null, ct))
            .Where(r => JsonSerializer.Deserialize<ReceiverSpec>(r.SpecJson, FleetJson.Options)?.SecretRef.Name == secret)
            .Select(r => r.Name);
}
