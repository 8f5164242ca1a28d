using Fleet.Helm.Functions;
using Fleet.Helm.Template;

namespace Fleet.Helm.Tests;

/// <summary>Go text/template semantics, one template at a time (expected outputs are Go's).</summary>
public sealed class TemplateTests
{
    private static string Run(string text, object? data = null)
    {
        var set = new TemplateSet(HelmFunctions.Create(TimeProvider.System));
        HelmFunctions.Bind(set, new Dictionary<string, int>(StringComparer.Ordinal));
        set.Parse("t", text);
        return set.Execute("t", data);
    }

    private static Dictionary<string, object?> Data() => new(StringComparer.Ordinal)
    {
        ["m"] = new Dictionary<string, object?>(StringComparer.Ordinal) { ["b"] = 2L, ["a"] = 1L, ["n"] = null },
        ["l"] = new List<object?> { "x", "y", "z" },
        ["f"] = 1000000.0,
        ["s"] = "str",
        ["e"] = new List<object?>(),
    };

    public static TheoryData<string, string> Cases() => new()
    {
        { "a {{- \" b \" -}} c", "a b c" },
        { "a  {{- /* comment */ -}}  \n b", "ab" },
        { "{{ range $k, $v := .m }}{{ $k }}={{ $v }};{{ end }}", "a=1;b=2;n=<no value>;" },
        { "{{ range $i, $e := .l }}{{ if eq $i 1 }}{{ continue }}{{ end }}{{ $e }}{{ end }}", "xz" },
        { "{{ range .l }}{{ if eq . \"y\" }}{{ break }}{{ end }}{{ . }}{{ end }}", "x" },
        { "{{ range .e }}x{{ else }}empty{{ end }}", "empty" },
        { "{{ range 3 }}{{ . }}{{ end }}", "012" },
        { "{{ if .nope }}a{{ else if .s }}b{{ else }}c{{ end }}", "b" },
        { "{{ with .m.a }}{{ . }}{{ else }}none{{ end }}", "1" },
        { "{{ with .nope }}x{{ else with .s }}{{ . }}{{ end }}", "str" },
        { "{{ $x := 1 }}{{ if true }}{{ $x := 2 }}{{ $x }}{{ end }}{{ $x }}", "21" },
        { "{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}", "2" },
        { "{{ define \"d\" }}[{{ . }}]{{ end }}{{ template \"d\" .s }}", "[str]" },
        { "{{ block \"b\" .s }}<{{ . }}>{{ end }}", "<str>" },
        { "{{ .f }} {{ printf \"%v %d %.1f\" .f 7 2.25 }}", "1e+06 1e+06 7 2.2" },
        { "{{ .m }} {{ .l }} {{ .e }}", "map[a:1 b:2 n:<nil>] [x y z] []" },
        { "{{ .missing }}|{{ printf \"%v\" .missing }}|{{ .m.n }}", "<no value>|<nil>|<no value>" },
        { "{{ and 1 0 }} {{ or 0 \"\" }} {{ and 1 2 }} {{ or 0 3 }} {{ not 0 }}", "0  2 3 true" },
        { "{{ eq 1 2 3 1 }} {{ ne \"a\" \"b\" }} {{ lt 1.5 2.5 }} {{ ge \"b\" \"a\" }}", "true true true true" },
        { "{{ len .l }} {{ index .l 1 }} {{ index .m \"a\" }} {{ slice .l 1 }}", "3 y 1 [y z]" },
        { "{{ print 1 2 \"a\" 3 }}|{{ println \"a\" 1 }}", "1 2a3|a 1\n" },
        { "{{ printf \"%5s|%-5s|%05d|%x|%X|%o|%b|%c|%q|%U\" \"a\" \"b\" 42 255 255 8 5 65 \"q\" 65 }}", "    a|b    |00042|ff|FF|10|101|A|\"q\"|U+0041" },
        { "{{ printf \"%d %s\" \"x\" 1 }}", "%!d(string=x) %!s(int=1)" },
        { "{{ printf \"%d\" }} {{ printf \"a\" 1 }}", "%!d(MISSING) a%!(EXTRA int=1)" },
        { "{{ printf \"%T %T %T %T\" 1 1.5 \"s\" .l }}", "int float64 string []interface {}" },
        { "{{ printf \"%e %g %G %8.3f\" 123456.789 0.0000123 1e21 3.14159 }}", "1.234568e+05 1.23e-05 1E+21    3.142" },
        { "{{ html \"<a>\" }} {{ js \"'\" }} {{ urlquery \"a b\" }}", "&lt;a&gt; \\' a+b" },
        { "{{ 'a' }} {{ 0x10 }} {{ 1e2 }} {{ -5 }} {{ 0o17 }} {{ 0b11 }} {{ 1_000 }}", "97 16 100 -5 15 3 1000" },
        { "{{ `raw\\n` }}", "raw\\n" },
        { "{{ (.m).a }} {{ $.s }}", "1 str" },
        { "{{ \"x\" | printf \"%s-%s\" \"y\" }}", "y-x" },
        { "{{ include \"d\" 5 }}{{ define \"d\" }}<{{ . }}>{{ end }}", "<5>" },
        { "{{ tpl \"{{ .s }}!\" . }}", "str!" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Execute_MatchesGoTextTemplate(string template, string expected) => Assert.Equal(expected, Run(template, Data()));

    public static TheoryData<string, string> Errors() => new()
    {
        { "{{ nosuch }}", "template: t:1: function \"nosuch\" not defined" },
        { "{{ $x }}", "template: t:1: undefined variable \"$x\"" },
        { "{{ if }}", "template: t:1: missing value for if" },
        { "{{ range .l }}", "template: t:1: unexpected EOF" },
        { "{{ break }}", "template: t:1: {{break}} outside {{range}}" },
        { "{{ end }}", "template: t:1: unexpected {{end}}" },
        { "a\n{{ .m.n.x }}", "template: t:2:5: executing \"t\" at <.m.n.x>: nil pointer evaluating interface {}.x" },
        { "{{ eq 1 \"a\" }}", "template: t:1:3: executing \"t\" at <eq 1 \"a\">: error calling eq: incompatible types for comparison" },
        { "{{ index .l 5 }}", "error calling index: index out of range: 5" },
        { "{{ template \"nope\" }}", "template: t:1:12: executing \"t\" at <{{template \"nope\"}}>: template \"nope\" not defined" },
        { "{{ .s.x }}", "can't evaluate field x in type interface {}" },
        { "{{ $s := \"a\" }}{{ $s.x }}", "can't evaluate field x in type string" },
        { "{{ 1 2 }}", "can't give argument to non-function 1" },
        { "{{ nil }}", "nil is not a command" },
        { "{{ upper 1 }}", "wrong type for value; expected string; got int" },
        { "{{ printf }}", "wrong number of args for printf: want at least 1 got 0" },
        { "{{ /* x */ }}", "template: t:1:" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void Execute_FailsLikeGo(string template, string expected)
    {
        var ex = Assert.Throws<TemplateException>(() => Run(template, Data()));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Include_DeepRecursion_StopsWithHelmsError()
    {
        // A thousand nested includes need a large stack, as the engine provides with its own render thread.
        Exception? caught = null;
        var thread = new Thread(() => caught = Record.Exception(() => Run("{{ define \"r\" }}{{ include \"r\" . }}{{ end }}{{ include \"r\" . }}")), 512 * 1024 * 1024);
        thread.Start();
        thread.Join();
        var ex = Assert.IsType<TemplateException>(caught);
        Assert.Contains("rendering template has a nested reference name: r: unable to execute template", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Output_OverLimit_Fails()
    {
        var set = new TemplateSet(HelmFunctions.Create(TimeProvider.System), limits: new ExecLimits { MaxOutputChars = 100 });
        set.Parse("t", "{{ range 1000 }}xx{{ end }}");
        Assert.Throws<HelmLimitException>(() => set.Execute("t", null));
    }
}
