using System.Text.RegularExpressions;
using NuGet.Versioning;

namespace Fleet.Sources;

/// <summary>
/// A semver range as Flux's <c>spec.ref.semver</c> takes it (the Masterminds constraint syntax:
/// <c>&gt;=1.2.0 &lt;2.0.0</c>, <c>~1.2</c>, <c>^1.2.3</c>, <c>1.2.x</c>, <c>1.0 - 2.0</c>, <c>*</c>, <c>a || b</c>),
/// or NuGet interval notation (<c>[1.0,2.0)</c>), compared with NuGet.Versioning. Pre-releases only
/// match when a comparator of the range itself names a pre-release, as in Flux.
/// The constraint grammar is translated here because NuGet.Versioning only parses its own notation.
/// </summary>
internal sealed partial class SemVerRange
{
    private readonly List<List<Comparator>> _groups;
    private readonly string _text;

    private SemVerRange(string text, List<List<Comparator>> groups)
    {
        _text = text;
        _groups = groups;
    }

    public override string ToString() => _text;

    public static SemVerRange Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        if (trimmed.Length == 0)
        {
            throw Invalid(text, "it is empty");
        }

        if (trimmed[0] is '[' or '(')
        {
            if (!VersionRange.TryParse(trimmed, out var nuget))
            {
                throw Invalid(text, "it is not a valid interval");
            }

            var pre = (nuget.MinVersion?.IsPrerelease ?? false) || (nuget.MaxVersion?.IsPrerelease ?? false);
            return new SemVerRange(text, [[new Comparator(nuget.Satisfies, pre)]]);
        }

        var groups = new List<List<Comparator>>();
        foreach (var part in trimmed.Split("||"))
        {
            var group = new List<Comparator>();
            var normalized = OperatorSpace().Replace(part.Trim(), "$1");
            foreach (Match hyphen in Hyphen().Matches(normalized))
            {
                var low = ParsePartial(hyphen.Groups[1].Value, text);
                var high = ParsePartial(hyphen.Groups[2].Value, text);
                var lower = low.Lower;
                group.Add(new Comparator(v => Compare(v, lower) >= 0, low.Pre is not null));
                if (high.IsFull)
                {
                    var highVersion = high.Lower;
                    group.Add(new Comparator(v => Compare(v, highVersion) <= 0, high.Pre is not null));
                }
                else
                {
                    var upper = high.NextUp;
                    group.Add(new Comparator(v => Compare(v, upper) < 0, false));
                }
            }

            normalized = Hyphen().Replace(normalized, " ");
            foreach (var token in normalized.Split([',', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
            {
                group.Add(ParseComparator(token, text));
            }

            if (group.Count == 0)
            {
                throw Invalid(text, "an alternative between '||' is empty");
            }

            groups.Add(group);
        }

        return new SemVerRange(text, groups);
    }

    /// <summary>Parses a tag as a version: a leading <c>v</c> is accepted, as are partial versions like <c>1.2</c>.</summary>
    public static NuGetVersion? ParseTag(string tag)
    {
        var text = tag.StartsWith('v') || tag.StartsWith('V') ? tag[1..] : tag;
        if (text.Length == 0 || !char.IsAsciiDigit(text[0]))
        {
            return null;
        }

        return NuGetVersion.TryParse(text, out var version) && version.Revision == 0 ? version : null;
    }

    public bool IsSatisfiedBy(NuGetVersion version)
    {
        foreach (var group in _groups)
        {
            if (version.IsPrerelease && !group.Any(c => c.AllowsPrerelease))
            {
                continue;
            }

            if (group.All(c => c.Test(version)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The tag with the highest version in the range; ties go to the ordinally greatest name.</summary>
    public string? SelectHighest(IEnumerable<string> tags)
    {
        string? best = null;
        NuGetVersion? bestVersion = null;
        foreach (var tag in tags)
        {
            var version = ParseTag(tag);
            if (version is null || !IsSatisfiedBy(version))
            {
                continue;
            }

            var order = bestVersion is null ? 1 : Compare(version, bestVersion);
            if (order > 0 || (order == 0 && string.CompareOrdinal(tag, best) > 0))
            {
                best = tag;
                bestVersion = version;
            }
        }

        return best;
    }

    private static int Compare(NuGetVersion a, NuGetVersion b) => VersionComparer.VersionRelease.Compare(a, b);

    private static Comparator ParseComparator(string token, string text)
    {
        var match = OperatorPrefix().Match(token);
        var op = match.Groups[1].Value;
        var partial = ParsePartial(token[op.Length..], text);
        var pre = partial.Pre is not null;
        var lower = partial.Lower;
        if (partial.Major is null)
        {
            // "*", "x": any version (with "<" or "!=" nothing, as in Masterminds).
            return op is "<" or "!=" ? new Comparator(_ => false, false) : new Comparator(_ => true, false);
        }

        var next = partial.NextUp;
        switch (op)
        {
            case "" or "=":
                return partial.IsFull
                    ? new Comparator(v => Compare(v, lower) == 0, pre)
                    : new Comparator(v => Compare(v, lower) >= 0 && Compare(v, next) < 0, pre);
            case "!=":
                return partial.IsFull
                    ? new Comparator(v => Compare(v, lower) != 0, pre)
                    : new Comparator(v => Compare(v, lower) < 0 || Compare(v, next) >= 0, pre);
            case ">":
                return partial.IsFull
                    ? new Comparator(v => Compare(v, lower) > 0, pre)
                    : new Comparator(v => Compare(v, next) >= 0, pre);
            case ">=":
                return new Comparator(v => Compare(v, lower) >= 0, pre);
            case "<":
                return new Comparator(v => Compare(v, lower) < 0, pre);
            case "<=":
                return partial.IsFull
                    ? new Comparator(v => Compare(v, lower) <= 0, pre)
                    : new Comparator(v => Compare(v, next) < 0, pre);
            case "~" or "~>":
            {
                var upper = partial.Minor is null
                    ? new NuGetVersion(partial.Major.Value + 1, 0, 0)
                    : new NuGetVersion(partial.Major.Value, partial.Minor.Value + 1, 0);
                return new Comparator(v => Compare(v, lower) >= 0 && Compare(v, upper) < 0, pre);
            }

            case "^":
            {
                NuGetVersion upper;
                if (partial.Major.Value > 0 || partial.Minor is null)
                {
                    upper = new NuGetVersion(partial.Major.Value + 1, 0, 0);
                }
                else if (partial.Minor.Value > 0 || partial.Patch is null)
                {
                    upper = new NuGetVersion(0, partial.Minor.Value + 1, 0);
                }
                else
                {
                    upper = new NuGetVersion(0, 0, partial.Patch.Value + 1);
                }

                return new Comparator(v => Compare(v, lower) >= 0 && Compare(v, upper) < 0, pre);
            }

            default:
                throw Invalid(text, $"'{token}' has an unknown operator");
        }
    }

    private static Partial ParsePartial(string text, string whole)
    {
        var value = text.StartsWith('v') || text.StartsWith('V') ? text[1..] : text;
        var match = PartialVersion().Match(value);
        if (!match.Success)
        {
            throw Invalid(whole, $"'{text}' is not a version");
        }

        static int? Part(Group g) => g.Success && g.Value is not ("x" or "X" or "*") ? int.Parse(g.Value, System.Globalization.CultureInfo.InvariantCulture) : null;
        var major = Part(match.Groups["major"]);
        var minor = major is null ? null : Part(match.Groups["minor"]);
        var patch = minor is null ? null : Part(match.Groups["patch"]);
        var pre = match.Groups["pre"].Success ? match.Groups["pre"].Value : null;
        if (pre is not null && patch is null)
        {
            throw Invalid(whole, $"'{text}' has a pre-release label but no patch number");
        }

        return new Partial(major, minor, patch, pre);
    }

    private static GitSourceException Invalid(string text, string why) =>
        new(GitSourceReasons.InvalidSpec, $"spec.ref.semver '{text}' is not a valid semver range: {why}");

    [GeneratedRegex(@"(>=|<=|!=|~>|>|<|=|~|\^)\s+")]
    private static partial Regex OperatorSpace();

    [GeneratedRegex(@"(\S+)\s+-\s+(\S+)")]
    private static partial Regex Hyphen();

    [GeneratedRegex(@"^(>=|<=|!=|~>|>|<|=|~|\^)?")]
    private static partial Regex OperatorPrefix();

    [GeneratedRegex(@"^(?<major>\d+|[xX*])(?:\.(?<minor>\d+|[xX*]))?(?:\.(?<patch>\d+|[xX*]))?(?:-(?<pre>[0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")]
    private static partial Regex PartialVersion();

    private sealed record Comparator(Func<NuGetVersion, bool> Test, bool AllowsPrerelease);

    private sealed record Partial(int? Major, int? Minor, int? Patch, string? Pre)
    {
        public bool IsFull => Patch is not null;

        public NuGetVersion Lower => new(Major ?? 0, Minor ?? 0, Patch ?? 0, Pre);

        public NuGetVersion NextUp => Minor is null
            ? new NuGetVersion((Major ?? 0) + 1, 0, 0)
            : Patch is null ? new NuGetVersion(Major!.Value, Minor.Value + 1, 0) : new NuGetVersion(Major!.Value, Minor.Value, Patch.Value + 1);
    }
}
