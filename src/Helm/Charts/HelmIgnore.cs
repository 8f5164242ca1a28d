namespace Fleet.Helm.Charts;

/// <summary>
/// .helmignore rules as Helm's pkg/ignore applies them: filepath.Match patterns, a leading '/' anchors to the root,
/// a pattern without '/' matches the base name, a trailing '/' matches directories only, '!' negates (with Helm's
/// own negation semantics) and "**" is rejected.
/// </summary>
internal sealed class HelmIgnore
{
    private readonly List<(string Pattern, bool Negate, bool MustDir, int Kind)> _rules = [];

    public static HelmIgnore Parse(string? text)
    {
        var rules = new HelmIgnore();
        rules.Add("templates/.?*");
        foreach (var raw in (text ?? "").Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            rules.Add(line);
        }

        return rules;
    }

    private void Add(string rule)
    {
        if (rule.Contains("**", StringComparison.Ordinal))
        {
            throw new HelmException($".helmignore: double-star (**) syntax is not supported: {rule}");
        }

        var negate = false;
        if (rule.StartsWith('!') && rule.Length > 1)
        {
            negate = true;
            rule = rule[1..];
        }

        var mustDir = false;
        if (rule.EndsWith('/'))
        {
            mustDir = true;
            rule = rule.TrimEnd('/');
        }

        var kind = rule.StartsWith('/') ? 0 : rule.Contains('/', StringComparison.Ordinal) ? 1 : 2;
        _rules.Add((rule.TrimStart('/'), negate, mustDir, kind));
    }

    public bool Ignore(string path, bool isDir)
    {
        if (path.Length == 0 || path is "." or "./")
        {
            return false;
        }

        foreach (var (pattern, negate, mustDir, kind) in _rules)
        {
            var target = kind == 2 ? path[(path.LastIndexOf('/') + 1)..] : path;
            if (negate)
            {
                if (mustDir && !isDir)
                {
                    return true;
                }

                if (!Match(pattern, target))
                {
                    return true;
                }

                continue;
            }

            if (mustDir && !isDir)
            {
                continue;
            }

            if (Match(pattern, target))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Go's path/filepath.Match: '*' and '?' do not cross '/', [...] classes with '^' or '!' negation and ranges.</summary>
    public static bool Match(string pattern, string name) => MatchAt(pattern, 0, name, 0);

    private static bool MatchAt(string p, int pi, string s, int si)
    {
        while (pi < p.Length)
        {
            var c = p[pi];
            switch (c)
            {
                case '*':
                    while (pi < p.Length && p[pi] == '*')
                    {
                        pi++;
                    }

                    for (var k = si; k <= s.Length; k++)
                    {
                        if (MatchAt(p, pi, s, k))
                        {
                            return true;
                        }

                        if (k < s.Length && s[k] == '/')
                        {
                            return false;
                        }
                    }

                    return false;
                case '?':
                    if (si >= s.Length || s[si] == '/')
                    {
                        return false;
                    }

                    pi++;
                    si++;
                    break;
                case '[':
                    if (si >= s.Length || s[si] == '/')
                    {
                        return false;
                    }

                    var end = p.IndexOf(']', pi + 2);
                    if (end < 0)
                    {
                        return false;
                    }

                    var cls = p[(pi + 1)..end];
                    var neg = cls.StartsWith('^') || cls.StartsWith('!');
                    if (neg)
                    {
                        cls = cls[1..];
                    }

                    var hit = false;
                    for (var k = 0; k < cls.Length; k++)
                    {
                        if (k + 2 < cls.Length && cls[k + 1] == '-')
                        {
                            hit |= s[si] >= cls[k] && s[si] <= cls[k + 2];
                            k += 2;
                        }
                        else
                        {
                            hit |= s[si] == cls[k];
                        }
                    }

                    if (hit == neg)
                    {
                        return false;
                    }

                    pi = end + 1;
                    si++;
                    break;
                case '\\' when pi + 1 < p.Length:
                    if (si >= s.Length || s[si] != p[pi + 1])
                    {
                        return false;
                    }

                    pi += 2;
                    si++;
                    break;
                default:
                    if (si >= s.Length || s[si] != c)
                    {
                        return false;
                    }

                    pi++;
                    si++;
                    break;
            }
        }

        return si == s.Length;
    }
}
