using System.Text;

namespace Fleet.Helm.Template;

/// <summary>
/// Executes a parsed tree as Go's text/template/exec.go does: pipelines, variables and their scopes, if/with/range
/// with break and continue, template invocation, missing keys, and Go's error wording with template name,
/// line and column.
/// </summary>
internal sealed class Executor
{
    private static readonly object NoFinal = new();

    private readonly TemplateSet _set;
    private readonly StringBuilder _out;
    private readonly int _depth;
    private readonly List<(string Name, object? Value)> _vars = [];
    private Tree _tree;
    private Node? _at;
    private int _steps;

    public Executor(TemplateSet set, Tree tree, StringBuilder output, int depth)
    {
        _set = set;
        _tree = tree;
        _out = output;
        _depth = depth;
    }

    private enum Flow
    {
        Normal,
        Break,
        Continue,
    }

    public void Run(object? data)
    {
        if (_depth > _set.Limits.MaxDepth)
        {
            throw new HelmLimitException($"template: {_tree.Name}: exceeded maximum template depth ({_set.Limits.MaxDepth})");
        }

        _vars.Add(("$", data));
        Walk(data, _tree.Root);
    }

    private TemplateException Error(string message)
    {
        if (_at is null)
        {
            return new TemplateException($"template: {_tree.Name}: {message}");
        }

        var (line, col) = _tree.Location(_at.Pos);
        return new TemplateException($"template: {_tree.ParseName}:{line}:{col}: executing {GoStrings.Quote(_tree.Name)} at <{_at}>: {message}");
    }

    private void Write(string s)
    {
        _set.Written += s.Length;
        if (_set.Written > _set.Limits.MaxOutputChars)
        {
            throw new HelmLimitException($"rendered output exceeds the limit of {_set.Limits.MaxOutputChars} characters");
        }

        _out.Append(s);
    }

    private void Tick()
    {
        if ((++_steps & 255) == 0)
        {
            _set.Limits.Cancellation.ThrowIfCancellationRequested();
            if (Environment.TickCount64 > _set.Limits.Deadline)
            {
                throw new HelmLimitException("rendering took longer than the time limit");
            }
        }
    }

    private Flow Walk(object? dot, Node node)
    {
        Tick();
        switch (node)
        {
            case ActionNode action:
                _at = action;
                var val = EvalPipeline(dot, action.Pipe);
                if (action.Pipe.Decl.Count == 0)
                {
                    PrintValue(action, val);
                }

                return Flow.Normal;
            case BreakNode:
                return Flow.Break;
            case ContinueNode:
                return Flow.Continue;
            case CommentNode:
                return Flow.Normal;
            case BranchNode { Kind: BranchKind.Range } range:
                return WalkRange(dot, range);
            case BranchNode branch:
                return WalkIfOrWith(dot, branch);
            case ListNode list:
                foreach (var n in list.Nodes)
                {
                    var flow = Walk(dot, n);
                    if (flow != Flow.Normal)
                    {
                        return flow;
                    }
                }

                return Flow.Normal;
            case TemplateNode t:
                WalkTemplate(dot, t);
                return Flow.Normal;
            case TextNode text:
                Write(text.Text);
                return Flow.Normal;
            default:
                throw Error($"unknown node: {node}");
        }
    }

    private void PrintValue(Node n, object? v)
    {
        _at = n;
        switch (v)
        {
            case null:
                Write("<no value>");
                return;
            case string s:
                Write(s);
                return;
            default:
                Write(GoValues.Format(v));
                return;
        }
    }

    private Flow WalkIfOrWith(object? dot, BranchNode branch)
    {
        var mark = _vars.Count;
        try
        {
            var val = EvalPipeline(dot, branch.Pipe);
            if (GoValues.IsTrue(val))
            {
                return Walk(branch.Kind == BranchKind.With ? val : dot, branch.List);
            }

            if (branch.ElseList is not null)
            {
                return Walk(dot, branch.ElseList);
            }

            return Flow.Normal;
        }
        finally
        {
            Pop(mark);
        }
    }

    private Flow WalkRange(object? dot, BranchNode r)
    {
        _at = r;
        var outer = _vars.Count;
        try
        {
            var val = EvalPipeline(dot, r.Pipe);
            var mark = _vars.Count;
            var ran = false;
            bool OneIteration(object? index, object? elem)
            {
                ran = true;
                if (r.Pipe.Decl.Count > 0)
                {
                    if (r.Pipe.IsAssign)
                    {
                        SetVar(r.Pipe.Decl[0].Ident[0], r.Pipe.Decl.Count > 1 ? index : elem);
                    }
                    else
                    {
                        SetTopVar(1, elem);
                    }
                }

                if (r.Pipe.Decl.Count > 1)
                {
                    if (r.Pipe.IsAssign)
                    {
                        SetVar(r.Pipe.Decl[1].Ident[0], elem);
                    }
                    else
                    {
                        SetTopVar(2, index);
                    }
                }

                var flow = Walk(elem, r.List);
                Pop(mark);
                return flow != Flow.Break;
            }

            switch (val)
            {
                case IList<object?> list:
                    for (var i = 0; i < list.Count; i++)
                    {
                        if (!OneIteration(i, list[i]))
                        {
                            break;
                        }
                    }

                    break;
                case byte[] bytes:
                    for (var i = 0; i < bytes.Length; i++)
                    {
                        if (!OneIteration(i, (int)bytes[i]))
                        {
                            break;
                        }
                    }

                    break;
                case IDictionary<string, object?> map:
                    foreach (var key in GoValues.SortedKeys(map))
                    {
                        if (!OneIteration(key, map[key]))
                        {
                            break;
                        }
                    }

                    break;
                case int or long:
                    if (r.Pipe.Decl.Count > 1)
                    {
                        throw Error($"can't use {GoValues.Format(val)} to iterate over more than one variable");
                    }

                    var n = GoValues.AsLong(val);
                    for (var i = 0L; i < n; i++)
                    {
                        object boxed = val is int ? (int)i : i;
                        if (!OneIteration(boxed, boxed))
                        {
                            break;
                        }
                    }

                    break;
                case null:
                    break;
                case GoObject o when o is IGoRangeable rangeable:
                    foreach (var (key, value) in rangeable.Entries())
                    {
                        if (!OneIteration(key, value))
                        {
                            break;
                        }
                    }

                    break;
                default:
                    _at = r;
                    throw Error($"range can't iterate over {GoValues.Format(val)}");
            }

            if (!ran && r.ElseList is not null)
            {
                return Walk(dot, r.ElseList);
            }

            return Flow.Normal;
        }
        finally
        {
            Pop(outer);
        }
    }

    private void WalkTemplate(object? dot, TemplateNode t)
    {
        _at = t;
        if (!_set.TryGetTree(t.Name, out var tree))
        {
            throw Error($"template {GoStrings.Quote(t.Name)} not defined");
        }

        var newDot = t.Pipe is null ? null : EvalPipeline(dot, t.Pipe);
        if (_depth + 1 > _set.Limits.MaxDepth)
        {
            throw new HelmLimitException($"template: {t.Name}: exceeded maximum template depth ({_set.Limits.MaxDepth})");
        }

        var inner = new Executor(_set, tree, _out, _depth + 1);
        inner.Run(newDot);
    }

    private void Pop(int mark) => _vars.RemoveRange(mark, _vars.Count - mark);

    private void SetVar(string name, object? value)
    {
        for (var i = _vars.Count - 1; i >= 0; i--)
        {
            if (_vars[i].Name == name)
            {
                _vars[i] = (name, value);
                return;
            }
        }

        throw Error($"undefined variable: {name}");
    }

    private void SetTopVar(int n, object? value) => _vars[^n] = (_vars[^n].Name, value);

    private object? VarValue(string name)
    {
        for (var i = _vars.Count - 1; i >= 0; i--)
        {
            if (_vars[i].Name == name)
            {
                return _vars[i].Value;
            }
        }

        throw Error($"undefined variable: {name}");
    }

    private object? EvalPipeline(object? dot, PipeNode pipe)
    {
        _at = pipe;
        object? value = NoFinal;
        foreach (var cmd in pipe.Cmds)
        {
            value = EvalCommand(dot, cmd, value);
        }

        foreach (var v in pipe.Decl)
        {
            if (pipe.IsAssign)
            {
                SetVar(v.Ident[0], value);
            }
            else
            {
                _vars.Add((v.Ident[0], value));
            }
        }

        return value;
    }

    private void NotAFunction(List<Node>? args, object? final)
    {
        if ((args is not null && args.Count > 1) || final != NoFinal)
        {
            throw Error($"can't give argument to non-function {args?[0]}");
        }
    }

    private object? EvalCommand(object? dot, CommandNode cmd, object? final)
    {
        var first = cmd.Args[0];
        switch (first)
        {
            case FieldNode field:
                return EvalFieldChain(dot, dot, false, field, field.Ident, cmd.Args, final);
            case ChainNode chain:
                return EvalChainNode(dot, chain, cmd.Args, final);
            case IdentifierNode id:
                return EvalFunction(dot, id, cmd, cmd.Args, final);
            case PipeNode pipe:
                NotAFunction(cmd.Args, final);
                return EvalPipeline(dot, pipe);
            case VariableNode v:
                return EvalVariableNode(dot, v, cmd.Args, final);
        }

        _at = first;
        NotAFunction(cmd.Args, final);
        return first switch
        {
            BoolNode b => b.Value,
            DotNode => dot,
            NilNode => throw Error("nil is not a command"),
            NumberNode n => n.Value,
            StringNode s => s.Text,
            _ => throw Error($"can't evaluate command {GoStrings.Quote(first.ToString() ?? "")}"),
        };
    }

    private object? EvalChainNode(object? dot, ChainNode chain, List<Node>? args, object? final)
    {
        if (chain.Node is NilNode)
        {
            _at = chain;
            throw Error($"indirection through explicit nil in {chain}");
        }

        var pipe = EvalArg(dot, chain.Node);
        return EvalFieldChain(dot, pipe, false, chain, chain.Field, args, final);
    }

    private object? EvalVariableNode(object? dot, VariableNode v, List<Node>? args, object? final)
    {
        _at = v;
        var value = VarValue(v.Ident[0]);
        if (v.Ident.Length == 1)
        {
            NotAFunction(args, final);
            return value;
        }

        return EvalFieldChain(dot, value, false, v, v.Ident.AsSpan(1).ToArray(), args, final);
    }

    private object? EvalFieldChain(object? dot, object? receiver, bool nilInterface, Node node, IReadOnlyList<string> ident, List<Node>? args, object? final)
    {
        var n = ident.Count;
        for (var i = 0; i < n - 1; i++)
        {
            (receiver, nilInterface) = EvalField(dot, ident[i], node, null, NoFinal, receiver, nilInterface);
        }

        return EvalField(dot, ident[n - 1], node, args, final, receiver, nilInterface).Value;
    }

    private (object? Value, bool NilInterface) EvalField(object? dot, string name, Node node, List<Node>? args, object? final, object? receiver, bool nilInterface)
    {
        _at = node;
        var hasArgs = (args is not null && args.Count > 1) || final != NoFinal;
        switch (receiver)
        {
            case null:
                if (nilInterface)
                {
                    throw Error($"nil pointer evaluating interface {{}}.{name}");
                }

                if (_set.MissingKey == MissingKey.Error)
                {
                    throw Error($"nil data; no entry for key {GoStrings.Quote(name)}");
                }

                return (null, false);
            case GoObject o:
                var method = o.Method(name);
                if (method is not null)
                {
                    return (EvalCall(dot, name, method, node, args, final), false);
                }

                if (o.TryGetField(name, out var fieldValue))
                {
                    if (hasArgs)
                    {
                        throw Error($"{name} has arguments but cannot be invoked as function");
                    }

                    return (fieldValue, fieldValue is null);
                }

                throw Error($"can't evaluate field {name} in type {(nilInterface ? "interface {}" : o.GoType)}");
            case IDictionary<string, object?> map:
                if (hasArgs)
                {
                    throw Error($"{name} is not a method but has arguments");
                }

                if (map.TryGetValue(name, out var v))
                {
                    return (v, true);
                }

                if (_set.MissingKey == MissingKey.Error)
                {
                    throw Error($"map has no entry for key {GoStrings.Quote(name)}");
                }

                return (null, true);
        }

        // A value taken out of a map has Go's static type interface {}, which is what Go names.
        throw Error($"can't evaluate field {name} in type {(nilInterface ? "interface {}" : GoValues.TypeName(receiver))}");
    }

    private object? EvalFunction(object? dot, IdentifierNode id, CommandNode cmd, List<Node> args, object? final)
    {
        _at = id;
        var name = id.Name;
        if (name is "and" or "or" && !_set.TryGetFunc(name, out _))
        {
            var argCount = args.Count - 1 + (final != NoFinal ? 1 : 0);
            if (argCount < 1)
            {
                _at = cmd;
                throw Error($"wrong number of args for {name}: want at least 1 got 0");
            }

            object? v = null;
            for (var i = 1; i < args.Count; i++)
            {
                v = EvalArg(dot, args[i]);
                if (GoValues.IsTrue(v) == (name == "or"))
                {
                    return v;
                }
            }

            return final != NoFinal ? final : v;
        }

        if (!_set.TryGetFunc(name, out var fn) && !Builtins.Funcs.TryGetValue(name, out fn))
        {
            throw Error($"{GoStrings.Quote(name)} is not a defined function");
        }

        return EvalCall(dot, name, fn.Invoke, cmd, args, final, fn);
    }

    private object? EvalCall(object? dot, string name, Func<object?[], object?> fn, Node node, List<Node>? args, object? final, TemplateFunc? info = null)
    {
        var count = (args?.Count ?? 1) - 1;
        var numIn = count + (final != NoFinal ? 1 : 0);
        if (info is not null)
        {
            if (info.Max >= 0 && numIn != info.Min)
            {
                _at = node;
                throw Error($"wrong number of args for {name}: want {info.Min} got {numIn}");
            }

            if (info.Max < 0 && numIn < info.Min)
            {
                _at = node;
                throw Error($"wrong number of args for {name}: want at least {info.Min} got {numIn}");
            }
        }

        var argv = new object?[numIn];
        for (var i = 0; i < count; i++)
        {
            argv[i] = EvalArg(dot, args![i + 1]);
        }

        if (final != NoFinal)
        {
            argv[numIn - 1] = final;
        }

        try
        {
            return fn(argv);
        }
        catch (HelmLimitException)
        {
            throw;
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (GoArgException e)
        {
            // Go checks argument types before the call: a nil from a field is reported at that argument, a nil
            // piped in at the function's name.
            _at = node;
            const string invalid = "invalid value; expected ";
            if (e.Message.StartsWith(invalid, StringComparison.Ordinal))
            {
                for (var i = 0; i < count; i++)
                {
                    if (argv[i] is null && args![i + 1] is FieldNode or VariableNode or ChainNode)
                    {
                        _at = args[i + 1];
                        throw Error($"wrong type for value; expected {e.Message[invalid.Length..]}; got interface {{}}");
                    }
                }

                if (final != NoFinal && argv[numIn - 1] is null && args is { Count: > 0 })
                {
                    _at = args[0];
                }
            }

            throw Error(e.Message);
        }
        catch (Exception e) when (e is GoFuncException or TemplateException or ArgumentException or InvalidOperationException or FormatException or OverflowException or IndexOutOfRangeException or DivideByZeroException or KeyNotFoundException or InvalidCastException)
        {
            _at = node;
            var message = e is DivideByZeroException ? "runtime error: integer divide by zero" : e.Message;
            throw Error($"error calling {name}: {message}");
        }
    }

    private object? EvalArg(object? dot, Node n)
    {
        _at = n;
        switch (n)
        {
            case DotNode:
                return dot;
            case NilNode:
                return null;
            case FieldNode field:
                return EvalFieldChain(dot, dot, false, field, field.Ident, [n], NoFinal);
            case VariableNode v:
                return EvalVariableNode(dot, v, null, NoFinal);
            case PipeNode pipe:
                return EvalPipeline(dot, pipe);
            case IdentifierNode id:
                return EvalFunction(dot, id, new CommandNode(id.Pos) { Args = { id } }, [id], NoFinal);
            case ChainNode chain:
                return EvalChainNode(dot, chain, null, NoFinal);
            case BoolNode b:
                return b.Value;
            case NumberNode num:
                return num.Value;
            case StringNode s:
                return s.Text;
        }

        throw Error($"can't handle {n} for arg");
    }
}

/// <summary>A struct-like value that <c>range</c> can iterate (such as Helm's .Files), key and value in order.</summary>
internal interface IGoRangeable
{
    IEnumerable<(object? Key, object? Value)> Entries();
}
