namespace Fleet.Helm.Template;

/// <summary>The parse tree of Go's text/template (the node kinds of Go's text/template/parse package).</summary>
internal abstract class Node
{
    protected Node(int pos) => Pos = pos;

    /// <summary>Byte offset of the node in the template text.</summary>
    public int Pos { get; }
}

internal sealed class ListNode(int pos) : Node(pos)
{
    public List<Node> Nodes { get; } = [];

    public override string ToString() => string.Concat(Nodes);
}

internal sealed class TextNode(int pos, string text) : Node(pos)
{
    public string Text { get; set; } = text;

    public override string ToString() => Text;
}

internal sealed class CommentNode(int pos, string text) : Node(pos)
{
    public string Text { get; } = text;

    public override string ToString() => "{{" + Text + "}}";
}

internal sealed class PipeNode(int pos, int line) : Node(pos)
{
    public int Line { get; } = line;

    public bool IsAssign { get; set; }

    public List<VariableNode> Decl { get; } = [];

    public List<CommandNode> Cmds { get; } = [];

    public override string ToString()
    {
        var s = "";
        if (Decl.Count > 0)
        {
            s = string.Join(", ", Decl) + (IsAssign ? " = " : " := ");
        }

        return s + string.Join(" | ", Cmds);
    }
}

internal sealed class ActionNode(int pos, int line, PipeNode pipe) : Node(pos)
{
    public int Line { get; } = line;

    public PipeNode Pipe { get; } = pipe;

    public override string ToString() => "{{" + Pipe + "}}";
}

internal sealed class CommandNode(int pos) : Node(pos)
{
    public List<Node> Args { get; } = [];

    public override string ToString() => string.Join(" ", Args.Select(a => a is PipeNode ? "(" + a + ")" : a.ToString()));
}

internal sealed class IdentifierNode(int pos, string name) : Node(pos)
{
    public string Name { get; } = name;

    public override string ToString() => Name;
}

internal sealed class VariableNode(int pos, string[] ident) : Node(pos)
{
    /// <summary>The variable name ($x) followed by the field names.</summary>
    public string[] Ident { get; } = ident;

    public override string ToString() => string.Join(".", Ident);
}

internal sealed class DotNode(int pos) : Node(pos)
{
    public override string ToString() => ".";
}

internal sealed class NilNode(int pos) : Node(pos)
{
    public override string ToString() => "nil";
}

internal sealed class FieldNode(int pos, string[] ident) : Node(pos)
{
    public string[] Ident { get; } = ident;

    public override string ToString() => "." + string.Join(".", Ident);
}

internal sealed class ChainNode(int pos, Node node) : Node(pos)
{
    public Node Node { get; } = node;

    public List<string> Field { get; } = [];

    public override string ToString() => (Node is PipeNode ? "(" + Node + ")" : Node.ToString()) + "." + string.Join(".", Field);
}

internal sealed class BoolNode(int pos, bool value) : Node(pos)
{
    public bool Value { get; } = value;

    public override string ToString() => Value ? "true" : "false";
}

/// <summary>A numeric constant; <see cref="Value"/> is an int (Go int), long, or double (float64) as Go's ideal constants resolve.</summary>
internal sealed class NumberNode(int pos, string text, object value) : Node(pos)
{
    public string Text { get; } = text;

    public object Value { get; } = value;

    public override string ToString() => Text;
}

internal sealed class StringNode(int pos, string quoted, string text) : Node(pos)
{
    public string Quoted { get; } = quoted;

    public string Text { get; } = text;

    public override string ToString() => Quoted;
}

internal enum BranchKind
{
    If,
    Range,
    With,
}

internal sealed class BranchNode(int pos, int line, BranchKind kind, PipeNode pipe, ListNode list, ListNode? elseList) : Node(pos)
{
    public int Line { get; } = line;

    public BranchKind Kind { get; } = kind;

    public PipeNode Pipe { get; } = pipe;

    public ListNode List { get; } = list;

    public ListNode? ElseList { get; } = elseList;

    public override string ToString()
    {
        var name = Kind switch { BranchKind.If => "if", BranchKind.Range => "range", _ => "with" };
        return ElseList is null
            ? $"{{{{{name} {Pipe}}}}}{List}{{{{end}}}}"
            : $"{{{{{name} {Pipe}}}}}{List}{{{{else}}}}{ElseList}{{{{end}}}}";
    }
}

internal sealed class BreakNode(int pos, int line) : Node(pos)
{
    public int Line { get; } = line;

    public override string ToString() => "{{break}}";
}

internal sealed class ContinueNode(int pos, int line) : Node(pos)
{
    public int Line { get; } = line;

    public override string ToString() => "{{continue}}";
}

internal sealed class TemplateNode(int pos, int line, string name, PipeNode? pipe) : Node(pos)
{
    public int Line { get; } = line;

    public string Name { get; } = name;

    public PipeNode? Pipe { get; } = pipe;

    public override string ToString() => Pipe is null ? $"{{{{template \"{Name}\"}}}}" : $"{{{{template \"{Name}\" {Pipe}}}}}";
}

/// <summary>One parsed template: its name, the source text (for line numbers) and its root list.</summary>
internal sealed class Tree(string name, string parseName, string text, ListNode root)
{
    public string Name { get; } = name;

    /// <summary>The name of the template whose text held this tree (a define names the file it was in).</summary>
    public string ParseName { get; } = parseName;

    public string Text { get; } = text;

    public ListNode Root { get; } = root;

    /// <summary>Line and column (1-based line, 0-based byte column as Go reports) of a position.</summary>
    public (int Line, int Col) Location(int pos)
    {
        pos = Math.Clamp(pos, 0, Text.Length);
        var line = 1;
        var lastNl = -1;
        for (var i = 0; i < pos; i++)
        {
            if (Text[i] == '\n')
            {
                line++;
                lastNl = i;
            }
        }

        return (line, pos - lastNl - 1);
    }

    public bool IsEmpty() => Root.Nodes.All(n => n is TextNode t ? string.IsNullOrWhiteSpace(t.Text) : n is CommentNode);
}
