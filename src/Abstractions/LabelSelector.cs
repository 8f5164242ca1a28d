using System.Text;

namespace Fleet.Abstractions;

/// <summary>The operators of a Kubernetes label selector requirement.</summary>
public enum SelectorOperator
{
    Equals,
    NotEquals,
    In,
    NotIn,
    Exists,
    DoesNotExist,
    GreaterThan,
    LessThan,
}

/// <summary>One requirement of a label selector: <c>key op values</c>.</summary>
public sealed record LabelSelectorRequirement(string Key, SelectorOperator Operator, IReadOnlyList<string> Values)
{
    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        var present = labels.TryGetValue(Key, out var value);
        return Operator switch
        {
            SelectorOperator.Equals => present && value == Values[0],
            SelectorOperator.NotEquals => !present || value != Values[0],
            SelectorOperator.In => present && Values.Contains(value!),
            SelectorOperator.NotIn => !present || !Values.Contains(value!),
            SelectorOperator.Exists => present,
            SelectorOperator.DoesNotExist => !present,
            SelectorOperator.GreaterThan => present && long.TryParse(value, out var g) && g > long.Parse(Values[0], System.Globalization.CultureInfo.InvariantCulture),
            SelectorOperator.LessThan => present && long.TryParse(value, out var l) && l < long.Parse(Values[0], System.Globalization.CultureInfo.InvariantCulture),
            _ => false,
        };
    }

    public override string ToString() => Operator switch
    {
        SelectorOperator.Equals => $"{Key}={Values[0]}",
        SelectorOperator.NotEquals => $"{Key}!={Values[0]}",
        SelectorOperator.In => $"{Key} in ({string.Join(",", Values)})",
        SelectorOperator.NotIn => $"{Key} notin ({string.Join(",", Values)})",
        SelectorOperator.Exists => Key,
        SelectorOperator.DoesNotExist => "!" + Key,
        SelectorOperator.GreaterThan => $"{Key}>{Values[0]}",
        SelectorOperator.LessThan => $"{Key}<{Values[0]}",
        _ => Key,
    };
}

/// <summary>The error for a selector that does not parse or validate; the message names the offending part.</summary>
public sealed class LabelSelectorException(string message) : FormatException(message);

/// <summary>
/// A Kubernetes label selector with the semantics of apimachinery's <c>labels.Selector</c>: every
/// requirement must match; an empty selector matches everything. Parsed from the string form used in
/// <c>?labelSelector=</c> or built from <c>matchLabels</c>/<c>matchExpressions</c>.
/// </summary>
/// <remarks>
/// Hand-written: no package parses Kubernetes selector strings (KubernetesClient only carries the structured form).
/// </remarks>
public sealed class LabelSelector
{
    public static readonly LabelSelector Everything = new([]);

    private LabelSelector(IReadOnlyList<LabelSelectorRequirement> requirements) => Requirements = requirements;

    public IReadOnlyList<LabelSelectorRequirement> Requirements { get; }

    public bool IsEmpty => Requirements.Count == 0;

    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        foreach (var r in Requirements)
        {
            if (!r.Matches(labels))
            {
                return false;
            }
        }
        return true;
    }

    public override string ToString() => string.Join(",", Requirements);

    /// <summary>Builds a selector from the structured form (<c>matchLabels</c>, <c>matchExpressions</c>) of a LabelSelector object.</summary>
    public static LabelSelector FromMatch(IReadOnlyDictionary<string, string>? matchLabels, IEnumerable<LabelSelectorRequirement>? matchExpressions)
    {
        var list = new List<LabelSelectorRequirement>();
        foreach (var (k, v) in matchLabels ?? new Dictionary<string, string>())
        {
            ValidateKey(k, "matchLabels");
            ValidateValue(v, $"matchLabels[{k}]");
            list.Add(new LabelSelectorRequirement(k, SelectorOperator.Equals, [v]));
        }
        foreach (var r in matchExpressions ?? [])
        {
            ValidateKey(r.Key, "matchExpressions");
            var needsValues = r.Operator is SelectorOperator.In or SelectorOperator.NotIn;
            var noValues = r.Operator is SelectorOperator.Exists or SelectorOperator.DoesNotExist;
            if (needsValues && r.Values.Count == 0)
            {
                throw new LabelSelectorException($"matchExpressions[{r.Key}]: operator {r.Operator} needs at least one value");
            }
            if (noValues && r.Values.Count != 0)
            {
                throw new LabelSelectorException($"matchExpressions[{r.Key}]: operator {r.Operator} takes no values");
            }
            foreach (var v in r.Values)
            {
                ValidateValue(v, $"matchExpressions[{r.Key}]");
            }
            list.Add(r);
        }
        return new LabelSelector(list);
    }

    /// <summary>Parses the operator names of the structured form (<c>In</c>, <c>NotIn</c>, <c>Exists</c>, <c>DoesNotExist</c>).</summary>
    public static SelectorOperator ParseOperator(string op) => op switch
    {
        "In" => SelectorOperator.In,
        "NotIn" => SelectorOperator.NotIn,
        "Exists" => SelectorOperator.Exists,
        "DoesNotExist" => SelectorOperator.DoesNotExist,
        "Gt" => SelectorOperator.GreaterThan,
        "Lt" => SelectorOperator.LessThan,
        _ => throw new LabelSelectorException($"unknown selector operator \"{op}\" (expected In, NotIn, Exists or DoesNotExist)"),
    };

    /// <summary>Parses the string form: <c>a=b,c!=d,e in (x,y),f notin (z),g,!h,i&gt;3</c>.</summary>
    public static LabelSelector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Everything;
        }
        var parser = new Parser(text);
        return new LabelSelector(parser.ParseAll());
    }

    private static void ValidateKey(string key, string where)
    {
        var name = key;
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            var prefix = key[..slash];
            name = key[(slash + 1)..];
            if (prefix.Length == 0 || prefix.Length > 253 || !prefix.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.'))
            {
                throw new LabelSelectorException($"{where}: invalid label key \"{key}\": the prefix must be a DNS subdomain");
            }
        }
        if (name.Length == 0 || name.Length > 63 || !IsQualifiedName(name))
        {
            throw new LabelSelectorException($"{where}: invalid label key \"{key}\": a name of at most 63 characters, alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric");
        }
    }

    private static void ValidateValue(string value, string where)
    {
        if (value.Length > 63 || (value.Length > 0 && !IsQualifiedName(value)))
        {
            throw new LabelSelectorException($"{where}: invalid label value \"{value}\": at most 63 characters, alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric");
        }
    }

    private static bool IsQualifiedName(string s) =>
        char.IsAsciiLetterOrDigit(s[0]) && char.IsAsciiLetterOrDigit(s[^1]) && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    private sealed class Parser(string text)
    {
        private int _pos;

        public List<LabelSelectorRequirement> ParseAll()
        {
            var list = new List<LabelSelectorRequirement>();
            while (true)
            {
                SkipSpaces();
                list.Add(ParseRequirement());
                SkipSpaces();
                if (_pos >= text.Length)
                {
                    return list;
                }
                Expect(',');
            }
        }

        private LabelSelectorRequirement ParseRequirement()
        {
            if (Peek() == '!')
            {
                _pos++;
                SkipSpaces();
                var k = ReadWord();
                ValidateKey(k, $"selector \"{text}\"");
                return new LabelSelectorRequirement(k, SelectorOperator.DoesNotExist, []);
            }
            var key = ReadWord();
            if (key.Length == 0)
            {
                throw Error("expected a label key");
            }
            ValidateKey(key, $"selector \"{text}\"");
            SkipSpaces();
            if (_pos >= text.Length || Peek() == ',')
            {
                return new LabelSelectorRequirement(key, SelectorOperator.Exists, []);
            }
            var c = Peek();
            if (c == '=' || c == '!' || c == '>' || c == '<')
            {
                SelectorOperator op;
                if (Take("==") || Take("="))
                {
                    op = SelectorOperator.Equals;
                }
                else if (Take("!="))
                {
                    op = SelectorOperator.NotEquals;
                }
                else if (Take(">"))
                {
                    op = SelectorOperator.GreaterThan;
                }
                else if (Take("<"))
                {
                    op = SelectorOperator.LessThan;
                }
                else
                {
                    throw Error("expected an operator");
                }
                SkipSpaces();
                var value = ReadWord();
                if (op is SelectorOperator.GreaterThan or SelectorOperator.LessThan)
                {
                    if (!long.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out _))
                    {
                        throw Error($"the value of {key} must be an integer for '{(op == SelectorOperator.GreaterThan ? ">" : "<")}'");
                    }
                }
                else
                {
                    ValidateValue(value, $"selector \"{text}\"");
                }
                return new LabelSelectorRequirement(key, op, [value]);
            }
            var word = ReadWord();
            var setOp = word switch
            {
                "in" => SelectorOperator.In,
                "notin" => SelectorOperator.NotIn,
                _ => throw Error($"expected '=', '!=', 'in' or 'notin' after \"{key}\", found \"{word}\""),
            };
            SkipSpaces();
            Expect('(');
            SkipSpaces();
            if (Peek() == ')')
            {
                // As Kubernetes: an empty set would make "notin ()" match everything and "in ()" nothing.
                throw Error($"\"{key} {word} ()\": the set of values for '{word}' must not be empty");
            }
            var values = new List<string>();
            while (true)
            {
                SkipSpaces();
                var v = ReadWord();
                ValidateValue(v, $"selector \"{text}\"");
                values.Add(v);
                SkipSpaces();
                if (Peek() == ')')
                {
                    _pos++;
                    break;
                }
                Expect(',');
            }
            return new LabelSelectorRequirement(key, setOp, values.Distinct().ToList());
        }

        private string ReadWord()
        {
            var start = _pos;
            while (_pos < text.Length && (char.IsAsciiLetterOrDigit(text[_pos]) || text[_pos] is '-' or '_' or '.' or '/'))
            {
                _pos++;
            }
            return text[start.._pos];
        }

        private char Peek() => _pos < text.Length ? text[_pos] : '\0';

        private bool Take(string s)
        {
            if (string.CompareOrdinal(text, _pos, s, 0, s.Length) == 0)
            {
                _pos += s.Length;
                return true;
            }
            return false;
        }

        private void Expect(char c)
        {
            if (Peek() != c)
            {
                throw Error($"expected '{c}'");
            }
            _pos++;
        }

        private void SkipSpaces()
        {
            while (_pos < text.Length && text[_pos] == ' ')
            {
                _pos++;
            }
        }

        private LabelSelectorException Error(string what)
        {
            var sb = new StringBuilder();
            sb.Append("invalid label selector \"").Append(text).Append("\" at position ").Append(_pos + 1).Append(": ").Append(what);
            return new LabelSelectorException(sb.ToString());
        }
    }
}
