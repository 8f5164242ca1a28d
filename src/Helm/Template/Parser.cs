using System.Globalization;

namespace Fleet.Helm.Template;

/// <summary>A template that failed to parse or execute; the message follows Go's text/template wording.</summary>
public sealed class TemplateException(string message) : Exception(message);

/// <summary>
/// The parser of Go's text/template (text/template/parse): one text yields its main tree plus one tree per
/// define/block. Function names are checked at parse time, as Go does.
/// </summary>
internal sealed class Parser
{
    private readonly string _name;
    private readonly string _text;
    private readonly List<Token> _tokens;
    private readonly Func<string, bool> _hasFunction;
    private readonly Dictionary<string, Tree> _trees;
    private int _next;
    private List<string> _vars = ["$"];
    private int _rangeDepth;

    private Parser(string name, string text, Func<string, bool> hasFunction, Dictionary<string, Tree> trees)
    {
        _name = name;
        _text = text;
        _tokens = Lexer.Lex(text);
        _hasFunction = hasFunction;
        _trees = trees;
    }

    /// <summary>Parses <paramref name="text"/> as template <paramref name="name"/>; the trees it defines are added to <paramref name="trees"/>.</summary>
    public static void Parse(string name, string text, Func<string, bool> hasFunction, Dictionary<string, Tree> trees)
    {
        var parser = new Parser(name, text, hasFunction, trees);
        var root = parser.ParseTop();
        var main = new Tree(name, name, text, root);
        Add(trees, main);
    }

    private static void Add(Dictionary<string, Tree> trees, Tree tree)
    {
        if (trees.TryGetValue(tree.Name, out var old) && tree.IsEmpty() && !old.IsEmpty())
        {
            return;
        }

        trees[tree.Name] = tree;
    }

    private Token Next() => _tokens[Math.Min(_next++, _tokens.Count - 1)];

    private void Backup(int n = 1) => _next -= n;

    private Token Peek() => _tokens[Math.Min(_next, _tokens.Count - 1)];

    private Token NextNonSpace()
    {
        Token t;
        do
        {
            t = Next();
        }
        while (t.Kind == TokenKind.Space);
        return t;
    }

    private Token PeekNonSpace()
    {
        var save = _next;
        var t = NextNonSpace();
        _next = save;
        return t;
    }

    private TemplateException Error(string message, Token? at = null)
    {
        var token = at ?? _tokens[Math.Clamp(_next - 1, 0, _tokens.Count - 1)];
        return new TemplateException($"template: {_name}:{token.Line}: {message}");
    }

    private TemplateException Unexpected(Token token, string context) =>
        token.Kind == TokenKind.Error
            ? Error(token.Value, token)
            : Error($"unexpected {token} in {context}", token);

    private Token Expect(TokenKind kind, string context)
    {
        var token = NextNonSpace();
        return token.Kind == kind ? token : throw Unexpected(token, context);
    }

    private ListNode ParseTop()
    {
        var root = new ListNode(Peek().Pos);
        while (Peek().Kind != TokenKind.Eof)
        {
            if (Peek().Kind == TokenKind.LeftDelim)
            {
                var save = _next;
                Next();
                if (NextNonSpace().Kind == TokenKind.Define)
                {
                    ParseDefinition();
                    continue;
                }

                _next = save;
            }

            var n = TextOrAction();
            if (n is EndMarker or ElseMarker)
            {
                throw Error($"unexpected {n}");
            }

            root.Nodes.Add(n);
        }

        return root;
    }

    private void ParseDefinition()
    {
        const string context = "define clause";
        var nameToken = NextNonSpace();
        if (nameToken.Kind is not (TokenKind.String or TokenKind.RawString))
        {
            throw Unexpected(nameToken, context);
        }

        var name = GoStrings.Unquote(nameToken.Value) ?? throw Error($"bad string {nameToken.Value}");
        Expect(TokenKind.RightDelim, context);
        var saveVars = _vars;
        _vars = ["$"];
        var (list, end) = ItemList();
        _vars = saveVars;
        if (end is not EndMarker)
        {
            throw Error($"unexpected {end} in {context}");
        }

        Add(_trees, new Tree(name, _name, _text, list));
    }

    private (ListNode List, Node Next) ItemList()
    {
        var list = new ListNode(PeekNonSpace().Pos);
        while (PeekNonSpace().Kind != TokenKind.Eof)
        {
            var n = TextOrAction();
            if (n is EndMarker or ElseMarker)
            {
                return (list, n);
            }

            list.Nodes.Add(n);
        }

        if (Peek().Kind == TokenKind.Error)
        {
            throw Error(Peek().Value, Peek());
        }

        throw Error("unexpected EOF", Peek());
    }

    private Node TextOrAction()
    {
        var token = NextNonSpace();
        return token.Kind switch
        {
            TokenKind.Text => new TextNode(token.Pos, token.Value),
            TokenKind.LeftDelim => Action(),
            TokenKind.Comment => new CommentNode(token.Pos, token.Value),
            _ => throw Unexpected(token, "input"),
        };
    }

    private Node Action()
    {
        var token = NextNonSpace();
        switch (token.Kind)
        {
            case TokenKind.Block:
                return BlockControl();
            case TokenKind.Break:
                return BreakOrContinue(token, isBreak: true);
            case TokenKind.Continue:
                return BreakOrContinue(token, isBreak: false);
            case TokenKind.Else:
                return ElseControl();
            case TokenKind.End:
                Expect(TokenKind.RightDelim, "end");
                return new EndMarker(token.Pos);
            case TokenKind.If:
                return Control(BranchKind.If, "if");
            case TokenKind.Range:
                return Control(BranchKind.Range, "range");
            case TokenKind.Template:
                return TemplateControl();
            case TokenKind.With:
                return Control(BranchKind.With, "with");
        }

        Backup();
        var at = Peek();
        return new ActionNode(at.Pos, at.Line, Pipeline("command", TokenKind.RightDelim));
    }

    private Node BreakOrContinue(Token token, bool isBreak)
    {
        var name = isBreak ? "break" : "continue";
        var next = NextNonSpace();
        if (next.Kind != TokenKind.RightDelim)
        {
            throw Unexpected(next, $"{{{{{name}}}}}");
        }

        if (_rangeDepth == 0)
        {
            throw Error($"{{{{{name}}}}} outside {{{{range}}}}");
        }

        return isBreak ? new BreakNode(token.Pos, token.Line) : new ContinueNode(token.Pos, token.Line);
    }

    private Node ElseControl()
    {
        var peek = PeekNonSpace();
        if (peek.Kind is TokenKind.If or TokenKind.With)
        {
            return new ElseMarker(peek.Pos, peek.Kind);
        }

        var token = Expect(TokenKind.RightDelim, "else");
        return new ElseMarker(token.Pos, TokenKind.Else);
    }

    private BranchNode Control(BranchKind kind, string context)
    {
        var varsMark = _vars.Count;
        var pipe = Pipeline(context, TokenKind.RightDelim);
        if (kind == BranchKind.Range)
        {
            _rangeDepth++;
        }

        var (list, next) = ItemList();
        if (kind == BranchKind.Range)
        {
            _rangeDepth--;
        }

        ListNode? elseList = null;
        if (next is ElseMarker marker)
        {
            if ((kind == BranchKind.If && marker.Follow == TokenKind.If) || (kind == BranchKind.With && marker.Follow == TokenKind.With))
            {
                NextNonSpace();
                elseList = new ListNode(marker.Pos);
                elseList.Nodes.Add(Control(kind, context));
            }
            else
            {
                if (marker.Follow != TokenKind.Else)
                {
                    throw Error($"unexpected <{(marker.Follow == TokenKind.If ? "if" : "with")}> in else");
                }

                (elseList, next) = ItemList();
                if (next is not EndMarker)
                {
                    throw Error($"expected end; found {next}");
                }
            }
        }

        _vars.RemoveRange(varsMark, _vars.Count - varsMark);
        return new BranchNode(pipe.Pos, pipe.Line, kind, pipe, list, elseList);
    }

    private string TemplateName(Token token, string context)
    {
        if (token.Kind is TokenKind.String or TokenKind.RawString)
        {
            return GoStrings.Unquote(token.Value) ?? throw Error($"bad string {token.Value}");
        }

        throw Unexpected(token, context);
    }

    private TemplateNode TemplateControl()
    {
        const string context = "template clause";
        var token = NextNonSpace();
        var name = TemplateName(token, context);
        PipeNode? pipe = null;
        if (NextNonSpace().Kind != TokenKind.RightDelim)
        {
            Backup();
            pipe = Pipeline(context, TokenKind.RightDelim);
        }

        return new TemplateNode(token.Pos, token.Line, name, pipe);
    }

    private TemplateNode BlockControl()
    {
        const string context = "block clause";
        var token = NextNonSpace();
        var name = TemplateName(token, context);
        var pipe = Pipeline(context, TokenKind.RightDelim);
        var saveVars = _vars;
        var saveDepth = _rangeDepth;
        _vars = ["$"];
        _rangeDepth = 0;
        var (list, end) = ItemList();
        _vars = saveVars;
        _rangeDepth = saveDepth;
        if (end is not EndMarker)
        {
            throw Error($"unexpected {end} in {context}");
        }

        Add(_trees, new Tree(name, _name, _text, list));
        return new TemplateNode(token.Pos, token.Line, name, pipe);
    }

    private PipeNode Pipeline(string context, TokenKind end)
    {
        var first = PeekNonSpace();
        var pipe = new PipeNode(first.Pos, first.Line);
        while (true)
        {
            var v = PeekNonSpace();
            if (v.Kind != TokenKind.Variable)
            {
                break;
            }

            var save = _next;
            NextNonSpace();
            var next = PeekNonSpace();
            if (next.Kind is TokenKind.Assign or TokenKind.Declare)
            {
                pipe.IsAssign = next.Kind == TokenKind.Assign;
                NextNonSpace();
                pipe.Decl.Add(new VariableNode(v.Pos, [v.Value]));
                _vars.Add(v.Value);
                break;
            }

            if (next.Kind == TokenKind.Char && next.Value == ",")
            {
                NextNonSpace();
                pipe.Decl.Add(new VariableNode(v.Pos, [v.Value]));
                _vars.Add(v.Value);
                if (context == "range" && pipe.Decl.Count < 2)
                {
                    if (PeekNonSpace().Kind is TokenKind.Variable or TokenKind.RightDelim or TokenKind.RightParen)
                    {
                        continue;
                    }

                    throw Error("range can only initialize variables");
                }

                throw Error($"too many declarations in {context}");
            }

            _next = save;
            break;
        }

        while (true)
        {
            var token = NextNonSpace();
            if (token.Kind == end)
            {
                CheckPipeline(pipe, context);
                return pipe;
            }

            switch (token.Kind)
            {
                case TokenKind.Bool or TokenKind.CharConstant or TokenKind.Dot or TokenKind.Field or TokenKind.Identifier
                    or TokenKind.Number or TokenKind.Nil or TokenKind.RawString or TokenKind.String or TokenKind.Variable or TokenKind.LeftParen:
                    Backup();
                    pipe.Cmds.Add(Command());
                    break;
                default:
                    throw Unexpected(token, context);
            }
        }
    }

    private void CheckPipeline(PipeNode pipe, string context)
    {
        if (pipe.Cmds.Count == 0)
        {
            throw Error($"missing value for {context}");
        }

        for (var i = 1; i < pipe.Cmds.Count; i++)
        {
            if (pipe.Cmds[i].Args[0] is BoolNode or DotNode or NilNode or NumberNode or StringNode)
            {
                throw Error($"non executable command in pipeline stage {i + 1}");
            }
        }
    }

    private CommandNode Command()
    {
        var cmd = new CommandNode(PeekNonSpace().Pos);
        while (true)
        {
            PeekNonSpace();
            while (Peek().Kind == TokenKind.Space)
            {
                Next();
            }

            var operand = Operand();
            if (operand is not null)
            {
                cmd.Args.Add(operand);
            }

            var token = Next();
            switch (token.Kind)
            {
                case TokenKind.Space:
                    continue;
                case TokenKind.RightDelim or TokenKind.RightParen:
                    Backup();
                    break;
                case TokenKind.Pipe:
                    break;
                default:
                    throw Unexpected(token, "operand");
            }

            break;
        }

        if (cmd.Args.Count == 0)
        {
            throw Error("empty command");
        }

        return cmd;
    }

    private Node? Operand()
    {
        var node = Term();
        if (node is null || Peek().Kind != TokenKind.Field)
        {
            return node;
        }

        // Go positions a chained field or variable at its first trailing field.
        var chainPos = Peek().Pos;
        var fields = new List<string>();
        while (Peek().Kind == TokenKind.Field)
        {
            fields.Add(Next().Value[1..]);
        }

        switch (node)
        {
            case FieldNode f:
                return new FieldNode(chainPos, [.. f.Ident, .. fields]);
            case VariableNode v:
                return new VariableNode(chainPos, [.. v.Ident, .. fields]);
            case BoolNode or StringNode or NumberNode or NilNode or DotNode:
                throw Error($"unexpected . after term {GoStrings.Quote(node.ToString() ?? "")}");
            default:
                var chain = new ChainNode(chainPos, node);
                chain.Field.AddRange(fields);
                return chain;
        }
    }

    private Node? Term()
    {
        var token = NextNonSpace();
        switch (token.Kind)
        {
            case TokenKind.Identifier:
                if (!_hasFunction(token.Value))
                {
                    throw Error($"function {GoStrings.Quote(token.Value)} not defined", token);
                }

                return new IdentifierNode(token.Pos, token.Value);
            case TokenKind.Dot:
                return new DotNode(token.Pos);
            case TokenKind.Nil:
                return new NilNode(token.Pos);
            case TokenKind.Variable:
                if (!_vars.Contains(token.Value))
                {
                    throw Error($"undefined variable {GoStrings.Quote(token.Value)}", token);
                }

                return new VariableNode(token.Pos, [token.Value]);
            case TokenKind.Field:
                return new FieldNode(token.Pos, [token.Value[1..]]);
            case TokenKind.Bool:
                return new BoolNode(token.Pos, token.Value == "true");
            case TokenKind.Number or TokenKind.CharConstant:
                return Number(token);
            case TokenKind.LeftParen:
                return Pipeline("parenthesized pipeline", TokenKind.RightParen);
            case TokenKind.String or TokenKind.RawString:
                return new StringNode(token.Pos, token.Value, GoStrings.Unquote(token.Value) ?? throw Error($"bad string {token.Value}", token));
        }

        Backup();
        return null;
    }

    private NumberNode Number(Token token)
    {
        var text = token.Value;
        if (token.Kind == TokenKind.CharConstant)
        {
            var s = GoStrings.Unquote(text);
            if (s is null || s.Length == 0 || char.ConvertToUtf32(s, 0) is var r && s.Length != char.ConvertFromUtf32(r).Length)
            {
                throw Error($"malformed character constant: {text}", token);
            }

            return new NumberNode(token.Pos, text, char.ConvertToUtf32(s, 0));
        }

        var clean = text.Replace("_", "", StringComparison.Ordinal);
        var negative = clean.StartsWith('-');
        var body = clean.TrimStart('+', '-');
        var prefixed = body.Length > 1 && body[0] == '0' && char.IsAsciiLetter(body[1]);
        if (!prefixed && (body.Contains('.', StringComparison.Ordinal) || body.Contains('e', StringComparison.OrdinalIgnoreCase)))
        {
            return double.TryParse(clean, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
                ? new NumberNode(token.Pos, text, d)
                : throw Error($"illegal number syntax: {GoStrings.Quote(text)}", token);
        }

        if (!TryParseInteger(body, out var magnitude))
        {
            throw Error($"illegal number syntax: {GoStrings.Quote(text)}", token);
        }

        if (magnitude > (negative ? 9223372036854775808UL : long.MaxValue))
        {
            throw Error($"{text} overflows int", token);
        }

        var value = negative ? (long)(0 - magnitude) : (long)magnitude;
        return new NumberNode(token.Pos, text, value is >= int.MinValue and <= int.MaxValue ? (object)(int)value : value);
    }

    private static bool TryParseInteger(string s, out ulong value)
    {
        value = 0;
        if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            return ulong.TryParse(s.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        }

        if (s.StartsWith("0b", StringComparison.OrdinalIgnoreCase))
        {
            return TryParseBase(s[2..], 2, out value);
        }

        if (s.StartsWith("0o", StringComparison.OrdinalIgnoreCase))
        {
            return TryParseBase(s[2..], 8, out value);
        }

        if (s.Length > 1 && s[0] == '0' && s.All(char.IsAsciiDigit))
        {
            return TryParseBase(s[1..], 8, out value);
        }

        return ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    private static bool TryParseBase(string digits, int radix, out ulong value)
    {
        value = 0;
        if (digits.Length == 0)
        {
            return false;
        }

        foreach (var c in digits)
        {
            var d = c - '0';
            if (d < 0 || d >= radix)
            {
                return false;
            }

            value = checked((value * (ulong)radix) + (ulong)d);
        }

        return true;
    }

    /// <summary>The {{end}} that closes a list (not part of the tree).</summary>
    private sealed class EndMarker(int pos) : Node(pos)
    {
        public override string ToString() => "{{end}}";
    }

    /// <summary>The {{else}} (or the "else" of "else if"/"else with") that closes a list.</summary>
    private sealed class ElseMarker(int pos, TokenKind follow) : Node(pos)
    {
        public TokenKind Follow { get; } = follow;

        public override string ToString() => "{{else}}";
    }
}
