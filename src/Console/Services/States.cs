using Fleet.Abstractions.Resources;

namespace Fleet.WebConsole.Services;

/// <summary>What the console says about an object at a glance: always a word and an icon beside the colour, so state never depends on colour alone.</summary>
public enum State
{
    Ready,
    Progressing,
    Failed,
    Unreachable,
    Suspended,
    Pending,
}

public static class States
{
    /// <summary>The state of an object from its <c>suspend</c>/<c>paused</c> flag and its conditions (Flux's kstatus reading).</summary>
    public static State From(bool suspended, IReadOnlyList<Condition>? conditions)
    {
        var ready = ConditionList.Find(conditions, ConditionTypes.Ready);
        if (suspended || ready?.Reason == Reasons.Suspended)
        {
            return State.Suspended;
        }
        if (ready is null)
        {
            return State.Pending;
        }
        if (ready.Status == ConditionStatus.True)
        {
            return State.Ready;
        }
        if (ConditionList.IsTrue(conditions, ConditionTypes.Reconciling) || ready.Reason is Reasons.Progressing or Reasons.DependencyNotReady)
        {
            return State.Progressing;
        }
        return ready.Reason is Reasons.Unreachable or Reasons.TlsError or Reasons.Unauthorized ? State.Unreachable : State.Failed;
    }

    public static string Icon(State state) => state switch
    {
        State.Ready => "✔",
        State.Progressing => "⟳",
        State.Failed => "✖",
        State.Unreachable => "⚠",
        State.Suspended => "‖",
        _ => "…",
    };

    /// <summary>The CSS class that colours a state (see console.css).</summary>
    public static string Css(State state) => "st-" + state.ToString().ToLowerInvariant();

    /// <summary>The message of the Ready condition, or empty.</summary>
    public static string Message(IReadOnlyList<Condition>? conditions) => ConditionList.Find(conditions, ConditionTypes.Ready)?.Message ?? "";

    /// <summary>A revision cut to fit a table cell (<c>main@sha1:0123456789ab…</c>).</summary>
    public static string Short(string? revision) => revision is null ? "" : revision.Length > 24 ? revision[..24] + "…" : revision;
}
