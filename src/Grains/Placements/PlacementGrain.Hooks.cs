using System.Text.Json.Nodes;
using Fleet.Abstractions.Resources;
using Fleet.Grains.Common;
using Fleet.Kubernetes;
using Fleet.Store;

namespace Fleet.Grains.Placements;

internal sealed partial class PlacementGrain
{
    /// <summary>Runs the Helm hooks of one phase (<see cref="HelmHooks"/>); returns why they failed, or null.</summary>
    private async Task<string?> RunHooksAsync(KubeClient client, List<HelmHookObject> hooks, HookPhase phase, bool install, IReadOnlyList<JsonObject> manifests, PlacementSpec spec, TimeSpan interval, CancellationToken ct)
    {
        if (hooks.Count == 0)
        {
            return null;
        }

        HookOutcome outcome;
        using (GrainTracing.Start($"{phase.ToString().ToLowerInvariant()} hooks", Key))
        {
            outcome = await HelmHooks.RunAsync(client, applier, health, hooks, phase, install, manifests,
                new ApplyOptions(Application, Namespace) { Force = spec.Force, TakeOwnership = true }, GoDuration.Parse(spec.Timeout, interval), ct);
        }

        if (outcome.Ran.Count > 0 || !outcome.Succeeded)
        {
            await EventAsync(outcome.Succeeded ? FleetEventType.Normal : FleetEventType.Warning, outcome.Succeeded ? "HooksSucceeded" : "HookFailed", $"{spec.Revision}: {outcome.Message}", ct);
        }

        return outcome.Succeeded ? null : outcome.Message;
    }
}
