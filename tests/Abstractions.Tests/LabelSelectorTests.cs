using Fleet.Abstractions;

namespace Fleet.Abstractions.Tests;

public sealed class LabelSelectorTests
{
    private static readonly Dictionary<string, string> Labels = new()
    {
        ["env"] = "prod",
        ["region"] = "eu",
        ["tier"] = "3",
        ["fleet.dev/owner"] = "team-a",
    };

    [Theory]
    [InlineData("", true)]
    [InlineData("env=prod", true)]
    [InlineData("env==prod", true)]
    [InlineData("env=dev", false)]
    [InlineData("env!=dev", true)]
    [InlineData("missing!=x", true)]
    [InlineData("env in (dev, prod)", true)]
    [InlineData("env in (dev)", false)]
    [InlineData("env notin (dev)", true)]
    [InlineData("missing notin (dev)", true)]
    [InlineData("region", true)]
    [InlineData("!region", false)]
    [InlineData("!missing", true)]
    [InlineData("tier>2", true)]
    [InlineData("tier<3", false)]
    [InlineData("env=prod,region=us", false)]
    [InlineData("env=prod, region in (eu,us), !missing", true)]
    [InlineData("fleet.dev/owner=team-a", true)]
    public void Parse_MatchesLikeKubernetes(string selector, bool expected)
    {
        Assert.Equal(expected, LabelSelector.Parse(selector).Matches(Labels));
    }

    [Theory]
    [InlineData("env=", true)]
    [InlineData("env in ()", false)]
    [InlineData("env notin ()", false)]
    [InlineData("env in (a", false)]
    [InlineData("env ~ a", false)]
    [InlineData("=a", false)]
    [InlineData("tier>x", false)]
    [InlineData("env=bad value", false)]
    public void Parse_RejectsMalformedSelectorsWithPosition(string selector, bool valid)
    {
        if (valid)
        {
            Assert.False(LabelSelector.Parse(selector).Matches(Labels));
            return;
        }
        var ex = Assert.Throws<LabelSelectorException>(() => LabelSelector.Parse(selector));
        Assert.Contains(selector.Split(' ')[0], ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("env notin ()")]
    [InlineData("env notin ( )")]
    [InlineData("tier=1,env in ()")]
    public void Parse_RefusesAnEmptyValueSet_SayingSo(string selector)
    {
        var ex = Assert.Throws<LabelSelectorException>(() => LabelSelector.Parse(selector));
        Assert.Contains("must not be empty", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromMatch_CombinesMatchLabelsAndExpressions()
    {
        var selector = LabelSelector.FromMatch(
            new Dictionary<string, string> { ["env"] = "prod" },
            [new LabelSelectorRequirement("region", SelectorOperator.In, ["eu", "us"]), new("gpu", SelectorOperator.DoesNotExist, [])]);

        Assert.True(selector.Matches(Labels));
        Assert.Equal("env=prod,region in (eu,us),!gpu", selector.ToString());
        Assert.False(selector.Matches(new Dictionary<string, string> { ["env"] = "prod", ["region"] = "ap" }));
    }

    [Fact]
    public void FromMatch_InWithoutValues_IsRejected()
    {
        var ex = Assert.Throws<LabelSelectorException>(() =>
            LabelSelector.FromMatch(null, [new LabelSelectorRequirement("env", SelectorOperator.In, [])]));
        Assert.Contains("env", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_RoundTripsThroughParse()
    {
        const string text = "a=b,c!=d,e in (x,y),f notin (z),g,!h";
        Assert.Equal(text, LabelSelector.Parse(text).ToString());
    }
}
