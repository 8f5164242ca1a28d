using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Fleet.Rendering.Yaml;

/// <summary>
/// Reads YAML streams into System.Text.Json nodes. Hand-written over YamlDotNet's event parser (not its
/// object graph) so that alias expansion, nesting depth and size are counted while parsing and a
/// hostile document (an alias bomb) is refused before it can expand in memory.
/// </summary>
internal static partial class YamlReader
{
    /// <param name="lastKeyWins">A repeated mapping key takes the last value (as Go's JSON decoding of a
    /// kustomization does) instead of failing (as kyaml does for resources).</param>
    public static List<JsonNode?> ReadAll(string text, string file, RenderLimits limits, bool lastKeyWins = false)
    {
        if (text.Length > limits.MaxInputBytes)
        {
            throw new RenderException($"{file}: file is {text.Length} bytes, larger than the {limits.MaxInputBytes}-byte input limit");
        }

        var parser = new Parser(new Scanner(new StringReader(text), skipComments: true));
        var docs = new List<JsonNode?>();
        try
        {
            parser.Consume<StreamStart>();
            while (parser.TryConsume<DocumentStart>(out _))
            {
                var state = new State(file, limits) { LastKeyWins = lastKeyWins };
                var node = ReadNode(parser, state, 0, Role.Document);
                parser.Consume<DocumentEnd>();
                docs.Add(node);
            }

            parser.Consume<StreamEnd>();
        }
        catch (YamlException ex)
        {
            throw new RenderException($"{file}: invalid YAML at line {ex.Start.Line}, column {ex.Start.Column}: {ex.Message}", ex);
        }

        return docs;
    }

    private sealed class State(string file, RenderLimits limits)
    {
        public string File { get; } = file;
        public RenderLimits Limits { get; } = limits;
        public Dictionary<string, JsonNode?> Anchors => _anchors ??= new(StringComparer.Ordinal);

        public bool HasAnchors => _anchors is not null;

        private Dictionary<string, JsonNode?>? _anchors;
        public long Nodes { get; set; }

        public bool LastKeyWins { get; init; }

        public bool LastScalarWasEmpty { get; set; }
    }

    /// <summary>Where a node sits, so that annotation values keep their text (kustomize reads them as strings).</summary>
    private enum Role
    {
        Other,
        Document,
        Metadata,
        Annotations,
        AnnotationValue,
    }

    private static Role ChildRole(Role parent, string key) => (parent, key) switch
    {
        (Role.Document, "metadata") => Role.Metadata,
        (Role.Metadata, "annotations") => Role.Annotations,
        (Role.Annotations, _) => Role.AnnotationValue,
        _ => Role.Other,
    };

    /// <summary>
    /// Keys whose value was written as nothing at all (<c>labels:</c>), per map as read. kustomize's strategic
    /// merge drops those fields but keeps an explicit <c>~</c> or <c>null</c>; parsed JSON cannot tell them apart.
    /// </summary>
    internal static readonly System.Runtime.CompilerServices.ConditionalWeakTable<JsonObject, HashSet<string>> EmptyNulls = new();

    private static JsonNode? ReadNode(IParser parser, State state, int depth, Role role = Role.Other)
    {
        if (depth > state.Limits.MaxDepth)
        {
            throw new RenderException($"{state.File}: YAML nesting deeper than {state.Limits.MaxDepth} levels");
        }

        if (++state.Nodes > state.Limits.MaxNodesPerDocument)
        {
            throw new RenderException($"{state.File}: document has more than {state.Limits.MaxNodesPerDocument} YAML nodes (alias expansion or oversized input)");
        }

        if (parser.TryConsume<AnchorAlias>(out var alias))
        {
            if (!state.HasAnchors || !state.Anchors.TryGetValue(alias.Value.Value, out var target))
            {
                throw new RenderException($"{state.File}: unknown YAML alias *{alias.Value.Value}");
            }

            var size = CountNodes(target);
            state.Nodes += size;
            if (state.Nodes > state.Limits.MaxNodesPerDocument)
            {
                throw new RenderException($"{state.File}: YAML aliases expand to more than {state.Limits.MaxNodesPerDocument} nodes (alias bomb refused)");
            }

            return target?.DeepClone();
        }

        state.LastScalarWasEmpty = false;
        if (parser.TryConsume<Scalar>(out var scalar))
        {
            state.LastScalarWasEmpty = scalar.Value.Length == 0 && scalar.Style == ScalarStyle.Plain && scalar.Tag.IsEmpty;
            var value = role == Role.AnnotationValue && scalar.Value.Length > 0 ? JsonValue.Create(scalar.Value) : ConvertScalar(scalar);
            Remember(state, scalar.Anchor, value);
            return value;
        }

        if (parser.TryConsume<SequenceStart>(out var seqStart))
        {
            var array = new JsonArray();
            while (!parser.TryConsume<SequenceEnd>(out _))
            {
                array.Add(ReadNode(parser, state, depth + 1));
            }

            Remember(state, seqStart.Anchor, array);
            return array;
        }

        if (parser.TryConsume<MappingStart>(out var mapStart))
        {
            var obj = new JsonObject();
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                string key;
                JsonNode? value;
                if (PlainKey(parser) is { } text)
                {
                    // Fast path for the usual key (a word that resolves to a string): no JsonValue round trip.
                    if (depth + 1 > state.Limits.MaxDepth)
                    {
                        throw new RenderException($"{state.File}: YAML nesting deeper than {state.Limits.MaxDepth} levels");
                    }

                    if (++state.Nodes > state.Limits.MaxNodesPerDocument)
                    {
                        throw new RenderException($"{state.File}: document has more than {state.Limits.MaxNodesPerDocument} YAML nodes (alias expansion or oversized input)");
                    }

                    parser.MoveNext();
                    key = text;
                    value = ReadNode(parser, state, depth + 1, role == Role.Other ? Role.Other : ChildRole(role, key));
                }
                else
                {
                    var keyNode = ReadNode(parser, state, depth + 1);
                    value = ReadNode(parser, state, depth + 1, role == Role.Annotations ? Role.AnnotationValue : Role.Other);
                    if (keyNode is null && value is null)
                    {
                        continue;
                    }

                    key = keyNode switch
                    {
                        null => "null",
                        JsonValue v => ScalarText(v),
                        _ => throw new RenderException($"{state.File}: complex mapping keys are not supported"),
                    };
                }

                if (key == "<<" && value is JsonObject merge)
                {
                    // YAML merge key: copy keys that are not set explicitly.
                    foreach (var (k, v) in merge)
                    {
                        if (!obj.ContainsKey(k))
                        {
                            obj[k] = v?.DeepClone();
                        }
                    }

                    continue;
                }

                if (obj.ContainsKey(key) && !state.LastKeyWins)
                {
                    throw new RenderException($"{state.File}: mapping key \"{key}\" already defined (line {mapStart.Start.Line})");
                }

                obj[key] = value;
                if (value is null && state.LastScalarWasEmpty)
                {
                    EmptyNulls.GetOrCreateValue(obj).Add(key);
                }
            }

            Remember(state, mapStart.Anchor, obj);
            return obj;
        }

        throw new RenderException($"{state.File}: unexpected YAML event {parser.Current}");
    }

    /// <summary>
    /// The text of the current event when it is an untagged scalar without an anchor that the core schema
    /// resolves to that same string (quoted, or plain and starting with a letter other than a null/bool word).
    /// </summary>
    private static string? PlainKey(IParser parser)
    {
        if (parser.Current is not Scalar scalar || !scalar.Tag.IsEmpty || !scalar.Anchor.IsEmpty)
        {
            return null;
        }

        var text = scalar.Value;
        if (scalar.Style != ScalarStyle.Plain)
        {
            return text;
        }

        if (text.Length == 0 || !char.IsAsciiLetter(text[0]))
        {
            return null;
        }

        return text is "null" or "Null" or "NULL" or "true" or "True" or "TRUE" or "false" or "False" or "FALSE" ? null : text;
    }

    private static void Remember(State state, AnchorName anchor, JsonNode? node)
    {
        if (!anchor.IsEmpty)
        {
            state.Anchors[anchor.Value] = node;
        }
    }

    private static long CountNodes(JsonNode? node) => node switch
    {
        JsonObject o => 1 + o.Sum(p => 1 + CountNodes(p.Value)),
        JsonArray a => 1 + a.Sum(CountNodes),
        _ => 1,
    };

    internal static string ScalarText(JsonValue v) => v.GetValueKind() switch
    {
        JsonValueKind.String => v.GetValue<string>(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => v.ToJsonString(),
    };

    private static JsonNode? ConvertScalar(Scalar scalar)
    {
        var text = scalar.Value;
        var tag = scalar.Tag.IsEmpty ? null : scalar.Tag.Value;
        if (tag is "tag:yaml.org,2002:str" or "!")
        {
            return JsonValue.Create(text);
        }

        if (tag is "tag:yaml.org,2002:binary")
        {
            return JsonValue.Create(text);
        }

        if (scalar.Style != ScalarStyle.Plain && tag is null)
        {
            return JsonValue.Create(text);
        }

        return ResolvePlain(text, tag);
    }

    /// <summary>Resolves a plain scalar with the YAML 1.2 core schema, as Go's yaml.v3 (kyaml) does.</summary>
    internal static JsonNode? ResolvePlain(string text, string? tag = null)
    {
        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return tag is "tag:yaml.org,2002:str" ? JsonValue.Create(text) : null;
            case "true" or "True" or "TRUE":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE":
                return JsonValue.Create(false);
            case ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF" or "-.inf" or "-.Inf" or "-.INF" or ".nan" or ".NaN" or ".NAN":
                // JSON has no infinities or NaN; keep the text.
                return JsonValue.Create(text);
        }

        if (LooksNumeric(text))
        {
            return ResolveNumber(text) ?? JsonValue.Create(Timestamp(text) ?? text);
        }

        return JsonValue.Create(text);
    }

    /// <summary>
    /// A number as Go's yaml.v3 resolves it: underscores dropped, then an integer in Go's base-0 syntax
    /// (<c>0x1F</c>, <c>0b101</c>, <c>0o17</c> and the YAML 1.1 octal <c>0755</c>), then a YAML float;
    /// null when the text is not a number. kustomize prints the value, not the text (<c>1.0</c> is 1).
    /// </summary>
    private static JsonValue? ResolveNumber(string text)
    {
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var simple) && !HasLeadingZero(text))
        {
            // The usual case: the text is already the canonical JSON number.
            return Number(text[0] == '+' || text == "-0" ? simple.ToString(CultureInfo.InvariantCulture) : text);
        }

        var plain = text.Contains('_', StringComparison.Ordinal) ? text.Replace("_", string.Empty, StringComparison.Ordinal) : text;
        if (plain.Length == 0)
        {
            return null;
        }

        var negative = plain[0] == '-';
        var digits = plain[0] is '-' or '+' ? plain[1..] : plain;
        if (GoInteger(digits) is { } magnitude)
        {
            if (negative ? magnitude <= (ulong)long.MaxValue + 1 : magnitude <= long.MaxValue)
            {
                return Number(negative ? "-" + magnitude.ToString(CultureInfo.InvariantCulture) : magnitude.ToString(CultureInfo.InvariantCulture));
            }

            if (!negative)
            {
                return Number(magnitude.ToString(CultureInfo.InvariantCulture));
            }
        }

        if (IsYamlFloat(plain) && double.TryParse(plain, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
        {
            return Number(d.ToString("R", CultureInfo.InvariantCulture));
        }

        return null;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d+)?(Z|[+-]\d{2}:\d{2}))?$")]
    private static partial System.Text.RegularExpressions.Regex TimestampPattern();

    /// <summary>
    /// A YAML timestamp as kustomize writes it after its JSON round trip (Go's RFC 3339): a date gains
    /// <c>T00:00:00Z</c>, a zero offset becomes <c>Z</c>, trailing zeros of fractions go. Null when the text
    /// is not a timestamp.
    /// </summary>
    private static string? Timestamp(string text)
    {
        if (text.Length < 8 || text[4] != '-' || TimestampPattern().Match(text) is not { Success: true } m)
        {
            return null;
        }

        static int N(System.Text.RegularExpressions.Group g) => int.Parse(g.Value, CultureInfo.InvariantCulture);
        var (month, day) = (N(m.Groups[2]), N(m.Groups[3]));
        if (month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(N(m.Groups[1]), month))
        {
            return null;
        }

        var date = $"{m.Groups[1].Value}-{month:D2}-{day:D2}";
        if (!m.Groups[4].Success)
        {
            return date + "T00:00:00Z";
        }

        var (h, min, sec) = (N(m.Groups[4]), N(m.Groups[5]), N(m.Groups[6]));
        if (h > 23 || min > 59 || sec > 59)
        {
            return null;
        }

        var fraction = m.Groups[7].Success ? m.Groups[7].Value.TrimEnd('0') : string.Empty;
        var zone = m.Groups[8].Value is "+00:00" or "-00:00" ? "Z" : m.Groups[8].Value;
        return $"{date}T{h:D2}:{min:D2}:{sec:D2}{(fraction == "." ? string.Empty : fraction)}{zone}";
    }

    /// <summary>A number backed by its JSON text, so that it converts to any numeric type as parsed JSON does.</summary>
    private static JsonValue Number(string json) => (JsonValue)JsonNode.Parse(json)!;

    private static bool HasLeadingZero(string text)
    {
        var i = text[0] is '-' or '+' ? 1 : 0;
        return text.Length > i + 1 && text[i] == '0';
    }

    /// <summary>An unsigned integer in Go's base-0 syntax (strconv.ParseUint(s, 0, 64)), or null.</summary>
    private static ulong? GoInteger(string s)
    {
        if (s.Length == 0)
        {
            return null;
        }

        var (radix, body) = s.Length > 1 && s[0] == '0' ? char.ToLowerInvariant(s[1]) switch
        {
            'x' => (16, s[2..]),
            'b' => (2, s[2..]),
            'o' => (8, s[2..]),
            _ => (8, s[1..]),
        } : (10, s);
        if (body.Length == 0)
        {
            return radix == 8 ? 0UL : null;
        }

        ulong value = 0;
        foreach (var c in body)
        {
            var digit = char.IsAsciiDigit(c) ? c - '0' : char.IsAsciiLetter(c) ? char.ToLowerInvariant(c) - 'a' + 10 : 99;
            if (digit >= radix)
            {
                return null;
            }

            var next = (value * (ulong)radix) + (ulong)digit;
            if (value > (ulong.MaxValue - (ulong)digit) / (ulong)radix)
            {
                return null;
            }

            value = next;
        }

        return value;
    }

    /// <summary>yaml.v3's float syntax: <c>[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?</c>.</summary>
    private static bool IsYamlFloat(string text)
    {
        var i = text[0] is '-' or '+' ? 1 : 0;
        var intDigits = 0;
        while (i < text.Length && char.IsAsciiDigit(text[i]))
        {
            i++;
            intDigits++;
        }

        var fracDigits = 0;
        if (i < text.Length && text[i] == '.')
        {
            i++;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
                fracDigits++;
            }
        }

        if (intDigits == 0 && fracDigits == 0)
        {
            return false;
        }

        if (i < text.Length && text[i] is 'e' or 'E')
        {
            i++;
            if (i < text.Length && text[i] is '+' or '-')
            {
                i++;
            }

            var exp = 0;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
                exp++;
            }

            if (exp == 0)
            {
                return false;
            }
        }

        return i == text.Length;
    }

    private static bool LooksNumeric(string text)
    {
        var c = text[0];
        return char.IsAsciiDigit(c) || ((c is '-' or '+' or '.') && text.Length > 1);
    }
}
