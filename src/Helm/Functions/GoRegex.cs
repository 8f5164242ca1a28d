using System.Text;
using System.Text.RegularExpressions;
using Fleet.Helm.Template;

namespace Fleet.Helm.Functions;

/// <summary>Go's regexp (RE2 syntax, which .NET's engine accepts) with Go's replacement expansion and Split/FindAll counts.</summary>
internal static class GoRegex
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Regex> Cache = new(StringComparer.Ordinal);

    public static Regex? Compile(string pattern, bool must)
    {
        if (Cache.TryGetValue(pattern, out var cached))
        {
            return cached;
        }

        try
        {
            var re = new Regex(pattern, RegexOptions.CultureInvariant, Timeout);
            if (Cache.Count < 1000)
            {
                Cache[pattern] = re;
            }

            return re;
        }
        catch (ArgumentException e)
        {
            if (must)
            {
                throw new GoFuncException($"error parsing regexp: {e.Message}");
            }

            return null;
        }
    }

    private static Regex CompileOrPanic(string pattern, bool must) =>
        Compile(pattern, must) ?? throw new GoFuncException($"regexp: Compile({GoStrings.Quote(pattern)}): error parsing regexp");

    public static List<object?> FindAll(string pattern, string s, int n, bool must)
    {
        var re = CompileOrPanic(pattern, must);
        var result = new List<object?>();
        foreach (Match m in re.Matches(s))
        {
            if (n >= 0 && result.Count >= n)
            {
                break;
            }

            result.Add(m.Value);
        }

        return result;
    }

    public static string ReplaceAll(string pattern, string s, string repl, bool literal, bool must)
    {
        var re = CompileOrPanic(pattern, must);
        return literal ? re.Replace(s, m => repl) : re.Replace(s, m => Expand(repl, m, re));
    }

    /// <summary>regexp.Expand: $name or ${name}, where name is the longest run of letters, digits and '_'; $$ is a dollar.</summary>
    private static string Expand(string template, Match m, Regex re)
    {
        var sb = new StringBuilder();
        var i = 0;
        while (i < template.Length)
        {
            var c = template[i];
            if (c != '$' || i + 1 >= template.Length)
            {
                sb.Append(c);
                i++;
                continue;
            }

            if (template[i + 1] == '$')
            {
                sb.Append('$');
                i += 2;
                continue;
            }

            string name;
            int next;
            if (template[i + 1] == '{')
            {
                var close = template.IndexOf('}', i + 2);
                if (close < 0)
                {
                    sb.Append(c);
                    i++;
                    continue;
                }

                name = template[(i + 2)..close];
                next = close + 1;
            }
            else
            {
                var j = i + 1;
                while (j < template.Length && (char.IsLetterOrDigit(template[j]) || template[j] == '_'))
                {
                    j++;
                }

                name = template[(i + 1)..j];
                next = j;
            }

            if (name.Length == 0)
            {
                sb.Append(c);
                i++;
                continue;
            }

            if (int.TryParse(name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var num))
            {
                if (num < m.Groups.Count && m.Groups[num].Success)
                {
                    sb.Append(m.Groups[num].Value);
                }
            }
            else if (re.GroupNumberFromName(name) >= 0 && m.Groups[name].Success)
            {
                sb.Append(m.Groups[name].Value);
            }

            i = next;
        }

        return sb.ToString();
    }

    public static List<object?> Split(string pattern, string s, int n, bool must)
    {
        var re = CompileOrPanic(pattern, must);
        if (n == 0)
        {
            return [];
        }

        if (pattern.Length > 0 && s.Length == 0)
        {
            return [""];
        }

        var result = new List<object?>();
        var beg = 0;
        foreach (Match m in re.Matches(s))
        {
            if (n > 0 && result.Count == n - 1)
            {
                break;
            }

            if (m.Length == 0 && m.Index == 0)
            {
                continue;
            }

            result.Add(s[beg..m.Index]);
            beg = m.Index + m.Length;
        }

        result.Add(s[beg..]);
        return result;
    }

    public static string QuoteMeta(string s)
    {
        var sb = new StringBuilder(s.Length * 2);
        foreach (var c in s)
        {
            if (@"\.+*?()|[]{}^$".Contains(c, StringComparison.Ordinal))
            {
                sb.Append('\\');
            }

            sb.Append(c);
        }

        return sb.ToString();
    }
}

/// <summary>Go's path package (slash-separated, lexical).</summary>
internal static class GoPath
{
    public static string Clean(string path)
    {
        if (path.Length == 0)
        {
            return ".";
        }

        var rooted = path[0] == '/';
        var parts = new List<string>();
        foreach (var part in path.Split('/'))
        {
            if (part.Length == 0 || part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (parts.Count > 0 && parts[^1] != "..")
                {
                    parts.RemoveAt(parts.Count - 1);
                }
                else if (!rooted)
                {
                    parts.Add("..");
                }

                continue;
            }

            parts.Add(part);
        }

        var joined = string.Join('/', parts);
        if (rooted)
        {
            return "/" + joined;
        }

        return joined.Length == 0 ? "." : joined;
    }

    public static string Base(string path)
    {
        if (path.Length == 0)
        {
            return ".";
        }

        path = path.TrimEnd('/');
        if (path.Length == 0)
        {
            return "/";
        }

        var i = path.LastIndexOf('/');
        return i >= 0 ? path[(i + 1)..] : path;
    }

    public static string Dir(string path)
    {
        var i = path.LastIndexOf('/');
        return Clean(path[..(i + 1)]);
    }

    public static string Ext(string path)
    {
        for (var i = path.Length - 1; i >= 0 && path[i] != '/'; i--)
        {
            if (path[i] == '.')
            {
                return path[i..];
            }
        }

        return "";
    }

    public static string Join(params string[] parts) => Clean(string.Join('/', parts.Where(p => p.Length > 0)));
}
