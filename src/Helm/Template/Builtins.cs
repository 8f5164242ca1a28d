using System.Text;

namespace Fleet.Helm.Template;

/// <summary>The predefined functions of Go's text/template (and/or are evaluated lazily by the executor).</summary>
internal static class Builtins
{
    public static readonly Dictionary<string, TemplateFunc> Funcs = new(StringComparer.Ordinal)
    {
        ["not"] = TemplateFunc.Fixed(1, a => !GoValues.IsTrue(a[0])),
        ["len"] = TemplateFunc.Fixed(1, a => Length(a[0])),
        ["index"] = TemplateFunc.Variadic(1, a => Index(a[0], a.AsSpan(1).ToArray())),
        ["slice"] = TemplateFunc.Variadic(1, a => Slice(a[0], a.AsSpan(1).ToArray())),
        ["print"] = TemplateFunc.Variadic(0, a => GoFormat.Sprint(a)),
        ["printf"] = TemplateFunc.Variadic(1, a => GoFormat.Sprintf(GoValues.Str(a[0]), a.AsSpan(1).ToArray())),
        ["println"] = TemplateFunc.Variadic(0, a => GoFormat.Sprintln(a)),
        ["eq"] = TemplateFunc.Variadic(1, a => Eq(a[0], a.AsSpan(1).ToArray())),
        ["ne"] = TemplateFunc.Fixed(2, a => !Eq(a[0], [a[1]])),
        ["lt"] = TemplateFunc.Fixed(2, a => Lt(a[0], a[1])),
        ["le"] = TemplateFunc.Fixed(2, a => Lt(a[0], a[1]) || Eq(a[0], [a[1]])),
        ["gt"] = TemplateFunc.Fixed(2, a => !(Lt(a[0], a[1]) || Eq(a[0], [a[1]]))),
        ["ge"] = TemplateFunc.Fixed(2, a => !Lt(a[0], a[1])),
        ["html"] = TemplateFunc.Variadic(0, a => HtmlEscape(EvalArgs(a))),
        ["js"] = TemplateFunc.Variadic(0, a => JsEscape(EvalArgs(a))),
        ["urlquery"] = TemplateFunc.Variadic(0, a => Uri.EscapeDataString(EvalArgs(a)).Replace("%20", "+", StringComparison.Ordinal)),
        ["call"] = TemplateFunc.Variadic(1, a => throw new GoFuncException(a[0] is null ? "call of nil" : $"non-function {GoValues.Format(a[0])} of type {GoValues.TypeName(a[0])}")),
    };

    public static readonly HashSet<string> Names = new(Funcs.Keys.Append("and").Append("or"), StringComparer.Ordinal);

    private enum Kind
    {
        Invalid,
        Bool,
        Int,
        Float,
        String,
        Other,
    }

    private static Kind BasicKind(object? v) => v switch
    {
        null => Kind.Invalid,
        bool => Kind.Bool,
        int or long => Kind.Int,
        double => Kind.Float,
        string => Kind.String,
        _ => Kind.Other,
    };

    private static string EvalArgs(object?[] args) => args.Length == 1 && args[0] is string s ? s : GoFormat.Sprint(args);

    private static int Length(object? v) => v switch
    {
        null => throw new GoFuncException("len of nil pointer"),
        string s => Encoding.UTF8.GetByteCount(s),
        byte[] b => b.Length,
        IDictionary<string, object?> m => m.Count,
        IList<object?> l => l.Count,
        IGoRangeable r => r.Entries().Count(),
        _ => throw new GoFuncException($"len of type {GoValues.TypeName(v)}"),
    };

    public static bool Eq(object? a, object?[] others)
    {
        if (others.Length == 0)
        {
            throw new GoFuncException("missing argument for comparison");
        }

        var k1 = BasicKind(a);
        foreach (var b in others)
        {
            var k2 = BasicKind(b);
            bool truth;
            if (k1 != k2)
            {
                if (a is not null && b is not null)
                {
                    throw new GoFuncException("incompatible types for comparison");
                }

                truth = false;
            }
            else
            {
                switch (k1)
                {
                    case Kind.Bool:
                        truth = (bool)a! == (bool)b!;
                        break;
                    case Kind.Int:
                        truth = GoValues.AsLong(a) == GoValues.AsLong(b);
                        break;
                    case Kind.Float:
                        truth = (double)a! == (double)b!;
                        break;
                    case Kind.String:
                        truth = string.Equals((string)a!, (string)b!, StringComparison.Ordinal);
                        break;
                    case Kind.Invalid:
                        truth = true;
                        break;
                    default:
                        if (a is IDictionary<string, object?> or IList<object?> or byte[])
                        {
                            throw new GoFuncException($"non-comparable type {GoValues.Format(a)}: {GoValues.TypeName(a)}");
                        }

                        if (b is IDictionary<string, object?> or IList<object?> or byte[])
                        {
                            throw new GoFuncException($"non-comparable type {GoValues.Format(b)}: {GoValues.TypeName(b)}");
                        }

                        truth = ReferenceEquals(a, b) || Equals(a, b);
                        break;
                }
            }

            if (truth)
            {
                return true;
            }
        }

        return false;
    }

    public static bool Lt(object? a, object? b)
    {
        var k1 = BasicKind(a);
        var k2 = BasicKind(b);
        if (k1 is Kind.Invalid or Kind.Other || k2 is Kind.Invalid or Kind.Other)
        {
            throw new GoFuncException("invalid type for comparison");
        }

        if (k1 != k2)
        {
            throw new GoFuncException("incompatible types for comparison");
        }

        return k1 switch
        {
            Kind.Bool => throw new GoFuncException("invalid type for comparison"),
            Kind.Int => GoValues.AsLong(a) < GoValues.AsLong(b),
            Kind.Float => (double)a! < (double)b!,
            _ => string.CompareOrdinal((string)a!, (string)b!) < 0,
        };
    }

    private static int IndexArg(object? index, int cap)
    {
        if (index is not (int or long))
        {
            throw new GoFuncException(index is null ? "cannot index slice/array with nil" : $"cannot index slice/array with type {GoValues.TypeName(index)}");
        }

        var x = GoValues.AsLong(index);
        if (x < 0 || x >= cap)
        {
            throw new GoFuncException($"index out of range: {x}");
        }

        return (int)x;
    }

    private static object? Index(object? item, object?[] indexes)
    {
        if (item is null)
        {
            throw new GoFuncException("index of untyped nil");
        }

        var first = true;
        foreach (var index in indexes)
        {
            if (item is null)
            {
                throw new GoFuncException(first ? "index of untyped nil" : "index of nil pointer");
            }

            first = false;
            switch (item)
            {
                case IList<object?> list:
                    item = list[IndexArg(index, list.Count)];
                    break;
                case string s:
                    var bytes = Encoding.UTF8.GetBytes(s);
                    item = (int)bytes[IndexArg(index, bytes.Length)];
                    break;
                case byte[] b:
                    item = (int)b[IndexArg(index, b.Length)];
                    break;
                case IDictionary<string, object?> map:
                    if (index is not string key)
                    {
                        throw new GoFuncException(index is null ? "value is nil; should be of type string" : $"value has type {GoValues.TypeName(index)}; should be string");
                    }

                    item = map.TryGetValue(key, out var v) ? v : null;
                    break;
                default:
                    throw new GoFuncException($"can't index item of type {GoValues.TypeName(item)}");
            }
        }

        return item;
    }

    private static object? Slice(object? item, object?[] indexes)
    {
        if (item is null)
        {
            throw new GoFuncException("slice of untyped nil");
        }

        if (indexes.Length > 3)
        {
            throw new GoFuncException($"too many slice indexes: {indexes.Length}");
        }

        int len;
        switch (item)
        {
            case string s:
                if (indexes.Length > 2)
                {
                    throw new GoFuncException("cannot 3-index slice a string");
                }

                len = Encoding.UTF8.GetByteCount(s);
                break;
            case IList<object?> l:
                len = l.Count;
                break;
            default:
                throw new GoFuncException($"can't slice item of type {GoValues.TypeName(item)}");
        }

        int[] idx = [0, len, len];
        for (var i = 0; i < indexes.Length; i++)
        {
            idx[i] = IndexArg(indexes[i], len + 1);
        }

        if (idx[0] > idx[1])
        {
            throw new GoFuncException($"invalid slice index: {idx[0]} > {idx[1]}");
        }

        if (item is string str)
        {
            var bytes = Encoding.UTF8.GetBytes(str);
            return Encoding.UTF8.GetString(bytes, idx[0], idx[1] - idx[0]);
        }

        if (indexes.Length < 3)
        {
            idx[2] = len;
        }
        else if (idx[1] > idx[2])
        {
            throw new GoFuncException($"invalid slice index: {idx[1]} > {idx[2]}");
        }

        var list = (IList<object?>)item;
        var result = new List<object?>(idx[1] - idx[0]);
        for (var i = idx[0]; i < idx[1]; i++)
        {
            result.Add(list[i]);
        }

        return result;
    }

    public static string HtmlEscape(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var c in s)
        {
            sb.Append(c switch
            {
                '"' => "&#34;",
                '\'' => "&#39;",
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '\0' => "\uFFFD",
                _ => c.ToString(),
            });
        }

        return sb.ToString();
    }

    public static string JsEscape(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var c in s)
        {
            switch (c)
            {
                case '\\': sb.Append("\\\\"); break;
                case '\'': sb.Append("\\'"); break;
                case '"': sb.Append("\\\""); break;
                case '<': sb.Append("\\u003C"); break;
                case '>': sb.Append("\\u003E"); break;
                case '&': sb.Append("\\u0026"); break;
                case '=': sb.Append("\\u003D"); break;
                default:
                    if (c < ' ' || char.IsControl(c))
                    {
                        sb.Append("\\u").Append(((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        return sb.ToString();
    }
}
