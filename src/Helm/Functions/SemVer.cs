using System.Globalization;
using System.Text.RegularExpressions;
using Fleet.Helm.Template;

namespace Fleet.Helm.Functions;

/// <summary>
/// A version as Masterminds/semver v3 parses it (leading "v", missing minor/patch allowed), which Helm uses for
/// chart versions, dependency ranges and Sprig's semver functions. Its constraint grammar (^ ~ x-ranges, hyphen
/// ranges, || and commas) has no .NET library, so both are written here.
/// </summary>
internal sealed partial class SemVer : GoObject, IComparable<SemVer>
{
    [GeneratedRegex(@"^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?$")]
    private static partial Regex VersionPattern();

    private readonly string _original;

    private SemVer(ulong major, ulong minor, ulong patch, string pre, string metadata, string original)
    {
        Major = major;
        Minor = minor;
        Patch = patch;
        Prerelease = pre;
        Metadata = metadata;
        _original = original;
    }

    public ulong Major { get; }

    public ulong Minor { get; }

    public ulong Patch { get; }

    public string Prerelease { get; }

    public string Metadata { get; }

    public override string GoType => "*semver.Version";

    public static SemVer? TryParse(string s)
    {
        var m = VersionPattern().Match(s);
        if (!m.Success)
        {
            return null;
        }

        try
        {
            var major = ulong.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            var minor = m.Groups[2].Success ? ulong.Parse(m.Groups[2].Value[1..], CultureInfo.InvariantCulture) : 0;
            var patch = m.Groups[3].Success ? ulong.Parse(m.Groups[3].Value[1..], CultureInfo.InvariantCulture) : 0;
            var pre = m.Groups[5].Value;
            foreach (var part in pre.Split('.', StringSplitOptions.RemoveEmptyEntries))
            {
                if (part.Length > 1 && part[0] == '0' && part.All(char.IsAsciiDigit))
                {
                    return null;
                }
            }

            return new SemVer(major, minor, patch, pre, m.Groups[8].Value, s);
        }
        catch (OverflowException)
        {
            return null;
        }
    }

    public static SemVer Parse(string s) => TryParse(s) ?? throw new GoFuncException("Invalid Semantic Version");

    public override string? GoString() =>
        $"{Major}.{Minor}.{Patch}" + (Prerelease.Length > 0 ? "-" + Prerelease : "") + (Metadata.Length > 0 ? "+" + Metadata : "");

    public string Original => _original;

    public override bool TryGetField(string name, out object? value)
    {
        value = name switch
        {
            "Major" => (long)Major,
            "Minor" => (long)Minor,
            "Patch" => (long)Patch,
            "Prerelease" => Prerelease,
            "Metadata" => Metadata,
            "Original" => _original,
            "String" => GoString(),
            _ => null,
        };
        return name is "Major" or "Minor" or "Patch" or "Prerelease" or "Metadata" or "Original" or "String";
    }

    public override Func<object?[], object?>? Method(string name) => name switch
    {
        "Compare" => a => (long)CompareTo(a.Length == 1 && a[0] is SemVer o ? o : throw new GoArgException("wrong type for value; expected *semver.Version")),
        "LessThan" => a => CompareTo((SemVer)a[0]!) < 0,
        "GreaterThan" => a => CompareTo((SemVer)a[0]!) > 0,
        "Equal" => a => CompareTo((SemVer)a[0]!) == 0,
        _ => null,
    };

    public int CompareTo(SemVer? other)
    {
        if (other is null)
        {
            return 1;
        }

        var c = Major.CompareTo(other.Major);
        if (c == 0)
        {
            c = Minor.CompareTo(other.Minor);
        }

        if (c == 0)
        {
            c = Patch.CompareTo(other.Patch);
        }

        return c != 0 ? c : ComparePrerelease(Prerelease, other.Prerelease);
    }

    private static int ComparePrerelease(string a, string b)
    {
        if (a == b)
        {
            return 0;
        }

        if (a.Length == 0)
        {
            return 1;
        }

        if (b.Length == 0)
        {
            return -1;
        }

        var pa = a.Split('.');
        var pb = b.Split('.');
        for (var i = 0; i < Math.Max(pa.Length, pb.Length); i++)
        {
            if (i >= pa.Length)
            {
                return -1;
            }

            if (i >= pb.Length)
            {
                return 1;
            }

            var na = ulong.TryParse(pa[i], NumberStyles.None, CultureInfo.InvariantCulture, out var ia);
            var nb = ulong.TryParse(pb[i], NumberStyles.None, CultureInfo.InvariantCulture, out var ib);
            int c;
            if (na && nb)
            {
                c = ia.CompareTo(ib);
            }
            else if (na)
            {
                c = -1;
            }
            else if (nb)
            {
                c = 1;
            }
            else
            {
                c = string.CompareOrdinal(pa[i], pb[i]);
            }

            if (c != 0)
            {
                return Math.Sign(c);
            }
        }

        return 0;
    }

    /// <summary>Whether the version satisfies a Masterminds constraint string; throws GoFuncException for a bad constraint.</summary>
    public static bool Satisfies(string constraint, SemVer v)
    {
        foreach (var orPart in constraint.Split("||"))
        {
            var terms = SplitTerms(orPart);
            if (terms.Count == 0)
            {
                throw new GoFuncException($"improper constraint: {constraint}");
            }

            if (terms.All(t => Check(t, v, constraint)))
            {
                return true;
            }
        }

        return false;
    }

    private static List<string> SplitTerms(string s)
    {
        // Hyphen ranges "1.2 - 1.4" become ">=1.2 <=1.4"; commas and spaces separate terms; an operator may be followed by spaces.
        var normalized = HyphenPattern().Replace(s.Trim(), m => $">={m.Groups[1].Value},<={m.Groups[2].Value}");
        normalized = OperatorSpace().Replace(normalized, "$1");
        return normalized.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
    }

    [GeneratedRegex(@"(\S+)\s+-\s+(\S+)")]
    private static partial Regex HyphenPattern();

    [GeneratedRegex(@"(>=|<=|!=|=>|=<|>|<|=|\^|~>|~)\s+")]
    private static partial Regex OperatorSpace();

    [GeneratedRegex(@"^(>=|<=|!=|=>|=<|>|<|=|\^|~>|~)?\s*v?(\*|x|X|[0-9]+)(\.(\*|x|X|[0-9]+))?(\.(\*|x|X|[0-9]+))?(-[0-9A-Za-z\-.]+)?(\+[0-9A-Za-z\-.]+)?$")]
    private static partial Regex TermPattern();

    private static bool IsWild(string s) => s is "" or "*" or "x" or "X";

    private static bool Check(string term, SemVer v, string constraint)
    {
        var m = TermPattern().Match(term);
        if (!m.Success)
        {
            throw new GoFuncException($"improper constraint: {constraint}");
        }

        var op = m.Groups[1].Value;
        var majS = m.Groups[2].Value;
        var minS = m.Groups[4].Value;
        var patS = m.Groups[6].Value;
        var pre = m.Groups[7].Success ? m.Groups[7].Value[1..] : "";
        var dirty = IsWild(majS) || IsWild(minS) || IsWild(patS);
        var maj = IsWild(majS) ? 0 : ulong.Parse(majS, CultureInfo.InvariantCulture);
        var min = IsWild(minS) ? 0 : ulong.Parse(minS, CultureInfo.InvariantCulture);
        var pat = IsWild(patS) ? 0 : ulong.Parse(patS, CultureInfo.InvariantCulture);
        var c = new SemVer(maj, min, pat, pre, "", term);

        // A prerelease version only satisfies constraints that name a prerelease (Masterminds' rule).
        if (v.Prerelease.Length > 0 && pre.Length == 0)
        {
            return false;
        }

        var cmp = v.CompareTo(c);
        switch (op)
        {
            case "" or "=":
                if (dirty)
                {
                    if (IsWild(majS))
                    {
                        return true;
                    }

                    if (v.Major != maj)
                    {
                        return false;
                    }

                    return IsWild(minS) || (v.Minor == min && (IsWild(patS) || v.Patch == pat));
                }

                return cmp == 0;
            case "!=":
                if (dirty)
                {
                    if (IsWild(majS))
                    {
                        return false;
                    }

                    return !(v.Major == maj && (IsWild(minS) || (v.Minor == min && IsWild(patS))));
                }

                return cmp != 0;
            case ">":
                if (dirty)
                {
                    if (IsWild(minS))
                    {
                        return v.Major > maj;
                    }

                    return v.Major > maj || (v.Major == maj && v.Minor > min);
                }

                return cmp > 0;
            case "<":
                return cmp < 0;
            case ">=" or "=>":
                return cmp >= 0;
            case "<=" or "=<":
                if (dirty)
                {
                    if (IsWild(majS))
                    {
                        return true;
                    }

                    if (IsWild(minS))
                    {
                        return v.Major <= maj;
                    }

                    return v.Major < maj || (v.Major == maj && v.Minor <= min);
                }

                return cmp <= 0;
            case "~" or "~>":
                if (cmp < 0)
                {
                    return false;
                }

                if (IsWild(majS))
                {
                    return true;
                }

                if (v.Major != maj)
                {
                    return false;
                }

                return IsWild(minS) && minS.Length == 0 ? true : v.Minor == min || IsWild(minS);
            case "^":
                if (IsWild(majS))
                {
                    return true;
                }

                if (cmp < 0)
                {
                    return false;
                }

                if (maj > 0)
                {
                    return v.Major == maj;
                }

                if (v.Major > 0)
                {
                    return false;
                }

                if (min > 0 || IsWild(patS))
                {
                    return IsWild(minS) || v.Minor == min;
                }

                if (IsWild(minS))
                {
                    return true;
                }

                return v.Minor == 0 && (minS.Length == 0 ? true : v.Patch == pat || IsWild(patS));
        }

        throw new GoFuncException($"improper constraint: {constraint}");
    }
}
