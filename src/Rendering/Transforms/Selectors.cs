namespace Fleet.Rendering.Transforms;

/// <summary>A Kubernetes label selector string (<c>a=b,c!=d,e in (x,y),!f,g</c>) parsed for matching.</summary>
internal sealed class Selectors
{
    private readonly List<Func<IReadOnlyDictionary<string, string>, bool>> _terms = [];

    public bool IsEmpty => _terms.Count == 0;

    public bool Matches(IReadOnlyDictionary<string, string> labels) => _terms.TrueForAll(t => t(labels));

    public static Selectors Parse(string text, string where)
    {
        var s = new Selectors();
        if (string.IsNullOrWhiteSpace(text))
        {
            return s;
        }

        foreach (var raw in SplitTerms(text))
        {
            var term = raw.Trim();
            if (term.Length == 0)
            {
                continue;
            }

            var inIdx = IndexOfWord(term, " in ");
            var notInIdx = IndexOfWord(term, " notin ");
            if (notInIdx > 0 || inIdx > 0)
            {
                var negate = notInIdx > 0;
                var idx = negate ? notInIdx : inIdx;
                var key = term[..idx].Trim();
                var rest = term[(idx + (negate ? 7 : 4))..].Trim();
                if (!rest.StartsWith('(') || !rest.EndsWith(')'))
                {
                    throw new RenderException($"{where}: invalid selector '{term}': values must be in parentheses");
                }

                var values = rest[1..^1].Split(',').Select(v => v.Trim()).ToHashSet(StringComparer.Ordinal);
                s._terms.Add(l => negate ? !l.TryGetValue(key, out var v) || !values.Contains(v) : l.TryGetValue(key, out var v2) && values.Contains(v2));
            }
            else if (term.Contains("!=", StringComparison.Ordinal))
            {
                var parts = term.Split("!=", 2);
                var (key, value) = (parts[0].Trim(), parts[1].Trim());
                s._terms.Add(l => !l.TryGetValue(key, out var v) || v != value);
            }
            else if (term.Contains('=', StringComparison.Ordinal))
            {
                var parts = term.Split(term.Contains("==", StringComparison.Ordinal) ? "==" : "=", 2);
                var (key, value) = (parts[0].Trim(), parts[1].Trim());
                s._terms.Add(l => l.TryGetValue(key, out var v) && v == value);
            }
            else if (term.StartsWith('!'))
            {
                var key = term[1..].Trim();
                s._terms.Add(l => !l.ContainsKey(key));
            }
            else
            {
                s._terms.Add(l => l.ContainsKey(term));
            }
        }

        return s;
    }

    private static int IndexOfWord(string term, string word) => term.IndexOf(word, StringComparison.Ordinal);

    private static IEnumerable<string> SplitTerms(string text)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '(':
                    depth++;
                    break;
                case ')':
                    depth--;
                    break;
                case ',' when depth == 0:
                    yield return text[start..i];
                    start = i + 1;
                    break;
            }
        }

        yield return text[start..];
    }
}
