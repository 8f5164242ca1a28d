using System.Text;
using System.Text.RegularExpressions;

namespace Fleet.Sources;

/// <summary>
/// gitignore-syntax matching for <c>spec.ignore</c> and <c>.sourceignore</c> files, as Flux applies them:
/// patterns are read in order and the last match wins; a pattern from <c>dir/.sourceignore</c> only applies
/// below <c>dir/</c>; a file inside an ignored directory cannot be re-included.
/// Hand-written because DotNet.Glob matches single globs, not gitignore's anchoring, negation and
/// directory-only rules.
/// </summary>
internal sealed class IgnoreMatcher
{
    /// <summary>What Flux's source-controller always leaves out of a git artifact.</summary>
    public static readonly IReadOnlyList<string> DefaultPatterns = [".git/", ".gitignore", ".gitmodules", ".gitattributes"];

    public const string IgnoreFileName = ".sourceignore";

    private readonly List<Pattern> _patterns = [];

    public int Count => _patterns.Count;

    public static IgnoreMatcher WithDefaults()
    {
        var matcher = new IgnoreMatcher();
        foreach (var pattern in DefaultPatterns)
        {
            matcher.Add(string.Empty, pattern);
        }

        return matcher;
    }

    /// <summary>Adds every line of an ignore file whose directory (relative, '/'-separated, "" for root) is <paramref name="domain"/>.</summary>
    public void AddLines(string domain, string text)
    {
        foreach (var line in text.Split('\n'))
        {
            Add(domain, line);
        }
    }

    public void Add(string domain, string line)
    {
        var pattern = Parse(domain.Trim('/'), line);
        if (pattern is not null)
        {
            _patterns.Add(pattern);
        }
    }

    /// <summary>Whether the file at <paramref name="path"/> (relative, '/'-separated) is left out.</summary>
    public bool IsIgnored(string path)
    {
        if (_patterns.Count == 0)
        {
            return false;
        }

        var slash = path.IndexOf('/', StringComparison.Ordinal);
        while (slash >= 0)
        {
            if (Decide(path[..slash], isDirectory: true))
            {
                return true;
            }

            slash = path.IndexOf('/', slash + 1);
        }

        return Decide(path, isDirectory: false);
    }

    private bool Decide(string path, bool isDirectory)
    {
        var ignored = false;
        foreach (var pattern in _patterns)
        {
            if (pattern.DirectoryOnly && !isDirectory)
            {
                continue;
            }

            string relative;
            if (pattern.Domain.Length == 0)
            {
                relative = path;
            }
            else if (path.Length > pattern.Domain.Length + 1
                && path.StartsWith(pattern.Domain, StringComparison.Ordinal)
                && path[pattern.Domain.Length] == '/')
            {
                relative = path[(pattern.Domain.Length + 1)..];
            }
            else
            {
                continue;
            }

            if (pattern.Regex.IsMatch(relative))
            {
                ignored = !pattern.Negate;
            }
        }

        return ignored;
    }

    private static Pattern? Parse(string domain, string line)
    {
        line = line.TrimEnd('\r');
        if (line.Length == 0 || line[0] == '#')
        {
            return null;
        }

        // Trailing spaces are dropped unless escaped with a backslash.
        var end = line.Length;
        while (end > 0 && line[end - 1] == ' ' && !(end > 1 && line[end - 2] == '\\'))
        {
            end--;
        }

        line = line[..end];
        if (line.Length == 0)
        {
            return null;
        }

        var negate = false;
        if (line[0] == '!')
        {
            negate = true;
            line = line[1..];
        }

        var directoryOnly = false;
        if (line.EndsWith('/'))
        {
            directoryOnly = true;
            line = line.TrimEnd('/');
        }

        if (line.Length == 0)
        {
            return null;
        }

        var anchored = line.Contains('/', StringComparison.Ordinal);
        line = line.TrimStart('/');
        var body = GlobToRegex(line);
        var regex = anchored ? "^" + body + "$" : "^(?:.*/)?" + body + "$";
        return new Pattern(domain, new Regex(regex, RegexOptions.CultureInvariant | RegexOptions.Singleline), negate, directoryOnly);
    }

    private static string GlobToRegex(string glob)
    {
        var sb = new StringBuilder();
        var i = 0;
        while (i < glob.Length)
        {
            var c = glob[i];
            if (c == '*' && i + 1 < glob.Length && glob[i + 1] == '*')
            {
                var atStart = i == 0 || glob[i - 1] == '/';
                var j = i;
                while (j < glob.Length && glob[j] == '*')
                {
                    j++;
                }

                var atEnd = j == glob.Length || glob[j] == '/';
                if (atStart && atEnd)
                {
                    if (j == glob.Length)
                    {
                        // "**" at the end: everything below.
                        sb.Append(".*");
                        i = j;
                    }
                    else
                    {
                        // "**/": zero or more directories.
                        sb.Append("(?:.*/)?");
                        i = j + 1;
                    }

                    continue;
                }

                // Other runs of asterisks are plain asterisks.
                sb.Append("[^/]*");
                i = j;
                continue;
            }

            switch (c)
            {
                case '*':
                    sb.Append("[^/]*");
                    break;
                case '?':
                    sb.Append("[^/]");
                    break;
                case '\\' when i + 1 < glob.Length:
                    i++;
                    sb.Append(Regex.Escape(glob[i].ToString()));
                    break;
                case '[':
                    var close = glob.IndexOf(']', i + 2 <= glob.Length ? i + 2 : i + 1);
                    if (close < 0)
                    {
                        sb.Append(@"\[");
                        break;
                    }

                    var set = glob[(i + 1)..close];
                    var negated = set.StartsWith('!') || set.StartsWith('^');
                    if (negated)
                    {
                        set = set[1..];
                    }

                    sb.Append('[');
                    if (negated)
                    {
                        sb.Append('^');
                    }

                    sb.Append(set.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("[", @"\[", StringComparison.Ordinal));
                    sb.Append(']');
                    i = close;
                    break;
                default:
                    sb.Append(Regex.Escape(c.ToString()));
                    break;
            }

            i++;
        }

        return sb.ToString();
    }

    private sealed record Pattern(string Domain, Regex Regex, bool Negate, bool DirectoryOnly);
}
