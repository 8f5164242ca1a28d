using System.Globalization;
using System.Text.Json.Nodes;
using Fleet.Kubernetes;

namespace Fleet.Grains.Placements;

/// <summary>When hooks run: before the manifests are applied, or after they are (and, with wait, healthy).</summary>
internal enum HookPhase
{
    Pre,
    Post,
}

/// <summary>One Helm hook of a placement's manifests: the object and how it is run.</summary>
internal sealed record HelmHookObject(JsonObject Object, ObjectRef Ref, IReadOnlySet<string> Events, int Weight, IReadOnlySet<string> DeletePolicies);

/// <summary>How running the hooks of one phase went.</summary>
internal sealed record HookOutcome(bool Succeeded, string Message, IReadOnlyList<string> Ran)
{
    public static readonly HookOutcome None = new(true, "", []);
}

/// <summary>
/// Helm hooks around a placement's apply, as Argo CD runs them for Helm charts (and as `helm install`/`upgrade` order
/// them): the objects annotated <c>helm.sh/hook</c> are kept out of the apply and the inventory; on the first apply
/// to a cluster the <c>pre-install</c> hooks run before the manifests and the <c>post-install</c> hooks after, on
/// later applies of new manifests <c>pre-upgrade</c> and <c>post-upgrade</c>. Within a phase hooks run one at a time by
/// <c>helm.sh/hook-weight</c>, then name; each is created (after deleting an earlier copy under
/// <c>before-hook-creation</c>, the default policy as in Helm) and a Job or Pod is waited for until it completes. A
/// failed hook stops the phase and is deleted under <c>hook-failed</c>; when all succeed, those with
/// <c>hook-succeeded</c> are deleted. Test hooks and rollback/delete hooks never run here.
/// </summary>
internal static class HelmHooks
{
    public const string HookAnnotation = "helm.sh/hook";
    public const string WeightAnnotation = "helm.sh/hook-weight";
    public const string DeletePolicyAnnotation = "helm.sh/hook-delete-policy";

    private static readonly HashSet<string> Runnable = new(StringComparer.Ordinal) { "pre-install", "post-install", "pre-upgrade", "post-upgrade" };

    /// <summary>Separates hooks from the manifests to apply; hooks that never run here (test, delete, rollback) are dropped.</summary>
    public static (List<JsonObject> Manifests, List<HelmHookObject> Hooks) Split(IReadOnlyList<JsonObject> objects)
    {
        var manifests = new List<JsonObject>();
        var hooks = new List<HelmHookObject>();
        foreach (var o in objects)
        {
            var annotations = o["metadata"]?["annotations"] as JsonObject;
            if (annotations?[HookAnnotation] is not JsonValue hook || !hook.TryGetValue<string>(out var events))
            {
                manifests.Add(o);
                continue;
            }

            var set = List(events);
            if (!set.Overlaps(Runnable))
            {
                continue;
            }

            var weight = annotations[WeightAnnotation] is JsonValue w && w.TryGetValue<string>(out var ws) && int.TryParse(ws, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;
            var policies = annotations[DeletePolicyAnnotation] is JsonValue p && p.TryGetValue<string>(out var ps) ? List(ps) : [];
            hooks.Add(new HelmHookObject(o, ObjectRef.FromObject(o), set, weight, policies.Count == 0 ? new HashSet<string>(StringComparer.Ordinal) { "before-hook-creation" } : policies));
        }

        return (manifests, hooks);
    }

    private static HashSet<string> List(string value) =>
        value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);

    /// <summary>The hooks of a phase in the order they run: by weight, then name (Helm's order; kind order is kept within both).</summary>
    public static List<HelmHookObject> Of(IReadOnlyList<HelmHookObject> hooks, HookPhase phase, bool install)
    {
        var hookEvent = (phase == HookPhase.Pre ? "pre-" : "post-") + (install ? "install" : "upgrade");
        return hooks.Where(h => h.Events.Contains(hookEvent)).OrderBy(h => h.Weight).ThenBy(h => h.Ref.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>Runs the hooks of one phase on a cluster; stops at the first that fails.</summary>
    /// <remarks>
    /// Before pre hooks, the manifests' Namespaces and CustomResourceDefinitions are applied, as Helm creates the
    /// release namespace (<c>--create-namespace</c>) and installs <c>crds/</c> before its pre-install hooks run.
    /// </remarks>
    public static async Task<HookOutcome> RunAsync(KubeClient client, Applier applier, HealthChecker health, IReadOnlyList<HelmHookObject> hooks, HookPhase phase, bool install,
        IReadOnlyList<JsonObject> manifests, ApplyOptions options, TimeSpan timeout, CancellationToken ct)
    {
        var run = Of(hooks, phase, install);
        if (run.Count == 0)
        {
            return HookOutcome.None;
        }

        var first = phase == HookPhase.Pre ? manifests.Where(m => m["kind"]?.GetValue<string>() is "Namespace" or "CustomResourceDefinition").ToList() : [];
        if (first.Count > 0)
        {
            var applied = await applier.ApplyAsync(client, first, options with { Prune = false, Wait = false, Previous = null }, ct);
            if (!applied.Succeeded)
            {
                return new HookOutcome(false, $"the namespaces and CRDs the hooks need could not be applied: {string.Join("; ", applied.Errors)}", []);
            }
        }

        var ran = new List<string>();
        foreach (var hook in run)
        {
            try
            {
                if (hook.DeletePolicies.Contains("before-hook-creation"))
                {
                    await DeleteAsync(client, hook.Ref, timeout, ct);
                }

                var applied = await applier.ApplyAsync(client, [hook.Object], options with { Prune = false, Wait = false, Previous = null }, ct);
                if (!applied.Succeeded)
                {
                    return await FailAsync(client, hook, $"{HookName(hook)} could not be applied: {string.Join("; ", applied.Errors)}", ran, timeout, ct);
                }

                ran.Add(hook.Ref.ToString());
                // As Helm: Jobs and Pods are waited for until they complete; other hooks are done once created.
                if (hook.Ref is { Group: "batch", Kind: "Job" })
                {
                    var result = (await health.WaitAsync(client, [hook.Ref], timeout, ct))[0];
                    if (result.Status != HealthStatus.Current)
                    {
                        return await FailAsync(client, hook, $"{HookName(hook)} {(result.Status == HealthStatus.Failed ? "failed" : "did not complete in time")}: {result.Message}", ran, timeout, ct);
                    }
                }
                else if (hook.Ref is { Group: "", Kind: "Pod" } && await PodPhaseAsync(client, hook.Ref, timeout, ct) is var podPhase && podPhase != "Succeeded")
                {
                    return await FailAsync(client, hook, $"{HookName(hook)} {(podPhase == "Failed" ? "failed" : "did not complete in time")} (phase {podPhase ?? "unknown"})", ran, timeout, ct);
                }
            }
            catch (Exception ex) when (ex is KubeApiException or KubeConnectionException)
            {
                return new HookOutcome(false, $"{HookName(hook)}: {ex.Message}", ran);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return new HookOutcome(false, $"{HookName(hook)}: an earlier copy was not deleted within {timeout.TotalSeconds:0}s", ran);
            }
        }

        // All succeeded: those that ask for it are deleted, last first (as Helm).
        for (var i = run.Count - 1; i >= 0; i--)
        {
            if (run[i].DeletePolicies.Contains("hook-succeeded"))
            {
                try
                {
                    await client.DeleteAsync(run[i].Ref.ApiVersion, run[i].Ref.Kind, run[i].Ref.Namespace, run[i].Ref.Name, PropagationPolicy.Background, ct);
                }
                catch (Exception ex) when (ex is KubeApiException or KubeConnectionException)
                {
                    return new HookOutcome(false, $"{HookName(run[i])} succeeded but could not be deleted: {ex.Message}", ran);
                }
            }
        }

        return new HookOutcome(true, $"{phase.ToString().ToLowerInvariant()}-{(install ? "install" : "upgrade")} hooks succeeded: {string.Join(", ", ran)}", ran);
    }

    private static string HookName(HelmHookObject hook) => $"hook {hook.Ref}";

    private static async Task<HookOutcome> FailAsync(KubeClient client, HelmHookObject hook, string message, List<string> ran, TimeSpan timeout, CancellationToken ct)
    {
        if (hook.DeletePolicies.Contains("hook-failed"))
        {
            try
            {
                await DeleteAsync(client, hook.Ref, timeout, ct);
            }
            catch (Exception ex) when (ex is KubeApiException or KubeConnectionException)
            {
                message += $" (and it could not be deleted: {ex.Message})";
            }
        }

        return new HookOutcome(false, message, ran);
    }

    /// <summary>
    /// Waits until a hook Pod has run to its end (phase Succeeded or Failed, as Helm waits; a Ready Pod is not done)
    /// and returns its last phase, or whatever it was when the time-out passed.
    /// </summary>
    private static async Task<string?> PodPhaseAsync(KubeClient client, ObjectRef r, TimeSpan timeout, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        var delay = TimeSpan.FromMilliseconds(100);
        string? phase = null;
        try
        {
            while (true)
            {
                phase = (await client.GetAsync(r.ApiVersion, r.Kind, r.Namespace, r.Name, deadline.Token))?["status"]?["phase"]?.GetValue<string>();
                if (phase is "Succeeded" or "Failed")
                {
                    return phase;
                }
                await Task.Delay(delay, deadline.Token);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 2000));
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return phase;
        }
    }

    /// <summary>Deletes an object (its dependents in the background) and waits until it is gone, as Helm before re-creating a hook.</summary>
    private static async Task DeleteAsync(KubeClient client, ObjectRef r, TimeSpan timeout, CancellationToken ct)
    {
        if (!await client.DeleteAsync(r.ApiVersion, r.Kind, r.Namespace, r.Name, PropagationPolicy.Background, ct))
        {
            return;
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        var delay = TimeSpan.FromMilliseconds(50);
        while (await client.GetAsync(r.ApiVersion, r.Kind, r.Namespace, r.Name, deadline.Token) is not null)
        {
            await Task.Delay(delay, deadline.Token);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 2000));
        }
    }
}
