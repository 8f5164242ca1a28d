using System.Globalization;
using System.Text;
using Fleet.Helm.Template;

namespace Fleet.Helm.Functions;

/// <summary>
/// Sprig v3's functions as Helm registers them (Helm removes env and expandenv). Go semantics throughout:
/// byte-based string indexes, int64 arithmetic, strval conversions.
/// </summary>
internal static partial class Sprig
{
    public static void Register(Dictionary<string, TemplateFunc> f, TimeProvider time)
    {
        RegisterStrings(f);
        RegisterLists(f);
        RegisterDicts(f);
        RegisterMath(f);
        RegisterEncoding(f);
        RegisterCrypto(f);
        RegisterDates(f, time);
        RegisterTypes(f);
    }

    private static TemplateFunc F1(Func<object?, object?> fn) => TemplateFunc.Fixed(1, a => fn(a[0]));

    private static TemplateFunc F2(Func<object?, object?, object?> fn) => TemplateFunc.Fixed(2, a => fn(a[0], a[1]));

    private static TemplateFunc F3(Func<object?, object?, object?, object?> fn) => TemplateFunc.Fixed(3, a => fn(a[0], a[1], a[2]));

    private static TemplateFunc S1(Func<string, object?> fn) => TemplateFunc.Fixed(1, a => fn(GoValues.Str(a[0])));

    private static TemplateFunc S2(Func<string, string, object?> fn) => TemplateFunc.Fixed(2, a => fn(GoValues.Str(a[0]), GoValues.Str(a[1])));

    private static string StrVal(object? v) => GoValues.StrVal(v);

    private static readonly UTF8Encoding Utf8 = new(false);

    private static void RegisterStrings(Dictionary<string, TemplateFunc> f)
    {
        f["upper"] = S1(s => s.ToUpperInvariant());
        f["lower"] = S1(s => s.ToLowerInvariant());
        f["title"] = S1(Title);
        f["untitle"] = S1(Untitle);
        f["trim"] = S1(s => s.Trim(GoSpace));
        f["trimAll"] = S2((cut, s) => s.Trim(cut.ToCharArray()));
        f["trimall"] = f["trimAll"];
        f["trimPrefix"] = S2((p, s) => s.StartsWith(p, StringComparison.Ordinal) ? s[p.Length..] : s);
        f["trimSuffix"] = S2((p, s) => s.EndsWith(p, StringComparison.Ordinal) ? s[..^p.Length] : s);
        f["nospace"] = S1(s => string.Concat(s.Where(c => !char.IsWhiteSpace(c))));
        f["repeat"] = TemplateFunc.Fixed(2, a => string.Concat(Enumerable.Repeat(GoValues.Str(a[1]), Math.Max(0, CheckRepeat(GoValues.Int(a[0]))))));
        f["substr"] = TemplateFunc.Fixed(3, a => Substr(GoValues.Int(a[0]), GoValues.Int(a[1]), GoValues.Str(a[2])));
        f["trunc"] = TemplateFunc.Fixed(2, a => Trunc(GoValues.Int(a[0]), GoValues.Str(a[1])));
        f["abbrev"] = TemplateFunc.Fixed(2, a => Abbrev(GoValues.Int(a[0]), GoValues.Str(a[1])));
        f["abbrevboth"] = TemplateFunc.Fixed(3, a => AbbrevBoth(GoValues.Int(a[0]), GoValues.Int(a[1]), GoValues.Str(a[2])));
        f["initials"] = S1(s => string.Concat(s.Split(GoSpace, StringSplitOptions.RemoveEmptyEntries).Select(w => w[0])));
        f["swapcase"] = S1(SwapCase);
        f["snakecase"] = S1(s => Delimit(s, '_'));
        f["kebabcase"] = S1(s => Delimit(s, '-'));
        f["camelcase"] = S1(CamelCase);
        f["wrap"] = TemplateFunc.Fixed(2, a => WrapWith(GoValues.Int(a[0]), "\n", GoValues.Str(a[1])));
        f["wrapWith"] = TemplateFunc.Fixed(3, a => WrapWith(GoValues.Int(a[0]), GoValues.Str(a[1]), GoValues.Str(a[2])));
        f["contains"] = S2((sub, s) => s.Contains(sub, StringComparison.Ordinal));
        f["hasPrefix"] = S2((p, s) => s.StartsWith(p, StringComparison.Ordinal));
        f["hasSuffix"] = S2((p, s) => s.EndsWith(p, StringComparison.Ordinal));
        f["quote"] = TemplateFunc.Variadic(0, a => string.Join(" ", a.Where(x => x is not null).Select(x => GoStrings.Quote(StrVal(x)))));
        f["squote"] = TemplateFunc.Variadic(0, a => string.Join(" ", a.Where(x => x is not null).Select(x => "'" + StrVal(x) + "'")));
        f["cat"] = TemplateFunc.Variadic(0, a => string.Join(" ", a.Where(x => x is not null).Select(StrVal)));
        f["indent"] = TemplateFunc.Fixed(2, a => Indent(GoValues.Int(a[0]), GoValues.Str(a[1])));
        f["nindent"] = TemplateFunc.Fixed(2, a => "\n" + Indent(GoValues.Int(a[0]), GoValues.Str(a[1])));
        f["replace"] = F3((o, n, s) => ReplaceAll(GoValues.Str(s), GoValues.Str(o), GoValues.Str(n)));
        f["plural"] = TemplateFunc.Fixed(3, a => GoValues.Int(a[2]) == 1 ? GoValues.Str(a[0]) : GoValues.Str(a[1]));
        f["toString"] = F1(StrVal);
        f["split"] = S2((sep, s) => IndexedMap(SplitGo(s, sep, -1)));
        f["splitList"] = S2((sep, s) => SplitGo(s, sep, -1).Cast<object?>().ToList());
        f["splitn"] = TemplateFunc.Fixed(3, a => IndexedMap(SplitGo(GoValues.Str(a[2]), GoValues.Str(a[0]), GoValues.Int(a[1]))));
        f["toStrings"] = F1(v => StrSlice(v).Cast<object?>().ToList());
        f["join"] = TemplateFunc.Fixed(2, a => string.Join(GoValues.Str(a[0]), StrSlice(a[1])));
        f["sortAlpha"] = F1(v =>
        {
            var items = StrSlice(v);
            items.Sort(StringComparer.Ordinal);
            return items.Cast<object?>().ToList();
        });
        f["shuffle"] = S1(s =>
        {
            var chars = s.ToCharArray();
            Random.Shared.Shuffle(chars);
            return new string(chars);
        });
        f["randAlphaNum"] = TemplateFunc.Fixed(1, a => RandomString(GoValues.Int(a[0]), "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"));
        f["randAlpha"] = TemplateFunc.Fixed(1, a => RandomString(GoValues.Int(a[0]), "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"));
        f["randNumeric"] = TemplateFunc.Fixed(1, a => RandomString(GoValues.Int(a[0]), "0123456789"));
        f["randAscii"] = TemplateFunc.Fixed(1, a => RandomString(GoValues.Int(a[0]), string.Concat(Enumerable.Range(32, 95).Select(i => (char)i))));
        f["regexMatch"] = S2((re, s) => GoRegex.Compile(re, must: false) is { } r && r.IsMatch(s));
        f["mustRegexMatch"] = S2((re, s) => GoRegex.Compile(re, must: true)!.IsMatch(s));
        f["regexFindAll"] = TemplateFunc.Fixed(3, a => GoRegex.FindAll(GoValues.Str(a[0]), GoValues.Str(a[1]), GoValues.Int(a[2]), must: false));
        f["mustRegexFindAll"] = TemplateFunc.Fixed(3, a => GoRegex.FindAll(GoValues.Str(a[0]), GoValues.Str(a[1]), GoValues.Int(a[2]), must: true));
        f["regexFind"] = S2((re, s) => GoRegex.Compile(re, must: false) is { } r ? r.Match(s) is { Success: true } m ? m.Value : "" : "");
        f["mustRegexFind"] = S2((re, s) => GoRegex.Compile(re, must: true)!.Match(s) is { Success: true } m ? m.Value : "");
        f["regexReplaceAll"] = F3((re, s, repl) => GoRegex.ReplaceAll(GoValues.Str(re), GoValues.Str(s), GoValues.Str(repl), literal: false, must: false));
        f["mustRegexReplaceAll"] = F3((re, s, repl) => GoRegex.ReplaceAll(GoValues.Str(re), GoValues.Str(s), GoValues.Str(repl), literal: false, must: true));
        f["regexReplaceAllLiteral"] = F3((re, s, repl) => GoRegex.ReplaceAll(GoValues.Str(re), GoValues.Str(s), GoValues.Str(repl), literal: true, must: false));
        f["mustRegexReplaceAllLiteral"] = F3((re, s, repl) => GoRegex.ReplaceAll(GoValues.Str(re), GoValues.Str(s), GoValues.Str(repl), literal: true, must: true));
        f["regexSplit"] = TemplateFunc.Fixed(3, a => GoRegex.Split(GoValues.Str(a[0]), GoValues.Str(a[1]), GoValues.Int(a[2]), must: false));
        f["mustRegexSplit"] = TemplateFunc.Fixed(3, a => GoRegex.Split(GoValues.Str(a[0]), GoValues.Str(a[1]), GoValues.Int(a[2]), must: true));
        f["regexQuoteMeta"] = S1(GoRegex.QuoteMeta);
        f["base"] = S1(GoPath.Base);
        f["dir"] = S1(GoPath.Dir);
        f["clean"] = S1(GoPath.Clean);
        f["ext"] = S1(GoPath.Ext);
        f["isAbs"] = S1(s => s.StartsWith('/'));
        f["osBase"] = f["base"];
        f["osDir"] = f["dir"];
        f["osClean"] = f["clean"];
        f["osExt"] = f["ext"];
        f["osIsAbs"] = f["isAbs"];
        f["seq"] = TemplateFunc.Variadic(0, a => Seq(a.Select(GoValues.Int).ToArray()));
        f["hello"] = TemplateFunc.Fixed(0, _ => "Hello!");
    }

    private static readonly char[] GoSpace = [' ', '\t', '\n', '\v', '\f', '\r', '\u0085', '\u00A0'];

    private static int CheckRepeat(int n) => n < 0 ? throw new GoFuncException("strings: negative Repeat count") : n;

    private static string ReplaceAll(string s, string old, string @new)
    {
        if (old.Length == 0)
        {
            // Go inserts the replacement before every rune and at the end.
            var sb = new StringBuilder();
            foreach (var r in s.EnumerateRunes())
            {
                sb.Append(@new).Append(r.ToString());
            }

            return sb.Append(@new).ToString();
        }

        return s.Replace(old, @new, StringComparison.Ordinal);
    }

    private static string Indent(int spaces, string v)
    {
        var pad = new string(' ', Math.Max(0, spaces));
        return pad + v.Replace("\n", "\n" + pad, StringComparison.Ordinal);
    }

    /// <summary>Go slices strings by byte offset; this works on the UTF-8 bytes.</summary>
    private static string ByteSlice(string s, int start, int end)
    {
        var bytes = Utf8.GetBytes(s);
        if (start < 0 || end > bytes.Length || start > end)
        {
            throw new GoFuncException($"runtime error: slice bounds out of range [{start}:{end}] with length {bytes.Length}");
        }

        return Utf8.GetString(bytes, start, end - start);
    }

    private static int ByteLen(string s) => Utf8.GetByteCount(s);

    private static string Substr(int start, int end, string s)
    {
        if (start < 0)
        {
            return ByteSlice(s, 0, end);
        }

        if (end < 0 || end > ByteLen(s))
        {
            return ByteSlice(s, start, ByteLen(s));
        }

        return ByteSlice(s, start, end);
    }

    private static string Trunc(int c, string s)
    {
        var len = ByteLen(s);
        if (c < 0 && len + c > 0)
        {
            return ByteSlice(s, len + c, len);
        }

        if (c >= 0 && len > c)
        {
            return ByteSlice(s, 0, c);
        }

        return s;
    }

    private static string Abbrev(int width, string s)
    {
        if (width < 4)
        {
            return s;
        }

        return AbbreviateFull(s, 0, width);
    }

    private static string AbbrevBoth(int left, int right, string s)
    {
        if (right < 4 || (left > 0 && right < 7))
        {
            return s;
        }

        return AbbreviateFull(s, left, right);
    }

    /// <summary>goutils.AbbreviateFull.</summary>
    private static string AbbreviateFull(string str, int offset, int maxWidth)
    {
        const string marker = "...";
        if (str.Length == 0)
        {
            return "";
        }

        if (maxWidth < 4 || (offset > 0 && maxWidth < 7))
        {
            return str;
        }

        if (str.Length <= maxWidth)
        {
            return str;
        }

        if (offset > str.Length)
        {
            offset = str.Length;
        }

        if (str.Length - offset < maxWidth - 3)
        {
            offset = str.Length - (maxWidth - 3);
        }

        if (offset <= 4)
        {
            return str[..(maxWidth - 3)] + marker;
        }

        if (maxWidth < 7)
        {
            return str;
        }

        if (offset + maxWidth - 3 < str.Length)
        {
            return marker + AbbreviateFull(str[offset..], 0, maxWidth - 3);
        }

        return marker + str[(str.Length - (maxWidth - 3))..];
    }

    private static bool IsSeparator(char c)
    {
        if (c <= 0x7F)
        {
            return !(char.IsAsciiLetterOrDigit(c) || c == '_');
        }

        return !char.IsLetterOrDigit(c) && char.IsWhiteSpace(c);
    }

    private static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        var prev = ' ';
        foreach (var c in s)
        {
            sb.Append(IsSeparator(prev) ? char.ToUpperInvariant(c) : c);
            prev = c;
        }

        return sb.ToString();
    }

    private static string Untitle(string s)
    {
        var sb = new StringBuilder(s.Length);
        var prev = ' ';
        foreach (var c in s)
        {
            sb.Append(char.IsWhiteSpace(prev) ? char.ToLowerInvariant(c) : c);
            prev = c;
        }

        return sb.ToString();
    }

    private static string SwapCase(string s)
    {
        // goutils.SwapCase: upper to lower, title/lower to upper (lower after whitespace becomes title case).
        var sb = new StringBuilder(s.Length);
        var whitespace = true;
        foreach (var c in s)
        {
            if (char.IsUpper(c))
            {
                sb.Append(char.ToLowerInvariant(c));
                whitespace = false;
            }
            else if (char.IsLower(c))
            {
                sb.Append(char.ToUpperInvariant(c));
                whitespace = false;
            }
            else
            {
                whitespace = char.IsWhiteSpace(c);
                sb.Append(c);
            }
        }

        _ = whitespace;
        return sb.ToString();
    }

    /// <summary>xstrings.ToSnakeCase / ToKebabCase: words split at case changes and non-alphanumerics, lowered, joined.</summary>
    private static string Delimit(string s, char delimiter)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (!char.IsLetterOrDigit(c))
            {
                if (current.Length > 0)
                {
                    words.Add(current.ToString());
                    current.Clear();
                }

                continue;
            }

            if (char.IsUpper(c) && current.Length > 0)
            {
                var prev = s[i - 1];
                var nextLower = i + 1 < s.Length && char.IsLower(s[i + 1]);
                if (char.IsLower(prev) || char.IsDigit(prev) || (char.IsUpper(prev) && nextLower))
                {
                    words.Add(current.ToString());
                    current.Clear();
                }
            }

            current.Append(char.ToLowerInvariant(c));
        }

        if (current.Length > 0)
        {
            words.Add(current.ToString());
        }

        return string.Join(delimiter, words);
    }

    private static string CamelCase(string s)
    {
        // xstrings.ToCamelCase: '_', ' ' and '-' separate words; each word's first letter is upper-cased.
        var sb = new StringBuilder(s.Length);
        var upper = true;
        foreach (var c in s)
        {
            if (c is '_' or ' ' or '-')
            {
                upper = true;
                continue;
            }

            sb.Append(upper ? char.ToUpperInvariant(c) : c);
            upper = false;
        }

        return sb.ToString();
    }

    /// <summary>goutils.WrapCustom(str, wrapLength, newLine, false).</summary>
    private static string WrapWith(int wrapLength, string newLine, string str)
    {
        if (wrapLength < 1)
        {
            wrapLength = 1;
        }

        var inputLineLength = str.Length;
        var offset = 0;
        var sb = new StringBuilder(inputLineLength + 32);
        while (inputLineLength - offset > wrapLength)
        {
            if (str[offset] == ' ')
            {
                offset++;
                continue;
            }

            var end = wrapLength + offset + 1;
            var spaceToWrapAt = str.LastIndexOf(' ', Math.Min(end, str.Length) - 1, Math.Min(end, str.Length) - offset) ;
            if (spaceToWrapAt >= offset)
            {
                sb.Append(str, offset, spaceToWrapAt - offset).Append(newLine);
                offset = spaceToWrapAt + 1;
            }
            else
            {
                var next = str.IndexOf(' ', wrapLength + offset);
                if (next >= 0)
                {
                    sb.Append(str, offset, next - offset).Append(newLine);
                    offset = next + 1;
                }
                else
                {
                    sb.Append(str, offset, str.Length - offset);
                    offset = inputLineLength;
                }
            }
        }

        sb.Append(str, offset, str.Length - offset);
        return sb.ToString();
    }

    private static List<string> SplitGo(string s, string sep, int n)
    {
        if (n == 0)
        {
            return [];
        }

        if (sep.Length == 0)
        {
            var runes = s.EnumerateRunes().Select(r => r.ToString()).ToList();
            if (n > 0 && runes.Count > n)
            {
                var head = runes.Take(n - 1).ToList();
                head.Add(string.Concat(runes.Skip(n - 1)));
                return head;
            }

            return runes;
        }

        return n < 0 ? s.Split(sep).ToList() : s.Split(sep, n).ToList();
    }

    private static Dictionary<string, object?> IndexedMap(List<string> parts)
    {
        var m = GoValues.NewMap();
        for (var i = 0; i < parts.Count; i++)
        {
            m["_" + i.ToString(CultureInfo.InvariantCulture)] = parts[i];
        }

        return m;
    }

    /// <summary>Sprig's strslice: a list's items by strval (nils dropped), or the value itself as one string.</summary>
    private static List<string> StrSlice(object? v) => v switch
    {
        null => [],
        IList<object?> l => l.Where(x => x is not null).Select(StrVal).ToList(),
        _ => [StrVal(v)],
    };

    private static string RandomString(int n, string alphabet)
    {
        var chars = new char[Math.Max(0, n)];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = alphabet[System.Security.Cryptography.RandomNumberGenerator.GetInt32(alphabet.Length)];
        }

        return new string(chars);
    }

    private static string Seq(int[] p)
    {
        int start, end, step;
        switch (p.Length)
        {
            case 0:
                return "";
            case 1:
                start = 1;
                end = p[0];
                step = end >= start ? 1 : -1;
                break;
            case 2:
                start = p[0];
                end = p[1];
                step = end >= start ? 1 : -1;
                break;
            case 3:
                start = p[0];
                step = p[1];
                end = p[2];
                if (step == 0 || (end > start && step < 0) || (end < start && step > 0))
                {
                    return "";
                }

                break;
            default:
                return "";
        }

        var items = new List<string>();
        if (step > 0)
        {
            for (var i = start; i <= end; i += step)
            {
                items.Add(i.ToString(CultureInfo.InvariantCulture));
            }
        }
        else
        {
            for (var i = start; i >= end; i += step)
            {
                items.Add(i.ToString(CultureInfo.InvariantCulture));
            }
        }

        return string.Join(" ", items);
    }
}
