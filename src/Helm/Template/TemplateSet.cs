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
/// </summary>
internal sealed class TemplateSet
{
    public TemplateSet(Dictionary<string, TemplateFunc> funcs, MissingKey missingKey = MissingKey.Zero, ExecLimits? limits = null)
    {
        Funcs = funcs;
        MissingKey = missingKey;
        Limits = limits ?? new ExecLimits();
    }

    public Dictionary<string, Tree> Trees { get; private init; } = new(StringComparer.Ordinal);

    public Dictionary<string, TemplateFunc> Funcs { get; }

    public MissingKey MissingKey { get; }

    public ExecLimits Limits { get; }

    /// <summary>Characters written by all executions of this set so far (the output limit counts them all).</summary>
    public long Written { get; set; }

    public bool HasFunction(string name) => Funcs.ContainsKey(name) || Builtins.Names.Contains(name);

    public void Parse(string name, string text) => Parser.Parse(name, text, HasFunction, Trees);

    /// <summary>A copy sharing the parsed trees (copied map) with its own function map.</summary>
    public TemplateSet Clone(Dictionary<string, TemplateFunc> funcs)
    {
        var clone = new TemplateSet(funcs, MissingKey, Limits) { Trees = new Dictionary<string, Tree>(Trees, StringComparer.Ordinal) };
        clone.Written = Written;
        return clone;
    }

    public string Execute(string name, object? data, int depth = 0)
    {
        if (!Trees.TryGetValue(name, out var tree))
        {
            throw new TemplateException($"template: no template {GoStrings.Quote(name)} associated with template {GoStrings.Quote("gotpl")}");
        }

        var sb = new StringBuilder();
        new Executor(this, tree, sb, depth).Run(data);
        return sb.ToString();
    }
}
