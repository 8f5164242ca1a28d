using System.Globalization;
using System.Text;

namespace Fleet.Helm.Template;

internal enum TokenKind
{
    Error,
    Eof,
    Text,
    LeftDelim,
    RightDelim,
    Comment,
    Space,
    Identifier,
    Field,
    Variable,
    Dot,
    Nil,
    Bool,
    Number,
    CharConstant,
    String,
    RawString,
    Pipe,
    LeftParen,
    RightParen,
    Declare,
    Assign,
    Char,
    Block,
    Break,
    Continue,
    Define,
    Else,
    End,
    If,
    Range,
    Template,
    With,
}

internal readonly record struct Token(TokenKind Kind, string Value, int Pos, int Line)
{
    public override string ToString() => Kind switch
    {
        TokenKind.Eof => "EOF",
        TokenKind.Error => Value,
        TokenKind.Text or TokenKind.Space => Value.Length > 10 ? $"{GoStrings.Quote(Value[..10])}..." : GoStrings.Quote(Value),
        >= TokenKind.Block => $"<{Value}>",
        _ => Value,
    };
}

/// <summary>
/// The lexer of Go's text/template (delimiters "{{" and "}}", trim markers "{{- " and " -}}", comments), written by
/// hand because no .NET library lexes Go templates. It produces the whole token list up front.
/// </summary>
internal sealed class Lexer
{
    private const string LeftDelim = "{{";
    private const string RightDelim = "}}";

    private static readonly Dictionary<string, TokenKind> Keywords = new(StringComparer.Ordinal)
    {
        ["block"] = TokenKind.Block,
        ["break"] = TokenKind.Break,
        ["continue"] = TokenKind.Continue,
        ["define"] = TokenKind.Define,
        ["else"] = TokenKind.Else,
        ["end"] = TokenKind.End,
        ["if"] = TokenKind.If,
        ["range"] = TokenKind.Range,
        ["nil"] = TokenKind.Nil,
        ["template"] = TokenKind.Template,
        ["with"] = TokenKind.With,
    };

    private readonly string _input;
    private readonly List<Token> _tokens = [];
    private int _pos;
    private int _line = 1;
    private int _parenDepth;

    private Lexer(string input) => _input = input;

    public static List<Token> Lex(string input)
    {
        var lexer = new Lexer(input);
        lexer.Run();
        return lexer._tokens;
    }

    private static bool IsSpace(char c) => c is ' ' or '\t' or '\r' or '\n';

    private static bool IsAlphaNumeric(char c) => c == '_' || char.IsLetterOrDigit(c);

    private void Emit(TokenKind kind, int start, string value)
    {
        _tokens.Add(new Token(kind, value, start, _line));
        foreach (var c in value)
        {
            if (c == '\n')
            {
                _line++;
            }
        }
    }

    private bool Error(string message)
    {
        _tokens.Add(new Token(TokenKind.Error, message, _pos, _line));
        return false;
    }

    private void Run()
    {
        var trimNext = false;
        while (true)
        {
            var start = _pos;
            var x = _input.IndexOf(LeftDelim, _pos, StringComparison.Ordinal);
            var end = x < 0 ? _input.Length : x;
            var textEnd = end;
            var leftTrim = x >= 0 && HasLeftTrimMarker(x + LeftDelim.Length);
            if (leftTrim)
            {
                while (textEnd > start && IsSpace(_input[textEnd - 1]))
                {
                    textEnd--;
                }
            }

            if (trimNext)
            {
                while (start < textEnd && IsSpace(_input[start]))
                {
                    start++;
                }
            }

            if (textEnd > start)
            {
                CountLines(_pos, start);
                Emit(TokenKind.Text, start, _input[start..textEnd]);
                CountLines(textEnd, end);
            }
            else
            {
                CountLines(_pos, end);
            }

            if (x < 0)
            {
                _tokens.Add(new Token(TokenKind.Eof, "", _input.Length, _line));
                return;
            }

            _pos = x;
            if (!LexAction(leftTrim, out trimNext))
            {
                return;
            }
        }
    }

    private void CountLines(int from, int to)
    {
        for (var i = from; i < to; i++)
        {
            if (_input[i] == '\n')
            {
                _line++;
            }
        }
    }

    private bool HasLeftTrimMarker(int at) => at + 1 < _input.Length && _input[at] == '-' && IsSpace(_input[at + 1]);

    private bool AtRightDelim(out bool trim)
    {
        trim = false;
        if (_pos + 1 < _input.Length && IsSpace(_input[_pos]) && _input[_pos + 1] == '-' && string.CompareOrdinal(_input, _pos + 2, RightDelim, 0, 2) == 0)
        {
            trim = true;
            return true;
        }

        return string.CompareOrdinal(_input, _pos, RightDelim, 0, 2) == 0;
    }

    /// <summary>Lexes from a left delimiter through its right delimiter; false after an error.</summary>
    private bool LexAction(bool leftTrim, out bool rightTrim)
    {
        rightTrim = false;
        var delimStart = _pos;
        _pos += LeftDelim.Length + (leftTrim ? 2 : 0);
        if (string.CompareOrdinal(_input, _pos, "/*", 0, 2) == 0)
        {
            var close = _input.IndexOf("*/", _pos + 2, StringComparison.Ordinal);
            if (close < 0)
            {
                return Error("unclosed comment");
            }

            var comment = _input[_pos..(close + 2)];
            _pos = close + 2;
            if (!AtRightDelim(out rightTrim))
            {
                return Error("comment ends before closing delimiter");
            }

            Emit(TokenKind.Comment, delimStart, comment);
            _pos += (rightTrim ? 2 : 0) + RightDelim.Length;
            return true;
        }

        Emit(TokenKind.LeftDelim, delimStart, LeftDelim);
        _parenDepth = 0;
        while (true)
        {
            if (AtRightDelim(out rightTrim))
            {
                if (_parenDepth != 0)
                {
                    return Error("unclosed left paren");
                }

                if (rightTrim)
                {
                    _pos += 2;
                }

                Emit(TokenKind.RightDelim, _pos, RightDelim);
                _pos += RightDelim.Length;
                return true;
            }

            if (_pos >= _input.Length)
            {
                return Error("unclosed action");
            }

            var c = _input[_pos];
            var start = _pos;
            if (IsSpace(c))
            {
                while (_pos < _input.Length && IsSpace(_input[_pos]) && !AtRightDelimTrimAfterSpace())
                {
                    _pos++;
                }

                if (_pos == start)
                {
                    // " -}}" directly: the space belongs to the trim marker.
                    continue;
                }

                Emit(TokenKind.Space, start, _input[start.._pos]);
                continue;
            }

            switch (c)
            {
                case '=':
                    _pos++;
                    Emit(TokenKind.Assign, start, "=");
                    continue;
                case ':':
                    if (_pos + 1 >= _input.Length || _input[_pos + 1] != '=')
                    {
                        return Error("expected :=");
                    }

                    _pos += 2;
                    Emit(TokenKind.Declare, start, ":=");
                    continue;
                case '|':
                    _pos++;
                    Emit(TokenKind.Pipe, start, "|");
                    continue;
                case '"':
                    if (!LexQuote())
                    {
                        return false;
                    }

                    continue;
                case '`':
                    var close = _input.IndexOf('`', _pos + 1);
                    if (close < 0)
                    {
                        return Error("unterminated raw quoted string");
                    }

                    _pos = close + 1;
                    Emit(TokenKind.RawString, start, _input[start.._pos]);
                    continue;
                case '$':
                    _pos++;
                    while (_pos < _input.Length && IsAlphaNumeric(_input[_pos]))
                    {
                        _pos++;
                    }

                    Emit(TokenKind.Variable, start, _input[start.._pos]);
                    continue;
                case '\'':
                    if (!LexChar())
                    {
                        return false;
                    }

                    continue;
                case '.':
                    if (_pos + 1 < _input.Length && char.IsAsciiDigit(_input[_pos + 1]))
                    {
                        if (!LexNumber())
                        {
                            return false;
                        }

                        continue;
                    }

                    _pos++;
                    while (_pos < _input.Length && IsAlphaNumeric(_input[_pos]))
                    {
                        _pos++;
                    }

                    if (_pos == start + 1)
                    {
                        Emit(TokenKind.Dot, start, ".");
                    }
                    else
                    {
                        Emit(TokenKind.Field, start, _input[start.._pos]);
                    }

                    continue;
                case '(':
                    _pos++;
                    _parenDepth++;
                    Emit(TokenKind.LeftParen, start, "(");
                    continue;
                case ')':
                    _pos++;
                    _parenDepth--;
                    if (_parenDepth < 0)
                    {
                        return Error("unexpected right paren");
                    }

                    Emit(TokenKind.RightParen, start, ")");
                    continue;
            }

            if (c is '+' or '-' || char.IsAsciiDigit(c))
            {
                if (!LexNumber())
                {
                    return false;
                }

                continue;
            }

            if (IsAlphaNumeric(c))
            {
                while (_pos < _input.Length && IsAlphaNumeric(_input[_pos]))
                {
                    _pos++;
                }

                var word = _input[start.._pos];
                if (!AtTerminator())
                {
                    return Error($"bad character {GoStrings.QuoteRune(_input[_pos])}");
                }

                if (Keywords.TryGetValue(word, out var keyword))
                {
                    Emit(keyword, start, word);
                }
                else if (word is "true" or "false")
                {
                    Emit(TokenKind.Bool, start, word);
                }
                else
                {
                    Emit(TokenKind.Identifier, start, word);
                }

                continue;
            }

            if (c < 0x7f && !char.IsControl(c))
            {
                _pos++;
                Emit(TokenKind.Char, start, c.ToString());
                continue;
            }

            return Error($"unrecognized character in action: {GoStrings.QuoteRune(c)}");
        }
    }

    private bool AtRightDelimTrimAfterSpace() =>
        _pos + 1 < _input.Length && _input[_pos + 1] == '-' && string.CompareOrdinal(_input, _pos + 2, RightDelim, 0, 2) == 0;

    private bool AtTerminator()
    {
        if (_pos >= _input.Length)
        {
            return true;
        }

        var c = _input[_pos];
        return IsSpace(c) || c is '.' or ',' or '|' or ':' or ')' or '(' || string.CompareOrdinal(_input, _pos, RightDelim, 0, 2) == 0;
    }

    private bool LexQuote()
    {
        var start = _pos;
        _pos++;
        while (true)
        {
            if (_pos >= _input.Length || _input[_pos] == '\n')
            {
                return Error("unterminated quoted string");
            }

            var c = _input[_pos++];
            if (c == '\\')
            {
                if (_pos >= _input.Length || _input[_pos] == '\n')
                {
                    return Error("unterminated quoted string");
                }

                _pos++;
            }
            else if (c == '"')
            {
                break;
            }
        }

        Emit(TokenKind.String, start, _input[start.._pos]);
        return true;
    }

    private bool LexChar()
    {
        var start = _pos;
        _pos++;
        while (true)
        {
            if (_pos >= _input.Length || _input[_pos] == '\n')
            {
                return Error("unterminated character constant");
            }

            var c = _input[_pos++];
            if (c == '\\')
            {
                _pos++;
            }
            else if (c == '\'')
            {
                break;
            }
        }

        Emit(TokenKind.CharConstant, start, _input[start.._pos]);
        return true;
    }

    private bool LexNumber()
    {
        var start = _pos;
        if (_input[_pos] is '+' or '-')
        {
            _pos++;
        }

        var digits = "0123456789_";
        if (_pos + 1 < _input.Length && _input[_pos] == '0')
        {
            switch (_input[_pos + 1])
            {
                case 'x' or 'X':
                    _pos += 2;
                    digits = "0123456789abcdefABCDEF_";
                    break;
                case 'o' or 'O':
                    _pos += 2;
                    digits = "01234567_";
                    break;
                case 'b' or 'B':
                    _pos += 2;
                    digits = "01_";
                    break;
            }
        }

        Accept(digits);
        if (_pos < _input.Length && _input[_pos] == '.')
        {
            _pos++;
            Accept(digits);
        }

        if (digits.Length == 11 && _pos < _input.Length && _input[_pos] is 'e' or 'E')
        {
            _pos++;
            if (_pos < _input.Length && _input[_pos] is '+' or '-')
            {
                _pos++;
            }

            Accept("0123456789_");
        }

        if (digits.Length == 23 && _pos < _input.Length && _input[_pos] is 'p' or 'P')
        {
            _pos++;
            if (_pos < _input.Length && _input[_pos] is '+' or '-')
            {
                _pos++;
            }

            Accept("0123456789_");
        }

        if (_pos < _input.Length && IsAlphaNumeric(_input[_pos]))
        {
            _pos++;
            return Error($"bad number syntax: {GoStrings.Quote(_input[start.._pos])}");
        }

        Emit(TokenKind.Number, start, _input[start.._pos]);
        return true;
    }

    private void Accept(string valid)
    {
        while (_pos < _input.Length && valid.Contains(_input[_pos], StringComparison.Ordinal))
        {
            _pos++;
        }
    }
}

/// <summary>Go's string quoting and unquoting (strconv.Quote / Unquote), used by the lexer, printf %q and errors.</summary>
internal static class GoStrings
{
    public static string Quote(string s) => Quote(s, '"', asciiOnly: false);

    public static string QuoteAscii(string s) => Quote(s, '"', asciiOnly: true);

    public static string QuoteRune(int rune) => Quote(char.ConvertFromUtf32(rune), '\'', asciiOnly: false);

    public static string Quote(string s, char quote, bool asciiOnly)
    {
        var sb = new StringBuilder(s.Length + 2);
        sb.Append(quote);
        for (var i = 0; i < s.Length; i++)
        {
            int r = s[i];
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                r = char.ConvertToUtf32(s[i], s[i + 1]);
                i++;
            }
            else if (char.IsSurrogate(s[i]))
            {
                sb.Append("\\ufffd");
                continue;
            }

            if (r == quote || r == '\\')
            {
                sb.Append('\\').Append((char)r);
                continue;
            }

            if (r < 0x80 ? r >= 0x20 && r != 0x7f : !asciiOnly && IsGoPrintable(r))
            {
                sb.Append(char.ConvertFromUtf32(r));
                continue;
            }

            switch (r)
            {
                case '\a': sb.Append("\\a"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\v': sb.Append("\\v"); break;
                default:
                    if (r < ' ' || r == 0x7f)
                    {
                        sb.Append("\\x").Append(r.ToString("x2", CultureInfo.InvariantCulture));
                    }
                    else if (r < 0x10000)
                    {
                        sb.Append("\\u").Append(r.ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append("\\U").Append(r.ToString("x8", CultureInfo.InvariantCulture));
                    }

                    break;
            }
        }

        sb.Append(quote);
        return sb.ToString();
    }

    private static bool IsGoPrintable(int r)
    {
        var cat = CharUnicodeInfo.GetUnicodeCategory(r);
        return cat is not (UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse
            or UnicodeCategory.OtherNotAssigned or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator)
            && !(cat == UnicodeCategory.SpaceSeparator && r != ' ');
    }

    /// <summary>strconv.Unquote for "..." , `...` and '...' literals; null when malformed.</summary>
    public static string? Unquote(string s)
    {
        if (s.Length < 2)
        {
            return null;
        }

        var q = s[0];
        if (q != s[^1])
        {
            return null;
        }

        var body = s[1..^1];
        if (q == '`')
        {
            return body.Contains('`', StringComparison.Ordinal) ? null : body.Replace("\r", "", StringComparison.Ordinal);
        }

        if (q is not ('"' or '\''))
        {
            return null;
        }

        var sb = new StringBuilder(body.Length);
        var bytes = new List<byte>();
        for (var i = 0; i < body.Length; i++)
        {
            var c = body[i];
            if (c == q || c == '\n')
            {
                return null;
            }

            if (c != '\\')
            {
                FlushBytes(sb, bytes);
                sb.Append(c);
                continue;
            }

            if (++i >= body.Length)
            {
                return null;
            }

            c = body[i];
            switch (c)
            {
                case 'a': FlushBytes(sb, bytes); sb.Append('\a'); break;
                case 'b': FlushBytes(sb, bytes); sb.Append('\b'); break;
                case 'f': FlushBytes(sb, bytes); sb.Append('\f'); break;
                case 'n': FlushBytes(sb, bytes); sb.Append('\n'); break;
                case 'r': FlushBytes(sb, bytes); sb.Append('\r'); break;
                case 't': FlushBytes(sb, bytes); sb.Append('\t'); break;
                case 'v': FlushBytes(sb, bytes); sb.Append('\v'); break;
                case '\\': FlushBytes(sb, bytes); sb.Append('\\'); break;
                case '\'' or '"':
                    if (c != q)
                    {
                        return null;
                    }

                    FlushBytes(sb, bytes);
                    sb.Append(c);
                    break;
                case 'x':
                    if (body.Length - i - 1 < 2 || !int.TryParse(body.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var hx))
                    {
                        return null;
                    }

                    bytes.Add((byte)hx);
                    i += 2;
                    break;
                case 'u' or 'U':
                    var n = c == 'u' ? 4 : 8;
                    if (body.Length - i - 1 < n || !int.TryParse(body.AsSpan(i + 1, n), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var cp))
                    {
                        return null;
                    }

                    FlushBytes(sb, bytes);
                    sb.Append(char.ConvertFromUtf32(cp));
                    i += n;
                    break;
                case >= '0' and <= '7':
                    if (body.Length - i < 3)
                    {
                        return null;
                    }

                    var oct = Convert.ToInt32(body.Substring(i, 3), 8);
                    bytes.Add((byte)oct);
                    i += 2;
                    break;
                default:
                    return null;
            }
        }

        FlushBytes(sb, bytes);
        return sb.ToString();
    }

    private static void FlushBytes(StringBuilder sb, List<byte> bytes)
    {
        if (bytes.Count > 0)
        {
            sb.Append(Encoding.UTF8.GetString(bytes.ToArray()));
            bytes.Clear();
        }
    }
}
