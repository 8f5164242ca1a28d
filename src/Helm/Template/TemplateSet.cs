using System.Text;

namespace Fleet.Helm.Template;

/// <summary>A template function: fixed arity when <see cref="Max"/> equals <see cref="Min"/>, variadic when Max is -1.</summary>
internal sealed record TemplateFunc(int Min, int Max, Func<object?[], object?> Invoke)
{
    public static TemplateFunc Fixed(int n, Func<object?[], object?> f) => new(n, n, f);

    public static TemplateFunc Variadic(int min, Func<object?[], object?> f) => new(min, -1, f);
}

/// <summary>How a missing map key renders: Go's missingkey option (Helm uses zero, or error in strict mode).</summary>
internal enum MissingKey
{
    Zero,
    Error,
}

/// <summary>A limit the engine enforces (output size, nesting depth, time) was exceeded; never wrapped by template errors.</summary>
public sealed class HelmLimitException(string message) : Exception(message);

/// <summary>Safety limits for template execution.</summary>
internal sealed class ExecLimits
{
    public int MaxDepth { get; init; } = 2000;

    public long MaxOutputChars { get; init; } = 64L * 1024 * 1024;

    public long Deadline { get; init; } = long.MaxValue;

    public CancellationToken Cancellation { get; init; }
}

/// <summary>
/// A set of named templates sharing one function map, like a Go *template.Template with its associated templates.
/// An overlay (what tpl runs in) adds its own trees and functions over a parent set without copying it.
/// </summary>
internal sealed class TemplateSet
{
    private readonly TemplateSet? _parent;
    private readonly OutputCounter _written;

    public TemplateSet(Dictionary<string, TemplateFunc> funcs, MissingKey missingKey = MissingKey.Zero, ExecLimits? limits = null)
    {
        Funcs = funcs;
        MissingKey = missingKey;
        Limits = limits ?? new ExecLimits();
        _written = new OutputCounter();
    }

    private TemplateSet(TemplateSet parent, Dictionary<string, Tree> trees)
    {
        _parent = parent;
        Trees = trees;
        Funcs = new Dictionary<string, TemplateFunc>(StringComparer.Ordinal);
        MissingKey = parent.MissingKey;
        Limits = parent.Limits;
        _written = parent._written;
    }

    /// <summary>This set's own trees (an overlay's parent has the rest).</summary>
    public Dictionary<string, Tree> Trees { get; } = new(StringComparer.Ordinal);

    /// <summary>This set's own functions (an overlay's parent has the rest).</summary>
    public Dictionary<string, TemplateFunc> Funcs { get; }

    public MissingKey MissingKey { get; }

    public ExecLimits Limits { get; }

    /// <summary>Characters written by all executions of this set and its overlays (the output limit counts them all).</summary>
    public long Written
    {
        get => _written.Value;
        set => _written.Value = value;
    }

    public bool TryGetTree(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Tree? tree) =>
        Trees.TryGetValue(name, out tree) || (_parent is not null && _parent.TryGetTree(name, out tree));

    public bool TryGetFunc(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TemplateFunc? fn) =>
        Funcs.TryGetValue(name, out fn) || (_parent is not null && _parent.TryGetFunc(name, out fn));

    public bool HasFunction(string name) => TryGetFunc(name, out _) || Builtins.Names.Contains(name);

    public void Parse(string name, string text) => Parser.Parse(name, text, HasFunction, Trees);

    /// <summary>Parses text into a separate tree map, checking function names against this set.</summary>
    public Dictionary<string, Tree> ParseDetached(string name, string text)
    {
        var trees = new Dictionary<string, Tree>(StringComparer.Ordinal);
        Parser.Parse(name, text, HasFunction, trees);
        return trees;
    }

    /// <summary>Adds trees parsed earlier (in their parse order), as parsing their text again would.</summary>
    public void AddParsed(Dictionary<string, Tree> trees)
    {
        foreach (var tree in trees.Values)
        {
            if (Trees.TryGetValue(tree.Name, out var old) && tree.IsEmpty() && !old.IsEmpty())
            {
                continue;
            }

            Trees[tree.Name] = tree;
        }
    }

    /// <summary>A set that sees <paramref name="trees"/> first, then everything of this set.</summary>
    public TemplateSet Overlay(Dictionary<string, Tree> trees) => new(this, trees);

    public string Execute(string name, object? data, int depth = 0)
    {
        if (!TryGetTree(name, out var tree))
        {
            throw new TemplateException($"template: no template {GoStrings.Quote(name)} associated with template {GoStrings.Quote("gotpl")}");
        }

        var sb = new StringBuilder();
        new Executor(this, tree, sb, depth).Run(data);
        return sb.ToString();
    }

    private sealed class OutputCounter
    {
        public long Value;
    }
}
