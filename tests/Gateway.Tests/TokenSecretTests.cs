using Fleet.Gateway.Security;

namespace Fleet.Gateway.Tests;

/// <summary>The form of bearer secrets and their hashes (pure logic).</summary>
public sealed class TokenSecretTests
{
    [Theory]
    [InlineData("fleet_0123456789abcdef_" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", true)]
    [InlineData("fleet_0123456789ABCDEF_" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", false)]
    [InlineData("fleet_0123456789abcde_" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", false)]
    [InlineData("fleet_0123456789abcdef_" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde", false)]
    [InlineData("fleetreg_0123456789abcdef_" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", false)]
    [InlineData("fleet_0123456789abcdef_" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef_x", false)]
    [InlineData("", false)]
    [InlineData("Bearer fleet_x_y", false)]
    public void Parse_AcceptsOnlyTheExactForm(string text, bool valid) =>
        Assert.Equal(valid, TokenSecret.Parse(text, TokenSecret.ApiPrefix) is not null);

    [Fact]
    public void NewTokens_AreDistinct_RoundTrip_AndMatchOnlyTheirOwnHash()
    {
        var a = TokenSecret.New(TokenSecret.ApiPrefix);
        var b = TokenSecret.New(TokenSecret.ApiPrefix);

        Assert.NotEqual(a.Text, b.Text);
        Assert.Equal(a, TokenSecret.Parse(a.Text, TokenSecret.ApiPrefix));
        Assert.True(a.Matches(a.Hash()));
        Assert.False(a.Matches(b.Hash()));
        Assert.False((a with { Value = b.Value }).Matches(a.Hash()));
        Assert.Equal(64, a.Hash().Length);
        Assert.DoesNotContain(a.Value, a.Hash(), StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_NeverShowsTheSecret()
    {
        var token = TokenSecret.New(TokenSecret.RegistrationPrefix);

        Assert.DoesNotContain(token.Value, token.ToString(), StringComparison.Ordinal);
        Assert.StartsWith("fleetreg_" + token.Id, token.ToString(), StringComparison.Ordinal);
    }
}
